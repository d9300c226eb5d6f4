//! The Jupyter side: ZeroMQ sockets from the connection file, message signing (done by
//! `jupyter-zmq-client`, which verifies every incoming HMAC-SHA256 signature), and the
//! shell, control, heartbeat and iopub loops.

use crate::interrupt::Interrupter;
use crate::is_complete::is_complete;
use crate::session::{Job, Outcome, Output};
use anyhow::{Context, Result};
use jupyter_protocol::{
    CodeMirrorMode, CommInfoReply, CompleteReply, ConnectionInfo, ErrorOutput, ExecuteInput,
    ExecuteReply, ExecuteRequest, ExecuteResult, ExecutionCount, HistoryReply, InspectReply,
    InterruptReply, JupyterMessage, JupyterMessageContent, KernelInfoReply, LanguageInfo, Media,
    ReplyError, ReplyStatus, ShutdownReply, Status,
};
use jupyter_zmq_client as zmq;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Everything bound for iopub goes through one queue, drained by one task, so messages leave
/// in the order they were produced: a cell's last output always precedes its result and idle.
type IoPub = mpsc::UnboundedSender<Output>;

/// Runs the kernel until a shutdown request.
pub async fn serve(
    info: ConnectionInfo,
    jobs: crossbeam_channel::Sender<Job>,
    interrupter: Arc<Interrupter>,
    iopub: IoPub,
    mut outputs: mpsc::UnboundedReceiver<Output>,
) -> Result<()> {
    let session = uuid::Uuid::new_v4().to_string();
    let mut iopub_socket = zmq::create_kernel_iopub_connection(&info, &session)
        .await
        .context("binding iopub")?;
    let mut shell = zmq::create_kernel_shell_connection(&info, &session)
        .await
        .context("binding shell")?;
    let mut control = zmq::create_kernel_control_connection(&info, &session)
        .await
        .context("binding control")?;
    let mut heartbeat = zmq::create_kernel_heartbeat_connection(&info)
        .await
        .context("binding heartbeat")?;
    // The stdin socket is bound so clients can connect; cells do not read input.
    let _stdin = zmq::create_kernel_stdin_connection(&info, &session)
        .await
        .context("binding stdin")?;

    tokio::spawn(async move { while heartbeat.single_heartbeat().await.is_ok() {} });

    tokio::spawn(async move {
        while let Some(out) = outputs.recv().await {
            let message = JupyterMessage::new(out.content, Some(&out.parent));
            if let Err(e) = iopub_socket.send(message).await {
                eprintln!("ferrokeras: iopub send failed: {e}");
            }
        }
    });

    // SIGINT (Ctrl-C, or a client using signal interrupts) interrupts like a message does.
    {
        let interrupter = Arc::clone(&interrupter);
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                interrupter.interrupt();
            }
        });
    }

    let (shutdown_tx, mut shutdown_rx) = mpsc::unbounded_channel::<()>();
    {
        let iopub = iopub.clone();
        let interrupter = Arc::clone(&interrupter);
        let shutdown_tx = shutdown_tx.clone();
        tokio::spawn(async move {
            loop {
                let message = match control.read().await {
                    Ok(m) => m,
                    Err(e) => {
                        eprintln!("ferrokeras: dropped a control message: {e}");
                        continue;
                    }
                };
                let reply = match &message.content {
                    JupyterMessageContent::InterruptRequest(_) => {
                        interrupter.interrupt();
                        Some(JupyterMessageContent::InterruptReply(
                            InterruptReply::default(),
                        ))
                    }
                    JupyterMessageContent::ShutdownRequest(req) => {
                        publish(&iopub, &message, Status::busy().into()).await;
                        let reply = ShutdownReply {
                            restart: req.restart,
                            status: ReplyStatus::Ok,
                            error: None,
                        };
                        let _ = control
                            .send(JupyterMessage::new(
                                JupyterMessageContent::ShutdownReply(reply),
                                Some(&message),
                            ))
                            .await;
                        publish(&iopub, &message, Status::idle().into()).await;
                        let _ = shutdown_tx.send(());
                        None
                    }
                    JupyterMessageContent::KernelInfoRequest(_) => Some(
                        JupyterMessageContent::KernelInfoReply(Box::new(kernel_info())),
                    ),
                    _ => None,
                };
                if let Some(reply) = reply {
                    let _ = control
                        .send(JupyterMessage::new(reply, Some(&message)))
                        .await;
                }
            }
        });
    }

    let mut count = 0usize;
    loop {
        let message = tokio::select! {
            m = shell.read() => m,
            _ = shutdown_rx.recv() => break,
        };
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                // A bad or missing signature lands here: log it and never act on the message.
                eprintln!("ferrokeras: dropped a shell message: {e}");
                continue;
            }
        };
        publish(&iopub, &message, Status::busy().into()).await;
        let reply = match &message.content {
            JupyterMessageContent::KernelInfoRequest(_) => Some(
                JupyterMessageContent::KernelInfoReply(Box::new(kernel_info())),
            ),
            JupyterMessageContent::ExecuteRequest(req) => {
                Some(execute(req, &message, &jobs, &iopub, &mut count).await)
            }
            JupyterMessageContent::IsCompleteRequest(req) => Some(
                JupyterMessageContent::IsCompleteReply(is_complete(&req.code)),
            ),
            JupyterMessageContent::CompleteRequest(req) => {
                Some(complete(&req.code, req.cursor_pos, &jobs).await)
            }
            JupyterMessageContent::InspectRequest(req) => {
                Some(inspect(&req.code, req.cursor_pos, &jobs).await)
            }
            JupyterMessageContent::CommInfoRequest(_) => {
                Some(JupyterMessageContent::CommInfoReply(CommInfoReply {
                    status: ReplyStatus::Ok,
                    comms: Default::default(),
                    error: None,
                }))
            }
            JupyterMessageContent::HistoryRequest(_) => Some(JupyterMessageContent::HistoryReply(
                HistoryReply::new(Vec::new()),
            )),
            JupyterMessageContent::ShutdownRequest(req) => {
                let _ = shutdown_tx.send(());
                Some(JupyterMessageContent::ShutdownReply(ShutdownReply {
                    restart: req.restart,
                    status: ReplyStatus::Ok,
                    error: None,
                }))
            }
            _ => None,
        };
        if let Some(reply) = reply {
            let _ = shell.send(JupyterMessage::new(reply, Some(&message))).await;
        }
        publish(&iopub, &message, Status::idle().into()).await;
    }
    Ok(())
}

async fn publish(iopub: &IoPub, parent: &JupyterMessage, content: JupyterMessageContent) {
    let _ = iopub.send(Output {
        parent: parent.clone(),
        content,
    });
}

async fn execute(
    req: &ExecuteRequest,
    message: &JupyterMessage,
    jobs: &crossbeam_channel::Sender<Job>,
    iopub: &IoPub,
    count: &mut usize,
) -> JupyterMessageContent {
    if !req.silent && req.store_history {
        *count += 1;
    }
    let execution_count = ExecutionCount::new(*count);
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
            JupyterMessageContent::ExecuteReply(ExecuteReply {
                execution_count,
                ..Default::default()
            })
        }
        Outcome::Error {
            ename,
            evalue,
            traceback,
        } => {
            publish(
                iopub,
                message,
                JupyterMessageContent::ErrorOutput(ErrorOutput {
                    ename: ename.clone(),
                    evalue: evalue.clone(),
                    traceback: traceback.clone(),
                }),
            )
            .await;
            JupyterMessageContent::ExecuteReply(ExecuteReply {
                status: ReplyStatus::Error,
                execution_count,
                error: Some(Box::new(ReplyError {
                    ename,
                    evalue,
                    traceback,
                })),
                ..Default::default()
            })
        }
    }
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

async fn complete(
    code: &str,
    cursor: usize,
    jobs: &crossbeam_channel::Sender<Job>,
) -> JupyterMessageContent {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let byte_pos = char_to_byte(code, cursor);
    let _ = jobs.send(Job::Complete {
        code: code.to_string(),
        byte_pos,
        reply: tx,
    });
    let (matches, start, end) = rx
        .await
        .ok()
        .flatten()
        .unwrap_or((Vec::new(), byte_pos, byte_pos));
    JupyterMessageContent::CompleteReply(CompleteReply {
        matches,
        cursor_start: byte_to_char(code, start),
        cursor_end: byte_to_char(code, end),
        metadata: Default::default(),
        status: ReplyStatus::Ok,
        error: None,
    })
}

async fn inspect(
    code: &str,
    cursor: usize,
    jobs: &crossbeam_channel::Sender<Job>,
) -> JupyterMessageContent {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let _ = jobs.send(Job::Inspect {
        code: code.to_string(),
        byte_pos: char_to_byte(code, cursor),
        reply: tx,
    });
    let text = rx.await.ok().flatten();
    let data: Media = match &text {
        Some(t) => {
            serde_json::from_value(serde_json::json!({ "text/plain": t })).unwrap_or_default()
        }
        None => Media::default(),
    };
    JupyterMessageContent::InspectReply(InspectReply {
        status: ReplyStatus::Ok,
        found: text.is_some(),
        data,
        metadata: Default::default(),
        error: None,
    })
}

/// kernel_info: Rust, protocol 5.3.
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
            nbconvert_exporter: Some("rust".into()),
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
