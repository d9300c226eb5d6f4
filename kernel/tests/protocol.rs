//! The kernel over real ZeroMQ: kernel_info, execution with streams and results, errors for
//! compile errors and panics (with state kept), interrupts (polling and not), signatures,
//! is_complete and complete, and the display channel.

mod common;

use common::{media_text, TestKernel};
use jupyter_protocol::{
    CompleteRequest, IsCompleteReplyStatus, IsCompleteRequest, JupyterMessage,
    JupyterMessageContent, KernelInfoRequest,
};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::time::timeout;

#[tokio::test]
async fn kernel_info_describes_rust() {
    let mut k = TestKernel::start().await;
    k.shell
        .send(JupyterMessage::new(KernelInfoRequest {}, None))
        .await
        .unwrap();
    let reply = k.shell.read().await.unwrap();
    let JupyterMessageContent::KernelInfoReply(info) = reply.content else {
        panic!("not a kernel_info_reply: {reply:?}");
    };
    assert_eq!(info.protocol_version, "5.3");
    assert_eq!(info.language_info.name, "rust");
    assert_eq!(info.language_info.mimetype.as_deref(), Some("text/rust"));
    assert_eq!(info.language_info.file_extension.as_deref(), Some(".rs"));
    let mode = serde_json::to_value(&info.language_info.codemirror_mode).unwrap();
    assert_eq!(mode, serde_json::json!("rust"));
}

#[tokio::test]
async fn execute_streams_result_and_counts() {
    let mut k = TestKernel::start().await;
    let run = k.execute("println!(\"hello from rust\");\n1 + 1").await;
    assert!(run.ok(), "{run:?}");
    assert_eq!(run.stdout, "hello from rust\n");
    assert_eq!(run.result_text().as_deref(), Some("2"));
    assert_eq!(run.statuses.first().map(String::as_str), Some("busy"));
    assert_eq!(run.statuses.last().map(String::as_str), Some("idle"));
    let first = run.reply.unwrap().execution_count.value();
    // The trivial cell, untyped: the integer's type is inferred, the value is shown
    // and kept.
    let second = k.execute("let x = 1 + 1; x").await;
    assert!(second.ok(), "{second:?}");
    assert_eq!(second.result_text().as_deref(), Some("2"));
    assert_eq!(second.reply.unwrap().execution_count.value(), first + 1);
    let kept = k.execute("x * 10").await;
    assert_eq!(kept.result_text().as_deref(), Some("20"));
    // A cell ending in `()` shows no result, as `None` does in Python.
    let unit = k.execute("let y = 3;\n()").await;
    assert!(unit.ok() && unit.results.is_empty(), "{unit:?}");
    // The prelude is loaded: no `:dep`, no `use`.
    let t = k.execute("Tensor::from_slice(&[1.0f32, 2.0, 3.0])").await;
    assert!(t.ok(), "{t:?}");
    let text = t.result_text().unwrap();
    assert!(
        text.contains("shape=(3,), dtype=float32, device=cpu"),
        "{text}"
    );
    assert!(text.contains("[1., 2., 3.]"), "{text}");
    assert!(media_text(&t.results[0].data, "text/html").is_some());
}

#[tokio::test]
async fn compile_error_points_into_the_cell() {
    let mut k = TestKernel::start().await;
    let run = k.execute("let a = 1;\nlet b: i32 = \"text\";").await;
    assert!(!run.ok());
    let error = &run.errors[0];
    assert_eq!(error.ename, "CompileError");
    assert!(error.evalue.contains("mismatched types"), "{error:?}");
    let traceback = error.traceback.join("\n");
    assert!(traceback.contains("cell:2:"), "{traceback}");
    assert!(traceback.contains("let b: i32 = \"text\";"), "{traceback}");
}

#[tokio::test]
async fn panic_is_an_error_and_state_survives() {
    let mut k = TestKernel::start().await;
    assert!(k.execute("let kept = 41;").await.ok());
    let run = k
        .execute("let v: Vec<i32> = Vec::new();\nlet boom = v[3];")
        .await;
    assert!(!run.ok());
    assert_eq!(run.errors[0].ename, "Panic");
    assert!(
        run.errors[0].evalue.contains("index out of bounds"),
        "{:?}",
        run.errors
    );
    let after = k.execute("kept + 1").await;
    assert!(after.ok(), "{after:?}");
    assert_eq!(after.result_text().as_deref(), Some("42"));
}

const POLLING_LOOP: &str = "let mut spins = 0u64;\nprintln!(\"looping\");\nwhile !ferrokeras::interrupted() { std::thread::sleep(std::time::Duration::from_millis(5)); spins += 1; }\nprintln!(\"stopped cleanly\");";

#[tokio::test]
async fn interrupt_stops_a_polling_prelude_loop_and_keeps_variables() {
    let mut k = TestKernel::start().await;
    assert!(k.execute("let before = 7;").await.ok());
    let id = k.send_execute(POLLING_LOOP).await;
    let running = k
        .wait_for_stdout(&id, "looping", Duration::from_secs(300))
        .await;
    let asked = Instant::now();
    k.interrupt().await;
    let run = k.finish(&id, running, Duration::from_secs(30)).await;
    assert!(run.ok(), "{run:?}");
    assert!(run.stdout.contains("stopped cleanly"));
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "took {:?}",
        asked.elapsed()
    );
    let after = k.execute("before * 6").await;
    assert_eq!(after.result_text().as_deref(), Some("42"), "{after:?}");
}

/// An interrupt while the cell still compiles is for its code: the grace period before the
/// kill starts when the code starts, so compiling for longer than the grace period loses no
/// variable.
#[tokio::test]
async fn interrupt_while_the_cell_compiles_reaches_its_code_and_keeps_variables() {
    let mut k = TestKernel::start_with(
        &[
            ("FERROKERAS_STANDBY", "0"),
            ("FERROKERAS_INTERRUPT_GRACE_MS", "300"),
        ],
        None,
    )
    .await;
    assert!(k.execute("let before = 7;").await.ok());
    let id = k.send_execute(POLLING_LOOP).await;
    let busy = k
        .wait_for(&id, Duration::from_secs(60), |run| {
            run.statuses.iter().any(|s| s.contains("busy"))
        })
        .await;
    // Compiling a cell takes far longer than this and than the 300 ms grace period.
    tokio::time::sleep(Duration::from_millis(100)).await;
    k.interrupt().await;
    let run = k.finish(&id, busy, Duration::from_secs(300)).await;
    assert!(run.ok(), "the code stopped when asked: {run:?}");
    assert!(run.stdout.contains("stopped cleanly"), "{run:?}");
    let after = k.execute("before * 6").await;
    assert_eq!(after.result_text().as_deref(), Some("42"), "{after:?}");
}

#[tokio::test]
async fn interrupt_ends_a_non_polling_loop_and_the_kernel_keeps_serving() {
    let mut k = TestKernel::start().await;
    assert!(k.execute("let before = 7;").await.ok());
    let id = k
        .send_execute("println!(\"spinning\");\nloop { std::hint::spin_loop(); }")
        .await;
    let running = k
        .wait_for_stdout(&id, "spinning", Duration::from_secs(300))
        .await;
    let asked = Instant::now();
    k.interrupt().await;
    let run = k.finish(&id, running, Duration::from_secs(60)).await;
    let waited = asked.elapsed();
    assert!(!run.ok());
    assert_eq!(run.errors[0].ename, "Interrupted");
    assert!(
        run.errors[0].evalue.contains("variables"),
        "{:?}",
        run.errors
    );
    // Grace period (3 s) plus restarting the cell process.
    assert!(waited < Duration::from_secs(20), "took {waited:?}");
    let after = k
        .execute("Tensor::from_slice(&[2i64]).sum(Kind::Int64)")
        .await;
    assert!(after.ok(), "kernel must keep serving: {after:?}");
    let lost = k.execute("before").await;
    assert!(!lost.ok(), "variables are gone after a restart");
}

#[tokio::test]
async fn badly_signed_messages_are_ignored() {
    let mut k = TestKernel::start().await;
    let mut bad_info = k.info.clone();
    bad_info.key = "not-the-key".into();
    let session = uuid::Uuid::new_v4().to_string();
    let identity = jupyter_zmq_client::peer_identity_for_session(&session).unwrap();
    let mut forger = jupyter_zmq_client::create_client_shell_connection_with_identity(
        &bad_info, &session, identity,
    )
    .await
    .unwrap();
    let request = JupyterMessage::new(
        jupyter_protocol::ExecuteRequest::new("let forged = 1;".into()),
        None,
    );
    forger.send(request).await.unwrap();
    let answer = timeout(Duration::from_secs(3), forger.read()).await;
    assert!(answer.is_err(), "the kernel answered a forged message");
    // The forged code never ran, and the kernel still serves signed messages.
    let run = k.execute("forged").await;
    assert!(!run.ok());
    assert_eq!(run.errors[0].ename, "CompileError");
}

#[tokio::test]
async fn is_complete_and_complete() {
    let mut k = TestKernel::start().await;
    for (code, want) in [
        ("let x = 1;", IsCompleteReplyStatus::Complete),
        ("fn f() {", IsCompleteReplyStatus::Incomplete),
    ] {
        k.shell
            .send(JupyterMessage::new(
                IsCompleteRequest { code: code.into() },
                None,
            ))
            .await
            .unwrap();
        let reply = k.shell.read().await.unwrap();
        let JupyterMessageContent::IsCompleteReply(r) = reply.content else {
            panic!("{reply:?}")
        };
        assert_eq!(r.status, want, "{code}");
    }
    let code = "let t = Tensor::zeros([2], (Kind::Float, Device::Cpu));\nt.resh";
    k.shell
        .send(JupyterMessage::new(
            CompleteRequest {
                code: code.into(),
                cursor_pos: code.chars().count(),
            },
            None,
        ))
        .await
        .unwrap();
    let reply = timeout(Duration::from_secs(120), k.shell.read())
        .await
        .unwrap()
        .unwrap();
    let JupyterMessageContent::CompleteReply(r) = reply.content else {
        panic!("{reply:?}")
    };
    assert!(
        r.matches.iter().any(|m| m.starts_with("reshape")),
        "{:?}",
        r.matches
    );
    assert_eq!(r.cursor_end, code.chars().count());
    assert_eq!(r.cursor_start, code.chars().count() - "resh".len());
}

#[tokio::test]
async fn displays_can_be_updated_in_place() {
    let mut k = TestKernel::start().await;
    let run = k
        .execute(
            "let h = display(&MimeBundle::text(\"epoch 1\"));\nh.update(&MimeBundle::text(\"epoch 2\").with_html(\"<b>2</b>\"));",
        )
        .await;
    assert!(run.ok(), "{run:?}");
    assert_eq!(run.displays.len(), 1);
    let id = run.displays[0]
        .transient
        .as_ref()
        .and_then(|t| t.display_id.clone())
        .expect("display id");
    assert_eq!(
        media_text(&run.displays[0].data, "text/plain").as_deref(),
        Some("epoch 1")
    );
    assert_eq!(run.updates.len(), 1);
    assert_eq!(
        run.updates[0].transient.display_id.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(
        media_text(&run.updates[0].data, "text/html").as_deref(),
        Some("<b>2</b>")
    );
}

#[tokio::test]
async fn interrupt_stops_fit_after_a_batch_keeping_history_weights_and_variables() {
    let mut k = TestKernel::start().await;
    let setup = k
        .execute(
            "let x = Tensor::randn([2048, 16], (Kind::Float, Device::Cpu));\n\
             let y = x.sum_dim_intlist([1i64].as_slice(), true, Kind::Float);\n\
             let model = Sequential::new()\n\
                 .add(Input::new([16]))\n\
                 .add(Dense::new(32).activation(\"relu\"))\n\
                 .add(Dense::new(1));\n\
             model.compile(\"adam\", \"mse\", [\"mae\"])?;",
        )
        .await;
    assert!(setup.ok(), "{setup:?}");
    let id = k
        .send_execute(
            "println!(\"training\");\n\
             let history = model.fit(&x, &y, Fit { epochs: 100000, verbose: 0, ..Default::default() })?;\n\
             history.epochs()",
        )
        .await;
    let training = k
        .wait_for_stdout(&id, "training", Duration::from_secs(300))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let asked = Instant::now();
    k.interrupt().await;
    let run = k.finish(&id, training, Duration::from_secs(60)).await;
    assert!(run.ok(), "fit returns normally after an interrupt: {run:?}");
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "fit stopped within a batch, not by the grace-period kill: {:?}",
        asked.elapsed()
    );
    let epochs: usize = run.result_text().unwrap().parse().unwrap();
    assert!(
        (1..100000).contains(&epochs),
        "history so far: {epochs} epochs"
    );
    // The trained weights and every variable survive: the model predicts better than chance.
    let check = k
        .execute("let mse = (model.predict(&x)? - &y).square().mean(Kind::Float).double_value(&[]);\nmse < y.var(true).double_value(&[])")
        .await;
    assert_eq!(check.result_text().as_deref(), Some("true"), "{check:?}");
}

/// A kernel that has run a cell starts a standby session; the next kernel start adopts it and
/// its cells see that kernel's working directory and environment, as a fresh kernel's would.
#[tokio::test]
async fn next_kernel_adopts_a_warm_standby_with_its_cwd_and_environment() {
    let root = dirs::cache_dir()
        .map(|d| d.join("ferrokeras"))
        .map(|h| std::env::var_os("FERROKERAS_HOME").map_or(h, PathBuf::from))
        .unwrap()
        .join("sessions");
    let socket = root.join("standby.sock");
    // The standby this kernel starts inherits its environment; the next kernel must not.
    // Its settings too: the standby's session reads quick mode from its environment, and must
    // take the adopter's.
    let mut first = TestKernel::start_with(
        &[
            ("FERROKERAS_TEST_LEAK", "first kernel only"),
            ("FERROKERAS_SAMPLE", "7"),
        ],
        None,
    )
    .await;
    assert!(first.execute("1 + 1").await.ok());
    // The standby compiles nothing new, but loads the prelude and warms the analyzer. It takes
    // a new session slot, which starts as a copy of the built slot-0; the generous limit is
    // for a machine where that copy fails and the standby compiles the prelude itself.
    // A socket file alone may be one that a killed standby left: wait for one that answers.
    let listening = || std::os::unix::net::UnixStream::connect(&socket).is_ok();
    let mut waited = 0;
    while !listening() && waited < 1800 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        waited += 1;
    }
    assert!(listening(), "no standby listens at {}", socket.display());
    drop(first);

    let cwd = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut second = TestKernel::start_with(
        &[
            ("FERROKERAS_TEST_MARK", "adopted \"ok\""),
            ("FERROKERAS_SAMPLE", "3"),
        ],
        Some(cwd.path()),
    )
    .await;
    let mark = second
        .execute("std::env::var(\"FERROKERAS_TEST_MARK\").unwrap()")
        .await;
    let took = started.elapsed();
    assert_eq!(
        mark.result_text().as_deref(),
        Some("\"adopted \\\"ok\\\"\""),
        "{mark:?}"
    );
    let adopted = second
        .execute("std::env::var(\"FERROKERAS_ADOPTED\").is_ok()")
        .await;
    assert_eq!(
        adopted.result_text().as_deref(),
        Some("true"),
        "not a standby's session"
    );
    let sample = second
        .execute(
            "(ferrokeras::utils::sample_limit(), ferrokeras::runtime::settings().sample_limit)",
        )
        .await;
    assert_eq!(
        sample.result_text().as_deref(),
        Some("(Some(3), Some(3))"),
        "the adopted session kept the standby's settings: {sample:?}"
    );
    let leak = second
        .execute("std::env::var(\"FERROKERAS_TEST_LEAK\").is_err()")
        .await;
    assert_eq!(leak.result_text().as_deref(), Some("true"), "{leak:?}");
    let dir = second
        .execute("std::env::current_dir().unwrap().display().to_string()")
        .await;
    let want = cwd.path().canonicalize().unwrap();
    assert_eq!(
        dir.result_text(),
        Some(format!("{:?}", want.display().to_string()))
    );
    // The prelude is there, as in any kernel.
    assert!(second.execute("Tensor::from_slice(&[1.0f32])").await.ok());
    // Input requests go out on this kernel's stdin socket (the standby binds it once adopted).
    let id = second
        .send_execute_with_input("input(\"Adopted? \")?")
        .await;
    let (request, _) = second.input_request(Duration::from_secs(60)).await;
    assert_eq!(request.prompt, "Adopted? ");
    second.input_reply("yes").await;
    let answered = second.collect(&id, Duration::from_secs(60)).await;
    assert_eq!(
        answered.result_text().as_deref(),
        Some("\"yes\""),
        "{answered:?}"
    );
    eprintln!(
        "start with a standby to first result: {:.1}s",
        took.as_secs_f64()
    );
}
