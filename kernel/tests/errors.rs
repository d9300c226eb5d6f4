//! A failing cell is an error over real ZeroMQ: `?` errors reply `status: "error"` with one
//! `error` output, Run All stops at the first error (queued cells are aborted unless the
//! request says `stop_on_error: false`), libtorch errors are readable, and a model file
//! that cannot be loaded names the file and what is wrong while the kernel keeps its
//! variables.

mod common;

use common::{CellRun, TestKernel};
use jupyter_protocol::{ExecuteRequest, ReplyStatus};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

fn status(run: &CellRun) -> ReplyStatus {
    run.reply.as_ref().expect("an execute_reply").status.clone()
}

#[tokio::test]
async fn question_mark_error_is_an_error_reply_with_one_error_output() {
    let mut k = TestKernel::start().await;
    assert!(k.execute("let kept = 5;").await.ok());
    let run = k
        .execute("let lost = 1;\nprintln!(\"before\");\nlet v: i32 = \"x\".parse()?;\nv")
        .await;
    assert_eq!(status(&run), ReplyStatus::Error, "{run:?}");
    assert_eq!(run.errors.len(), 1, "{run:?}");
    let error = &run.errors[0];
    assert_eq!(error.ename, "ParseIntError");
    assert_eq!(error.evalue, "invalid digit found in string");
    assert_eq!(error.traceback, ["invalid digit found in string"]);
    let reply = run
        .reply
        .as_ref()
        .unwrap()
        .error
        .as_ref()
        .expect("reply error");
    assert_eq!(reply.ename, "ParseIntError");
    // What ran before the `?` printed; the message is the error output, not a stderr line.
    assert_eq!(run.stdout, "before\n");
    assert!(!run.stderr.contains("invalid digit"), "{run:?}");
    assert!(run.results.is_empty(), "{run:?}");
    // Earlier variables survive; the failed cell's new ones are gone, as after a panic.
    let after = k.execute("kept + 1").await;
    assert_eq!(after.result_text().as_deref(), Some("6"), "{after:?}");
    assert!(!k.execute("lost").await.ok());
}

#[tokio::test]
async fn prelude_errors_get_python_like_names_and_the_prelude_message() {
    let mut k = TestKernel::start().await;
    let missing = std::env::temp_dir().join("ferrokeras-no-such-mnist-dir");
    let code = format!(
        "let data = mnist::load_data_from({:?})?;",
        missing.display().to_string()
    );
    let run = k.execute(&code).await;
    assert_eq!(status(&run), ReplyStatus::Error, "{run:?}");
    assert_eq!(run.errors.len(), 1, "{run:?}");
    assert_eq!(run.errors[0].ename, "FileNotFoundError", "{run:?}");
    assert!(run.errors[0].evalue.contains("file not found"), "{run:?}");
    assert!(
        run.errors[0]
            .evalue
            .contains("ferrokeras-no-such-mnist-dir"),
        "{run:?}"
    );
    let invalid = k
        .execute(
            "Err(ferrokeras::Error::InvalidArgument(\"units must be positive, got 0\".into()))?;",
        )
        .await;
    assert_eq!(invalid.errors[0].ename, "ValueError", "{invalid:?}");
    assert_eq!(
        invalid.errors[0].evalue,
        "invalid argument: units must be positive, got 0"
    );
}

/// Sends a failing cell and three more at once (as JupyterLab's Run All does) and collects
/// the four runs.
async fn run_all(k: &mut TestKernel, failing: &str, stop_on_error: bool) -> Vec<CellRun> {
    let mut first = ExecuteRequest::new(failing.into());
    first.stop_on_error = stop_on_error;
    let mut ids = vec![k.send_request(first).await];
    for i in 1..=3 {
        ids.push(k.send_execute(&format!("println!(\"queued {i}\");")).await);
    }
    let mut runs = Vec::new();
    for id in &ids {
        runs.push(k.collect(id, Duration::from_secs(300)).await);
    }
    runs
}

#[tokio::test]
async fn cells_queued_behind_a_failed_one_are_aborted() {
    let mut k = TestKernel::start().await;
    for failing in [
        "let n: u8 = \"300\".parse()?;",
        "let a = undefined_name + 1;",
    ] {
        let runs = run_all(&mut k, failing, true).await;
        assert_eq!(status(&runs[0]), ReplyStatus::Error, "{:?}", runs[0]);
        for queued in &runs[1..] {
            assert_eq!(status(queued), ReplyStatus::Aborted, "{queued:?}");
            assert!(
                queued.stdout.is_empty() && queued.errors.is_empty(),
                "{queued:?}"
            );
            // Each aborted request still goes busy → idle, so clients stop waiting for it.
            assert_eq!(queued.statuses, ["busy", "idle"], "{queued:?}");
        }
    }
    // A cell sent afterwards runs.
    let later = k.execute("println!(\"later\");").await;
    assert!(later.ok() && later.stdout == "later\n", "{later:?}");
}

#[tokio::test]
async fn stop_on_error_false_lets_queued_cells_run() {
    let mut k = TestKernel::start().await;
    let runs = run_all(&mut k, "let n: u8 = \"300\".parse()?;", false).await;
    assert_eq!(status(&runs[0]), ReplyStatus::Error, "{:?}", runs[0]);
    for (i, queued) in runs[1..].iter().enumerate() {
        assert!(queued.ok(), "{queued:?}");
        assert_eq!(queued.stdout, format!("queued {}\n", i + 1));
    }
}

#[tokio::test]
async fn libtorch_shape_errors_are_short() {
    let mut k = TestKernel::start().await;
    let setup = "let a = Tensor::zeros([2, 3], (Kind::Float, Device::Cpu));\n\
                 let b = Tensor::zeros([4], (Kind::Float, Device::Cpu));";
    assert!(k.execute(setup).await.ok());
    // A tensor operator panics (tch unwraps libtorch's error) ...
    let panic = k.execute("&a + &b").await;
    // ... and a fallible call returns the error for `?`, bare or as the prelude's error.
    let tch = k.execute("let c = a.f_add(&b)?;").await;
    let prelude = k
        .execute("let c = a.f_add(&b).map_err(ferrokeras::Error::from)?;")
        .await;
    for (run, ename) in [
        (&panic, "Panic"),
        (&tch, "TchError"),
        (&prelude, "RuntimeError"),
    ] {
        assert_eq!(run.errors.len(), 1, "{run:?}");
        let error = &run.errors[0];
        assert_eq!(error.ename, ename, "{error:?}");
        assert!(error.evalue.contains("must match the size"), "{error:?}");
        assert!(
            error.evalue.len() < 300,
            "{} chars: {error:?}",
            error.evalue.len()
        );
        let traceback = error.traceback.join("\n");
        assert!(!traceback.contains("frame #"), "{traceback}");
    }
    eprintln!(
        "panic evalue ({} chars): {}",
        panic.errors[0].evalue.len(),
        panic.errors[0].evalue
    );
}

#[tokio::test]
async fn libtorch_backtrace_is_kept_when_asked() {
    let mut k = TestKernel::start_with(
        &[("FERROKERAS_STANDBY", "0"), ("FERROKERAS_BACKTRACE", "1")],
        None,
    )
    .await;
    let run = k
        .execute("let a = Tensor::zeros([2, 3], (Kind::Float, Device::Cpu));\n&a + &Tensor::zeros([4], (Kind::Float, Device::Cpu))")
        .await;
    assert_eq!(run.errors.len(), 1, "{run:?}");
    assert!(
        run.errors[0].evalue.contains("Exception raised from"),
        "{run:?}"
    );
}

/// A copy of the `.keras` archive `from` at `to` whose second layer's class is `class`.
fn with_layer_class(from: &Path, to: &Path, class: &str) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "config.json" {
            let mut config: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let layers = config["config"]["layers"].as_array_mut().unwrap();
            let dense = layers
                .iter_mut()
                .find(|l| l["class_name"] == "Dense")
                .expect("the saved model has a Dense layer");
            dense["class_name"] = class.into();
            bytes = serde_json::to_vec(&config).unwrap();
        }
        out.start_file(name, zip::write::FileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}

#[tokio::test]
async fn a_model_file_that_cannot_load_names_the_file_and_keeps_the_variables() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.keras");
    let mut k = TestKernel::start().await;
    let setup = k
        .execute(&format!(
            "let kept = 41;\n\
             let model = Sequential::new().add(Input::new([3])).add(Dense::new(2));\n\
             model.save({:?})?;",
            good.display().to_string()
        ))
        .await;
    assert!(setup.ok(), "{setup:?}");
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.keras");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = dir.path().join("garbage.keras");
    std::fs::write(&garbage, b"these bytes are no model at all").unwrap();
    let unknown = dir.path().join("unknown_class.keras");
    with_layer_class(&good, &unknown, "NoSuchLayer");
    for (file, problem) in [
        (&truncated, "zip"),
        (&garbage, "does not start as a zip"),
        (&unknown, "NoSuchLayer"),
    ] {
        let run = k
            .execute(&format!(
                "let loaded = load_model({:?})?;",
                file.display().to_string()
            ))
            .await;
        assert_eq!(status(&run), ReplyStatus::Error, "{run:?}");
        assert_eq!(run.errors.len(), 1, "{run:?}");
        let error = &run.errors[0];
        // Keras's `load_model` raises ValueError for each of these.
        assert_eq!(error.ename, "ValueError", "{error:?}");
        assert!(
            error.evalue.contains(&file.display().to_string()),
            "{error:?}"
        );
        assert!(error.evalue.contains(problem), "{problem}: {error:?}");
    }
    // The file as saved loads, and the variables of earlier cells are still there.
    let after = k
        .execute(&format!(
            "let loaded = load_model({:?})?;\nkept + loaded.count_params() as i32",
            good.display().to_string()
        ))
        .await;
    assert_eq!(after.result_text().as_deref(), Some("49"), "{after:?}");
}
