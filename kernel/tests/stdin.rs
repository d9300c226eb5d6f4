//! Cells that read stdin, over real ZeroMQ: the kernel's `input_request` on the stdin socket,
//! the client's `input_reply`, `allow_stdin: false` and interrupts of a wait for input.

mod common;

use common::TestKernel;
use jupyter_protocol::ReplyStatus;
use std::time::{Duration, Instant};
use tokio::time::timeout;

/// Prints a line, then a prompt without a newline, and reads a line as a terminal program
/// would.
const READ_LINE: &str = "println!(\"before\");\nprint!(\"Your name: \");\nlet mut line = String::new();\nstd::io::stdin().read_line(&mut line).unwrap();\nprintln!(\"read {line:?}\");";

const LONG: Duration = Duration::from_secs(300);

#[tokio::test]
async fn a_cell_reading_stdin_prompts_and_reads_the_reply() {
    let mut k = TestKernel::start().await;
    assert!(k.execute("let kept = 41;").await.ok());

    let id = k.send_execute_with_input(READ_LINE).await;
    let (request, parent) = k.input_request(LONG).await;
    assert_eq!(request.prompt, "Your name: ");
    assert!(!request.password);
    assert_eq!(
        parent, id,
        "the input_request's parent is the execute_request"
    );
    k.input_reply("Ada").await;
    let run = k.collect(&id, Duration::from_secs(60)).await;
    assert!(run.ok(), "{run:?}");
    // The prompt is the input box's, not output; the value comes with its newline.
    assert_eq!(run.stdout, "before\nread \"Ada\\n\"\n");

    // The prelude's `input()`: the line without its newline.
    let id = k
        .send_execute_with_input("let name = input(\"Name: \")?;\nprintln!(\"hello {name}!\");")
        .await;
    let (request, _) = k.input_request(LONG).await;
    assert_eq!(request.prompt, "Name: ");
    k.input_reply("Bob").await;
    let run = k.collect(&id, Duration::from_secs(60)).await;
    assert!(run.ok(), "{run:?}");
    assert_eq!(run.stdout, "hello Bob!\n");

    // Two reads in one cell: two prompts, in order.
    let id = k
        .send_execute_with_input(
            "let a = input(\"a? \")?;\nlet b = input(\"b? \")?;\nformat!(\"{a}+{b}\")",
        )
        .await;
    for (prompt, value) in [("a? ", "1"), ("b? ", "2")] {
        let (request, _) = k.input_request(LONG).await;
        assert_eq!(request.prompt, prompt);
        k.input_reply(value).await;
    }
    let run = k.collect(&id, Duration::from_secs(60)).await;
    assert_eq!(run.result_text().as_deref(), Some("\"1+2\""), "{run:?}");

    let after = k.execute("format!(\"{} {}\", kept + 1, name)").await;
    assert_eq!(
        after.result_text().as_deref(),
        Some("\"42 Bob\""),
        "{after:?}"
    );
}

/// nbclient, papermill and `jupyter execute` send `allow_stdin: false`: a cell that reads
/// fails at once, as ipykernel's `StdinNotImplementedError`, and no input_request is sent.
#[tokio::test]
async fn without_allow_stdin_a_read_fails_at_once() {
    let mut k = TestKernel::start().await;
    let read = "println!(\"start\");\nlet mut line = String::new();\nstd::io::stdin().read_line(&mut line).unwrap();\nprintln!(\"went on with {line:?}\");";
    let id = k.send_execute(read).await;
    let running = k.wait_for_stdout(&id, "start", LONG).await;
    let started = Instant::now();
    let run = k.finish(&id, running, Duration::from_secs(10)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    let reply = run.reply.as_ref().expect("an execute_reply");
    assert!(matches!(reply.status, ReplyStatus::Error), "{run:?}");
    let error = reply.error.as_ref().expect("the reply's error");
    assert_eq!(error.ename, "StdinNotImplementedError");
    assert!(error.evalue.contains("does not support input"), "{error:?}");
    assert_eq!(run.errors.len(), 1, "{run:?}");
    assert_eq!(run.errors[0].ename, "StdinNotImplementedError");
    assert!(
        timeout(Duration::from_millis(300), k.stdin.read())
            .await
            .is_err(),
        "an input_request was sent"
    );

    let run = k.execute("let name = input(\"Name: \")?;").await;
    assert_eq!(
        run.errors.first().map(|e| e.ename.as_str()),
        Some("StdinNotImplementedError"),
        "{run:?}"
    );
    assert_eq!(k.execute("1 + 1").await.result_text().as_deref(), Some("2"));
}

/// An interrupt while a cell waits for input ends the wait without killing the cell's
/// process: the reply comes, earlier variables are kept, and a later cell can ask again.
#[tokio::test]
async fn interrupting_a_wait_for_input_keeps_the_variables() {
    let mut k = TestKernel::start().await;
    assert!(k.execute("let kept = 6;").await.ok());
    let id = k.send_execute_with_input(READ_LINE).await;
    let _ = k.input_request(LONG).await;
    let asked = Instant::now();
    k.interrupt().await;
    let run = k.collect(&id, Duration::from_secs(30)).await;
    // Sooner than the grace period (3 s in tests) after which a kill would come.
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "took {:?}",
        asked.elapsed()
    );
    let error = run.reply.as_ref().and_then(|r| r.error.as_ref());
    assert_eq!(
        error.map(|e| e.ename.as_str()),
        Some("KeyboardInterrupt"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("read \"\""),
        "the read saw the end of input: {run:?}"
    );

    // The prelude's input() says it was interrupted.
    let id = k
        .send_execute_with_input("let name = input(\"Name: \")?;")
        .await;
    let _ = k.input_request(LONG).await;
    k.interrupt().await;
    let run = k.collect(&id, Duration::from_secs(30)).await;
    assert_eq!(
        run.errors.first().map(|e| e.ename.as_str()),
        Some("KeyboardInterrupt"),
        "{run:?}"
    );

    let after = k.execute("kept * 7").await;
    assert_eq!(after.result_text().as_deref(), Some("42"), "{after:?}");
    let id = k.send_execute_with_input("input(\"again: \")?").await;
    let (request, _) = k.input_request(LONG).await;
    assert_eq!(request.prompt, "again: ");
    k.input_reply("fine").await;
    let run = k.collect(&id, Duration::from_secs(60)).await;
    assert_eq!(run.result_text().as_deref(), Some("\"fine\""), "{run:?}");
}
