//! The Jupyter side: ZeroMQ sockets from the connection file, message signing (done by
//! `jupyter-zmq-client`, which verifies every incoming HMAC-SHA256 signature), and the
//! shell, control, heartbeat and iopub loops.

use crate::history::History;
use crate::interrupt::Interrupter;
use crate::is_complete::is_complete;
use crate::requests::{self, kernel_info, publish, IoPub};
use crate::session::{Job, Output};
use anyhow::{Context, Result};
use jupyter_protocol::{
    CommInfoReply, ConnectionInfo, HistoryReply, InterruptReply, JupyterMessage,
    JupyterMessageContent, ReplyStatus, ShutdownReply, Status,
};
use jupyter_zmq_client as zmq;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// When a cell fails, how long the kernel keeps taking shell requests that are on their way
/// before it replies (Run All sends every cell at once, long before the first one ends, so
/// they are already here). Nothing a client sends after seeing the error can be among them:
/// the error reply is sent after this.
const QUEUED_WINDOW: Duration = Duration::from_millis(20);
/// Runs the kernel until a shutdown request.
pub async fn serve(
    info: ConnectionInfo,
    jobs: crossbeam_channel::Sender<Job>,
    interrupter: Arc<Interrupter>,
    (iopub, mut outputs): (IoPub, mpsc::UnboundedReceiver<Output>),
    asks: mpsc::UnboundedReceiver<crate::stdin::Ask>,
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
    // Prompts of cells that read stdin (see `stdin`).
    let stdin = zmq::create_kernel_stdin_connection(&info, &session)
        .await
        .context("binding stdin")?;
    tokio::spawn(crate::stdin::serve(stdin, asks));

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

    let mut shell_state = Shell {
        interrupter: Arc::clone(&interrupter),
        jobs,
        iopub,
        shutdown: shutdown_tx,
        history: History::default(),
    };
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
        // ipykernel's stop_on_error: the cells queued behind a failed one do not run.
        for queued in shell_state.handle(&mut shell, &message, false).await {
            shell_state.handle(&mut shell, &queued, true).await;
        }
    }
    Ok(())
}

/// The shell requests already on their way (see [`QUEUED_WINDOW`]).
async fn queued_requests(shell: &mut zmq::KernelShellConnection) -> Vec<JupyterMessage> {
    let mut queued = Vec::new();
    loop {
        match tokio::time::timeout(QUEUED_WINDOW, shell.read()).await {
            Ok(Ok(message)) => queued.push(message),
            Ok(Err(e)) => eprintln!("ferrokeras: dropped a shell message: {e}"),
            Err(_) => return queued,
        }
    }
}

/// What the shell loop's requests need.
struct Shell {
    interrupter: Arc<Interrupter>,
    jobs: crossbeam_channel::Sender<Job>,
    iopub: IoPub,
    shutdown: mpsc::UnboundedSender<()>,
    history: History,
}

impl Shell {
    /// Replies to one shell request between busy and idle. With `aborting`, an execute request
    /// is answered `aborted` without running. When a cell fails and asks (`stop_on_error`, the
    /// default) that the cells queued behind it be aborted, returns the requests that were
    /// queued, taken before its reply.
    async fn handle(
        &mut self,
        shell: &mut zmq::KernelShellConnection,
        message: &JupyterMessage,
        aborting: bool,
    ) -> Vec<JupyterMessage> {
        let iopub = &self.iopub;
        let runs_a_cell = matches!(message.content, JupyterMessageContent::ExecuteRequest(_));
        if runs_a_cell && !aborting {
            // Before "busy": from then on the client may interrupt this cell.
            self.interrupter.request_started();
        }
        publish(iopub, message, Status::busy().into()).await;
        let mut queued = Vec::new();
        let reply = match &message.content {
            JupyterMessageContent::KernelInfoRequest(_) => Some(
                JupyterMessageContent::KernelInfoReply(Box::new(kernel_info())),
            ),
            JupyterMessageContent::ExecuteRequest(_) if aborting => {
                Some(requests::aborted(&self.history))
            }
            JupyterMessageContent::ExecuteRequest(req) => {
                let (reply, failed) =
                    requests::execute(req, message, &self.jobs, iopub, &mut self.history).await;
                self.interrupter.request_finished();
                if failed && req.stop_on_error {
                    queued = queued_requests(shell).await;
                }
                Some(reply)
            }
            JupyterMessageContent::IsCompleteRequest(req) => Some(
                JupyterMessageContent::IsCompleteReply(is_complete(&req.code)),
            ),
            JupyterMessageContent::CompleteRequest(req) => {
                Some(requests::complete(&req.code, req.cursor_pos, &self.jobs).await)
            }
            JupyterMessageContent::InspectRequest(req) => {
                Some(requests::inspect(&req.code, req.cursor_pos, &self.jobs).await)
            }
            JupyterMessageContent::CommInfoRequest(_) => {
                Some(JupyterMessageContent::CommInfoReply(CommInfoReply {
                    status: ReplyStatus::Ok,
                    comms: Default::default(),
                    error: None,
                }))
            }
            JupyterMessageContent::CommOpen(open) => {
                requests::refuse_comm(iopub, message, open).await;
                None
            }
            JupyterMessageContent::HistoryRequest(req) => Some(
                JupyterMessageContent::HistoryReply(HistoryReply::new(self.history.reply(req))),
            ),
            JupyterMessageContent::ShutdownRequest(req) => {
                let _ = self.shutdown.send(());
                Some(JupyterMessageContent::ShutdownReply(ShutdownReply {
                    restart: req.restart,
                    status: ReplyStatus::Ok,
                    error: None,
                }))
            }
            _ => None,
        };
        if let Some(reply) = reply {
            let _ = shell.send(JupyterMessage::new(reply, Some(message))).await;
        }
        publish(iopub, message, Status::idle().into()).await;
        queued
    }
}
