//! The forwarder thread: turns what the cell process prints (evcxr's stdout and stderr
//! channels) into iopub messages for the request that is running.

use crate::output::{classify, StdoutLine};
use crate::session::{Output, Shared};
use crossbeam_channel::{select, Receiver, Sender};
use jupyter_protocol::{
    DisplayData, JupyterMessageContent, Media, StreamContent, Transient, UpdateDisplayData,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long stdout text is gathered into one `stream` message.
const STREAM_BATCH: Duration = Duration::from_millis(15);

pub(crate) fn forward(
    outputs: evcxr::EvalContextOutputs,
    shared: Arc<Mutex<Shared>>,
    flush: Receiver<Sender<()>>,
    sink: tokio::sync::mpsc::UnboundedSender<Output>,
) {
    let mut stdout_buf = String::new();
    let mut stderr_buf = String::new();
    let send = |content: JupyterMessageContent| {
        if let Some(parent) = shared.lock().unwrap().parent.clone() {
            let _ = sink.send(Output { parent, content });
        }
    };
    let emit_text = |buf: &mut String, stderr: bool| {
        if !buf.is_empty() {
            let text = std::mem::take(buf);
            send(JupyterMessageContent::StreamContent(if stderr {
                StreamContent::stderr(&text)
            } else {
                StreamContent::stdout(&text)
            }));
        }
    };
    let handle_stdout = |line: String, buf: &mut String| match classify(line) {
        StdoutLine::Text(t) => {
            buf.push_str(&t);
            buf.push('\n');
        }
        StdoutLine::Display(d) => {
            emit_text(buf, false);
            let data: Media =
                serde_json::from_value(serde_json::Value::Object(d.data)).unwrap_or_default();
            let content = if d.op == "update" {
                let mut u = UpdateDisplayData::new(data, &d.display_id);
                u.metadata = d.metadata;
                JupyterMessageContent::UpdateDisplayData(u)
            } else {
                let mut dd = DisplayData::new(data);
                dd.metadata = d.metadata;
                dd.transient = Some(Transient {
                    display_id: Some(d.display_id),
                });
                JupyterMessageContent::DisplayData(dd)
            };
            send(content);
        }
        StdoutLine::Panic(p) => {
            shared.lock().unwrap().panic = Some(p.message);
        }
    };
    loop {
        select! {
            recv(outputs.stdout) -> line => match line {
                Ok(line) => handle_stdout(line, &mut stdout_buf),
                Err(_) => break,
            },
            recv(outputs.stderr) -> line => match line {
                Ok(line) => { stderr_buf.push_str(&line); stderr_buf.push('\n'); }
                Err(_) => break,
            },
            recv(flush) -> ack => {
                // evcxr returns only once stdout is drained; stderr comes on its own thread, so
                // give it a moment to arrive.
                std::thread::sleep(Duration::from_millis(5));
                while let Ok(line) = outputs.stdout.try_recv() { handle_stdout(line, &mut stdout_buf); }
                while let Ok(line) = outputs.stderr.try_recv() { stderr_buf.push_str(&line); stderr_buf.push('\n'); }
                emit_text(&mut stdout_buf, false);
                emit_text(&mut stderr_buf, true);
                if let Ok(ack) = ack { let _ = ack.send(()); }
            },
            default(STREAM_BATCH) => {
                emit_text(&mut stdout_buf, false);
                emit_text(&mut stderr_buf, true);
            }
        }
    }
}

/// Waits until the forwarder has sent everything the cell printed so far (`flush` is its
/// flush queue).
pub(crate) fn wait_until_sent(flush: &Sender<Sender<()>>) {
    let (tx, rx) = crossbeam_channel::bounded(1);
    if flush.send(tx).is_ok() {
        let _ = rx.recv_timeout(Duration::from_secs(5));
    }
}
