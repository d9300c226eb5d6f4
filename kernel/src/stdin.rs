//! Input for cells: a cell that reads stdin (`std::io::stdin()`, the prelude's `input()`)
//! prompts the user through Jupyter's stdin channel.
//!
//! evcxr (patched, see `kernel/vendor-evcxr/PATCHES.md`, patch 8) calls `stdin_reader` when
//! the cell's code waits reading stdin. If the execute request allows input, an
//! `input_request` goes to the client that sent it (the stdin socket is a ROUTER: the
//! request carries the execute request's identities and header) and the cell gets the value
//! of its `input_reply`. Otherwise, or when the user interrupts the wait, the cell's read
//! sees the end of input, and the reply to the execute request says why the cell failed.

use crate::interrupt::Interrupter;
use crate::session::Outcome;
use jupyter_protocol::{InputRequest, JupyterMessage, JupyterMessageContent};
use jupyter_zmq_client as zmq;
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// One prompt for the stdin task.
pub struct Ask {
    /// The execute request whose cell reads.
    parent: JupyterMessage,
    prompt: String,
    password: bool,
    /// Fires when the user interrupts the cell: the wait ends without a value.
    cancel: oneshot::Receiver<()>,
    /// The value typed, or `None` (interrupted, or the client is gone).
    answer: oneshot::Sender<Option<String>>,
}

/// The executor's handle on the stdin task (which owns the socket, in the server).
#[derive(Clone)]
pub struct Prompter(mpsc::UnboundedSender<Ask>);

/// A prompter and the queue of its prompts, for [`serve`]. Prompts wait in the queue until
/// the kernel serves a connection (a standby session is started before it has one).
pub fn channel() -> (Prompter, mpsc::UnboundedReceiver<Ask>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Prompter(tx), rx)
}

/// Answers the prompts on the stdin socket, one at a time (only the running cell reads).
pub async fn serve(mut socket: zmq::KernelStdinConnection, mut asks: mpsc::UnboundedReceiver<Ask>) {
    while let Some(mut ask) = asks.recv().await {
        // A reply typed for an earlier prompt that was interrupted is not for this one
        // (ipykernel drops them the same way).
        while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(1), socket.read()).await {}
        let request = JupyterMessage::new(
            InputRequest {
                prompt: ask.prompt.clone(),
                password: ask.password,
            },
            Some(&ask.parent),
        );
        if let Err(e) = socket.send(request).await {
            eprintln!("ferrokeras: input_request not sent: {e}");
            let _ = ask.answer.send(None);
            continue;
        }
        let value = tokio::select! {
            value = input_reply(&mut socket) => value,
            _ = &mut ask.cancel => None,
        };
        let _ = ask.answer.send(value);
    }
}

/// The value of the next `input_reply` (clients send it without a parent header, so the
/// next one is the answer); `None` when the socket keeps failing.
async fn input_reply(socket: &mut zmq::KernelStdinConnection) -> Option<String> {
    // A badly signed or malformed message is ignored, as on the other sockets; a socket that
    // only fails (closed under us) must not keep this loop spinning.
    const MAX_FAILURES_IN_A_ROW: u32 = 100;
    let mut failures = 0;
    while failures < MAX_FAILURES_IN_A_ROW {
        match socket.read().await {
            Ok(JupyterMessage {
                content: JupyterMessageContent::InputReply(reply),
                ..
            }) => return Some(reply.value),
            Ok(_) => failures = 0,
            Err(e) => {
                failures += 1;
                eprintln!("ferrokeras: dropped a stdin message: {e}");
            }
        }
    }
    None
}

/// How a cell's reads of stdin went, for its reply.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum Ending {
    #[default]
    Answered,
    /// The execute request had `allow_stdin: false`: the read saw the end of input.
    NotAllowed,
    /// The user interrupted a wait for input: the read saw the end of input.
    Interrupted,
}

/// The stdin of one cell: what evcxr's `stdin_reader` calls.
pub struct CellInput<'a> {
    parent: &'a JupyterMessage,
    prompter: &'a Prompter,
    interrupter: &'a Arc<Interrupter>,
    /// Sends the cell's output so far to iopub, before the prompt.
    flush: &'a dyn Fn(),
    ending: Cell<Ending>,
}

impl<'a> CellInput<'a> {
    pub fn new(
        parent: &'a JupyterMessage,
        prompter: &'a Prompter,
        interrupter: &'a Arc<Interrupter>,
        flush: &'a dyn Fn(),
    ) -> Self {
        Self {
            parent,
            prompter,
            interrupter,
            flush,
            ending: Cell::default(),
        }
    }

    /// The line the user typed (without its newline), or `None`: the read sees the end of
    /// input.
    pub fn read(&self, prompt: &str, password: bool) -> Option<String> {
        let allowed = matches!(
            &self.parent.content,
            JupyterMessageContent::ExecuteRequest(r) if r.allow_stdin
        );
        if !allowed {
            self.ending.set(Ending::NotAllowed);
            return None;
        }
        (self.flush)();
        let (cancel_tx, cancel) = oneshot::channel();
        if !self.interrupter.input_wait_started(cancel_tx) {
            self.ending.set(Ending::Interrupted);
            return None;
        }
        let (answer, answered) = oneshot::channel();
        let sent = self.prompter.0.send(Ask {
            parent: self.parent.clone(),
            prompt: prompt.to_string(),
            password,
            cancel,
            answer,
        });
        // The stdin task answers every prompt it takes; without it (a warm-up run), none.
        let value = sent
            .ok()
            .and_then(|()| answered.blocking_recv().ok().flatten());
        if self.interrupter.input_wait_finished() {
            self.ending.set(Ending::Interrupted);
            return None;
        }
        value
    }

    /// The cell's outcome, made an error when a read got no input because of the front end
    /// or an interrupt (as ipykernel raises `StdinNotImplementedError` or
    /// `KeyboardInterrupt` in `input()`), even if the cell went on after its end of input.
    pub fn outcome(&self, outcome: Outcome) -> Outcome {
        match self.ending.get() {
            Ending::Answered => outcome,
            Ending::NotAllowed => {
                let evalue = "the cell read stdin, but this front end does not support input requests (allow_stdin is false)".to_string();
                let mut traceback = vec![evalue.clone()];
                if let Outcome::Error { ename, evalue, .. } = &outcome {
                    traceback.push(format!("after the end of input: {ename}: {evalue}"));
                }
                Outcome::Error {
                    ename: "StdinNotImplementedError".into(),
                    evalue,
                    traceback,
                }
            }
            // The cell may have ended by itself with its own error (the prelude's `input()`
            // returns `Error::Interrupted`): that one says more.
            Ending::Interrupted if matches!(outcome, Outcome::Error { .. }) => outcome,
            Ending::Interrupted => {
                let evalue = "interrupted while the cell waited for input".to_string();
                Outcome::Error {
                    ename: "KeyboardInterrupt".into(),
                    evalue: evalue.clone(),
                    traceback: vec![
                        evalue,
                        "The read saw the end of input; the cell's variables are kept.".into(),
                    ],
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jupyter_protocol::ExecuteRequest;

    fn request(allow_stdin: bool) -> JupyterMessage {
        let mut r = ExecuteRequest::new("x".into());
        r.allow_stdin = allow_stdin;
        JupyterMessage::new(r, None)
    }

    fn interrupter() -> (tempfile::TempDir, Arc<Interrupter>) {
        let dir = tempfile::tempdir().unwrap();
        let i = Interrupter::new(dir.path().join("flag"), Duration::from_secs(60));
        (dir, i)
    }

    #[test]
    fn no_prompt_without_allow_stdin_and_the_cell_fails() {
        let (_dir, i) = interrupter();
        let (prompter, mut asks) = channel();
        let parent = request(false);
        let input = CellInput::new(&parent, &prompter, &i, &|| {});
        assert_eq!(input.read("Name: ", false), None);
        assert!(asks.try_recv().is_err(), "no input_request may be sent");
        let Outcome::Error { ename, .. } = input.outcome(Outcome::Ok(Default::default())) else {
            panic!("the cell must fail");
        };
        assert_eq!(ename, "StdinNotImplementedError");
    }

    /// The stdin task's answer is what the read gets; an interrupt ends the wait with none,
    /// and the cell that went on after its end of input fails with KeyboardInterrupt.
    #[test]
    fn answer_or_interrupt() {
        let (_dir, i) = interrupter();
        let (prompter, mut asks) = channel();
        let answering = std::thread::spawn(move || {
            let ask = asks.blocking_recv().unwrap();
            assert_eq!(ask.prompt, "Name: ");
            ask.answer.send(Some("Ada".into())).unwrap();
            let ask = asks.blocking_recv().unwrap();
            // What the stdin task does when the cancel fires.
            let mut cancel = ask.cancel;
            while cancel.try_recv().is_err() {
                std::thread::sleep(Duration::from_millis(5));
            }
            ask.answer.send(None).unwrap();
        });
        let parent = request(true);
        i.cell_started(1);
        i.code_started();
        let input = CellInput::new(&parent, &prompter, &i, &|| {});
        assert_eq!(input.read("Name: ", false).as_deref(), Some("Ada"));
        let ok = input.outcome(Outcome::Ok(Default::default()));
        assert!(matches!(ok, Outcome::Ok(_)));
        let interrupting = {
            let i = Arc::clone(&i);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                i.interrupt();
            })
        };
        assert_eq!(input.read("Again: ", false), None);
        interrupting.join().unwrap();
        answering.join().unwrap();
        let Outcome::Error { ename, .. } = input.outcome(Outcome::Ok(Default::default())) else {
            panic!("the interrupted cell must fail");
        };
        assert_eq!(ename, "KeyboardInterrupt");
        assert!(!i.cell_finished(), "a wait for input is not killed");
    }
}
