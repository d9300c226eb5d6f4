//! The Jupyter details users rely on, over real ZeroMQ: inspect (plain text and HTML apart),
//! completion kinds, comms for unknown targets, history, kernel_info for nbconvert, a kernel
//! ending with the server that started it; and the
//! kernelspec install/uninstall command.

mod common;

use common::TestKernel;
use jupyter_protocol::{
    CommId, CommOpen, CompleteRequest, HistoryEntry, HistoryRequest, InspectRequest,
    JupyterMessageContent, KernelInfoRequest,
};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tokio::time::timeout;

const ANALYSIS: Duration = Duration::from_secs(180);

#[tokio::test]
async fn inspect_keeps_html_out_of_text_plain() {
    let mut k = TestKernel::start().await;
    let code = "let t = Tensor::zeros([2], (Kind::Float, Device::Cpu));\nt.reshape";
    k.send_request(InspectRequest {
        code: code.into(),
        cursor_pos: code.chars().count(),
        detail_level: Some(0),
    })
    .await;
    let reply = k.reply(ANALYSIS).await;
    let JupyterMessageContent::InspectReply(r) = reply.content else {
        panic!("{reply:?}")
    };
    assert!(r.found, "{r:?}");
    let data = serde_json::to_value(&r.data).unwrap();
    let plain = data["text/plain"].as_str().expect("text/plain");
    assert!(plain.contains("reshape"), "{plain}");
    for tag in ["<pre", "<code", "<p>", "</"] {
        assert!(!plain.contains(tag), "HTML in text/plain: {plain}");
    }
    let html = data["text/html"].as_str().expect("text/html");
    assert!(html.contains('<'), "{html}");
}

#[tokio::test]
async fn completions_carry_their_kinds() {
    let mut k = TestKernel::start().await;
    let code = "let t = Tensor::zeros([2], (Kind::Float, Device::Cpu));\nt.resh";
    k.send_request(CompleteRequest {
        code: code.into(),
        cursor_pos: code.chars().count(),
    })
    .await;
    let reply = k.reply(ANALYSIS).await;
    let JupyterMessageContent::CompleteReply(r) = reply.content else {
        panic!("{reply:?}")
    };
    let types = r.metadata["_jupyter_types_experimental"]
        .as_array()
        .expect("_jupyter_types_experimental");
    assert_eq!(types.len(), r.matches.len());
    let reshape = types
        .iter()
        .find(|t| t["text"].as_str().is_some_and(|s| s.starts_with("reshape")))
        .unwrap_or_else(|| panic!("{types:?}"));
    assert_eq!(reshape["type"], "function", "{reshape}");
    assert_eq!(reshape["start"], r.cursor_start);
    assert_eq!(reshape["end"], r.cursor_end);
}

#[tokio::test]
async fn comm_open_for_an_unknown_target_is_closed() {
    let mut k = TestKernel::start().await;
    let comm_id = CommId(uuid::Uuid::new_v4().to_string());
    let open = CommOpen {
        comm_id: comm_id.clone(),
        target_name: "jupyter.widget".into(),
        ..Default::default()
    };
    let id = k.send_request(open).await;
    let closed = timeout(Duration::from_secs(30), async {
        loop {
            let m = k.iopub.read().await.unwrap();
            if m.parent_header.as_ref().is_none_or(|h| h.msg_id != id) {
                continue;
            }
            if let JupyterMessageContent::CommClose(c) = m.content {
                return c;
            }
        }
    })
    .await
    .expect("no comm_close");
    assert_eq!(closed.comm_id, comm_id);
}

#[tokio::test]
async fn history_returns_the_sessions_cells() {
    let mut k = TestKernel::start().await;
    for code in ["let h = 20;", "h + 1", "h + 2"] {
        assert!(k.execute(code).await.ok());
    }
    let tail = HistoryRequest::Tail {
        n: 2,
        output: false,
        raw: true,
    };
    let inputs: Vec<_> = history(&mut k, tail)
        .await
        .into_iter()
        .map(|e| match e {
            HistoryEntry::Input(_, _, input) => input,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(inputs, ["h + 1", "h + 2"]);
    let everything = HistoryRequest::Range {
        session: None,
        start: 1,
        stop: 0,
        output: true,
        raw: true,
    };
    let entries = history(&mut k, everything).await;
    let last = entries.last().expect("entries");
    assert!(
        matches!(last, HistoryEntry::InputOutput(_, _, (i, o)) if i == "h + 2" && o == "22"),
        "{last:?}"
    );
}

async fn history(k: &mut TestKernel, request: HistoryRequest) -> Vec<HistoryEntry> {
    k.send_request(request).await;
    let reply = k.reply(Duration::from_secs(30)).await;
    let JupyterMessageContent::HistoryReply(r) = reply.content else {
        panic!("{reply:?}")
    };
    r.history
}

#[tokio::test]
async fn kernel_info_names_no_nbconvert_exporter() {
    let mut k = TestKernel::start().await;
    k.send_request(KernelInfoRequest {}).await;
    let reply = k.reply(Duration::from_secs(30)).await;
    let JupyterMessageContent::KernelInfoReply(info) = reply.content else {
        panic!("{reply:?}")
    };
    let language = serde_json::to_value(&info.language_info).unwrap();
    assert!(language.get("nbconvert_exporter").is_none(), "{language}");
    assert_eq!(language["file_extension"], ".rs");
}

fn kernel(args: &[&str], env: &[(&str, &Path)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ferrokeras-kernel"))
        .args(args)
        .env_remove("JUPYTER_PATH")
        .env_remove("JUPYTER_DATA_DIR")
        .env_remove("XDG_DATA_HOME")
        .envs(env.iter().map(|(k, v)| (k, v.as_os_str())))
        .output()
        .unwrap()
}

#[test]
fn install_honours_locations_env_and_writes_logos() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    // --user goes to $JUPYTER_DATA_DIR, with --env in kernel.json and both logos.
    let env = [
        ("JUPYTER_DATA_DIR", data.as_path()),
        ("HOME", home.as_path()),
    ];
    let out = kernel(
        &[
            "install",
            "--user",
            "--env",
            "FERROKERAS_SAMPLE=64",
            "--env",
            "A=b=c",
        ],
        &env,
    );
    assert!(out.status.success(), "{out:?}");
    let spec = data.join("kernels/ferrokeras");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(spec.join("kernel.json")).unwrap()).unwrap();
    assert_eq!(json["env"]["FERROKERAS_SAMPLE"], "64");
    assert_eq!(json["env"]["A"], "b=c");
    for (file, size) in [("logo-32x32.png", 32u32), ("logo-64x64.png", 64)] {
        let png = std::fs::read(spec.join(file)).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), size);
    }
    // Without $JUPYTER_DATA_DIR, --user is the XDG data dir (Linux).
    let out = kernel(&["install"], &[("HOME", home.as_path())]);
    assert!(out.status.success(), "{out:?}");
    assert!(home
        .join(".local/share/jupyter/kernels/ferrokeras/kernel.json")
        .is_file());
    // --prefix DIR is DIR/share/jupyter.
    let prefix = tmp.path().join("prefix");
    let out = kernel(&["install", "--prefix", prefix.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{out:?}");
    let in_prefix = prefix.join("share/jupyter/kernels/ferrokeras");
    assert!(in_prefix.join("kernel.json").is_file());
    // uninstall without a location removes the one Jupyter uses: $JUPYTER_PATH's first, then
    // the user's.
    let path_env = [
        ("JUPYTER_PATH", prefix.join("share/jupyter")),
        ("JUPYTER_DATA_DIR", data.clone()),
        ("HOME", home.clone()),
    ];
    let path_env: Vec<(&str, &Path)> = path_env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let out = kernel(&["uninstall"], &path_env);
    assert!(out.status.success(), "{out:?}");
    assert!(!in_prefix.exists() && spec.exists(), "{out:?}");
    let out = kernel(&["uninstall"], &path_env);
    assert!(out.status.success(), "{out:?}");
    assert!(!spec.exists(), "{out:?}");
    let out = kernel(&["uninstall", "--user"], &[("HOME", home.as_path())]);
    assert!(out.status.success(), "{out:?}");
    assert!(!home
        .join(".local/share/jupyter/kernels/ferrokeras")
        .exists());
    // Nothing left: a clear error.
    let out = kernel(&["uninstall", "--user"], &[("HOME", home.as_path())]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no ferrokeras kernelspec"));
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: the fields after the command name's closing parenthesis.
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        if fields.get(1).and_then(|p| p.parse().ok()) == Some(pid) {
            children.extend(
                entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<u32>().ok()),
            );
        }
    }
    children
}

/// Whether `pid` runs (a zombie has ended).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap()
            .trim_start()
            .starts_with('Z')
    })
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

/// A Jupyter server that exits without shutting its kernels down (JupyterHub stops a user's
/// server that way) leaves no kernel and no cell process behind.
#[test]
fn a_kernel_ends_with_the_server_that_started_it() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let port = || common::free_port();
    let connection = serde_json::json!({
        "ip": "127.0.0.1", "transport": "tcp", "shell_port": port(), "iopub_port": port(),
        "stdin_port": port(), "control_port": port(), "hb_port": port(),
        "key": "a-key", "signature_scheme": "hmac-sha256", "kernel_name": "ferrokeras",
    });
    let file = dir.path().join("connection.json");
    std::fs::write(&file, connection.to_string()).unwrap();
    // `sh` stands in for the server: it starts the kernel, then is killed.
    let mut server = Command::new("sh")
        .arg("-c")
        .arg("\"$0\" --connection-file \"$1\" & echo $!; wait")
        .arg(env!("CARGO_BIN_EXE_ferrokeras-kernel"))
        .arg(&file)
        .env("FERROKERAS_STANDBY", "0")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let kernel: u32 = line.trim().parse().unwrap();
    let mut cell_process = None;
    assert!(
        wait_until(Duration::from_secs(300), || {
            // The cell process is this binary run without arguments (evcxr's runtime); cargo,
            // rustc and the rustc wrapper come and go.
            cell_process = children_of(kernel).into_iter().find(|child| {
                std::fs::read(format!("/proc/{child}/cmdline")).is_ok_and(|cmd| {
                    cmd.split(|b| *b == 0).filter(|a| !a.is_empty()).count() == 1
                        && cmd.starts_with(env!("CARGO_BIN_EXE_ferrokeras-kernel").as_bytes())
                })
            });
            cell_process.is_some()
        }),
        "the kernel started no cell process"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let cell_process = cell_process.unwrap();
    let ended = wait_until(Duration::from_secs(30), || {
        !alive(kernel) && !alive(cell_process)
    });
    if !ended {
        // Leave nothing behind for the next test, then fail.
        unsafe {
            libc::kill(kernel as i32, libc::SIGKILL);
            libc::kill(cell_process as i32, libc::SIGKILL);
        }
    }
    assert!(ended, "the kernel or its cell process outlived the server");
}
