//! Handlers of the shell requests that need the session or the kernel's state: execute,
//! complete, inspect, history, comms and kernel_info.

use crate::history::History;
use crate::session::{Job, Outcome, Output};
use jupyter_protocol::{
    CodeMirrorMode, CommClose, CommOpen, CompleteReply, ErrorOutput, ExecuteInput, ExecuteReply,
    ExecuteRequest, ExecuteResult, ExecutionCount, InspectReply, JupyterMessage,
    JupyterMessageContent, KernelInfoReply, LanguageInfo, Media, ReplyError, ReplyStatus,
};
use tokio::sync::mpsc;

/// Everything bound for iopub goes through one queue, drained by one task, so messages leave
/// in the order they were produced: a cell's last output always precedes its result and idle.
pub type IoPub = mpsc::UnboundedSender<Output>;

pub async fn publish(iopub: &IoPub, parent: &JupyterMessage, content: JupyterMessageContent) {
    let _ = iopub.send(Output {
        parent: parent.clone(),
        content,
    });
}

/// Runs a cell. Returns the reply and whether it failed (so queued cells are aborted).
pub async fn execute(
    req: &ExecuteRequest,
    message: &JupyterMessage,
    jobs: &crossbeam_channel::Sender<Job>,
    iopub: &IoPub,
    history: &mut History,
) -> (JupyterMessageContent, bool) {
    let stored = !req.silent && req.store_history;
    let execution_count = ExecutionCount::new(history.next_count(stored));
    if !req.silent {
        publish(
            iopub,
            message,
            JupyterMessageContent::ExecuteInput(ExecuteInput {
                code: req.code.clone(),
                execution_count,
            }),
        )
        .await;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let sent = jobs.send(Job::Execute {
        code: req.code.clone(),
        parent: Box::new(message.clone()),
        reply: tx,
    });
    let outcome = match (sent, rx.await) {
        (Ok(()), Ok(outcome)) => outcome,
        _ => Outcome::Error {
            ename: "KernelError".into(),
            evalue: "the Rust session is gone".into(),
            traceback: vec![],
        },
    };
    match outcome {
        Outcome::Ok(data) => {
            if stored {
                history.record(&req.code, data.get("text/plain").cloned());
            }
            if !data.is_empty() && !req.silent {
                let media: Media =
                    serde_json::from_value(serde_json::json!(data)).unwrap_or_default();
                publish(
                    iopub,
                    message,
                    JupyterMessageContent::ExecuteResult(ExecuteResult::new(
                        execution_count,
                        media,
                    )),
                )
                .await;
            }
            let reply = ExecuteReply {
                execution_count,
                ..Default::default()
            };
            (JupyterMessageContent::ExecuteReply(reply), false)
        }
        Outcome::Error {
            ename,
            evalue,
            traceback,
        } => {
            if stored {
                history.record(&req.code, None);
            }
            let error = ErrorOutput {
                ename: ename.clone(),
                evalue: evalue.clone(),
                traceback: traceback.clone(),
            };
            publish(iopub, message, JupyterMessageContent::ErrorOutput(error)).await;
            let reply = ExecuteReply {
                status: ReplyStatus::Error,
                execution_count,
                error: Some(Box::new(ReplyError {
                    ename,
                    evalue,
                    traceback,
                })),
                ..Default::default()
            };
            (JupyterMessageContent::ExecuteReply(reply), true)
        }
    }
}

/// The reply to an execute request that was queued behind a failed cell (as ipykernel does
/// with `stop_on_error`): not run, `status: "aborted"`.
pub fn aborted(history: &History) -> JupyterMessageContent {
    JupyterMessageContent::ExecuteReply(ExecuteReply {
        status: ReplyStatus::Aborted,
        execution_count: ExecutionCount::new(history.count()),
        ..Default::default()
    })
}

/// A comm for a target this kernel does not have (it has none): closed at once, as
/// ipykernel does, so the frontend does not wait on it.
pub async fn refuse_comm(iopub: &IoPub, message: &JupyterMessage, open: &CommOpen) {
    let close = CommClose {
        comm_id: open.comm_id.clone(),
        data: Default::default(),
    };
    publish(iopub, message, JupyterMessageContent::CommClose(close)).await;
}

/// Sends the executor a job that answers with an optional value, and waits for the answer
/// (`None` also when the session is gone).
async fn ask<T>(
    jobs: &crossbeam_channel::Sender<Job>,
    job: impl FnOnce(tokio::sync::oneshot::Sender<Option<T>>) -> Job,
) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    jobs.send(job(tx)).ok()?;
    rx.await.ok().flatten()
}

/// Jupyter counts cursor positions in Unicode code points; evcxr in bytes.
fn char_to_byte(code: &str, chars: usize) -> usize {
    code.char_indices()
        .nth(chars)
        .map_or(code.len(), |(b, _)| b)
}

fn byte_to_char(code: &str, byte: usize) -> usize {
    code[..byte.min(code.len())].chars().count()
}

/// Completion candidates, with their kinds in `_jupyter_types_experimental` (JupyterLab shows
/// an icon per kind), as evcxr's own Jupyter kernel does.
pub async fn complete(
    code: &str,
    cursor: usize,
    jobs: &crossbeam_channel::Sender<Job>,
) -> JupyterMessageContent {
    let byte_pos = char_to_byte(code, cursor);
    let found = ask(jobs, |reply| Job::Complete {
        code: code.to_string(),
        byte_pos,
        reply,
    })
    .await;
    let (items, start, end) = found.map_or((Vec::new(), byte_pos, byte_pos), |c| {
        (c.items, c.start, c.end)
    });
    let (cursor_start, cursor_end) = (byte_to_char(code, start), byte_to_char(code, end));
    let types: Vec<_> = items
        .iter()
        .map(|(text, kind)| {
            serde_json::json!({
                "text": text, "type": kind, "start": cursor_start, "end": cursor_end,
            })
        })
        .collect();
    let mut metadata = serde_json::Map::new();
    metadata.insert("_jupyter_types_experimental".into(), types.into());
    JupyterMessageContent::CompleteReply(CompleteReply {
        matches: items.into_iter().map(|(text, _)| text).collect(),
        cursor_start,
        cursor_end,
        metadata,
        status: ReplyStatus::Ok,
        error: None,
    })
}

/// rust-analyzer's hover: plain text in `text/plain`, the rendered Markdown in `text/html`
/// (JupyterLab shows the richest; a console shows the plain text).
pub async fn inspect(
    code: &str,
    cursor: usize,
    jobs: &crossbeam_channel::Sender<Job>,
) -> JupyterMessageContent {
    let hover = ask(jobs, |reply| Job::Inspect {
        code: code.to_string(),
        byte_pos: char_to_byte(code, cursor),
        reply,
    })
    .await;
    let data: Media = match &hover {
        Some(h) => {
            let mut bundle = serde_json::json!({ "text/plain": h.plain });
            if !h.html.trim().is_empty() {
                bundle["text/html"] = h.html.clone().into();
            }
            serde_json::from_value(bundle).unwrap_or_default()
        }
        None => Media::default(),
    };
    JupyterMessageContent::InspectReply(InspectReply {
        status: ReplyStatus::Ok,
        found: hover.is_some(),
        data,
        metadata: Default::default(),
        error: None,
    })
}

/// kernel_info: Rust, protocol 5.3. No `nbconvert_exporter`: nbconvert has no "rust"
/// exporter, and without one `nbconvert --to script` writes the cells to a `.rs` file (from
/// `file_extension`).
pub fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: "5.3".into(),
        implementation: "ferrokeras".into(),
        implementation_version: env!("CARGO_PKG_VERSION").into(),
        language_info: LanguageInfo {
            name: "rust".into(),
            version: rustc_version(),
            mimetype: Some("text/rust".into()),
            file_extension: Some(".rs".into()),
            pygments_lexer: Some("rust".into()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".into())),
            nbconvert_exporter: None,
        },
        banner: "ferrokeras: Rust with Keras-style deep learning on libtorch".into(),
        help_links: Vec::new(),
        debugger: false,
        error: None,
    }
}

/// The toolchain's version, asked of `rustc` once: kernel_info is requested by every client
/// that connects (and repeatedly while it waits for the kernel).
fn rustc_version() -> String {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION
        .get_or_init(|| {
            std::process::Command::new("rustc")
                .arg("--version")
                .output()
                .ok()
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .and_then(|s| s.split_whitespace().nth(1).map(str::to_string))
                .unwrap_or_else(|| "unknown".into())
        })
        .clone()
}
