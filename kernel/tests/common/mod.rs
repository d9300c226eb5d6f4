//! A test harness that starts the real kernel binary with a connection file and talks to it
//! over real ZeroMQ sockets, as a Jupyter client does.
#![allow(dead_code)]

use jupyter_protocol::{
    ConnectionInfo, DisplayData, ErrorOutput, ExecuteReply, ExecuteRequest, ExecuteResult,
    InputReply, InputRequest, InterruptRequest, JupyterMessage, JupyterMessageContent,
    KernelInfoRequest, Transport, UpdateDisplayData,
};
use jupyter_zmq_client as zmq;
use std::process::{Child, Command};
use std::time::Duration;
use tokio::time::timeout;

pub struct TestKernel {
    pub info: ConnectionInfo,
    child: Child,
    _dir: tempfile::TempDir,
    pub shell: zmq::ClientShellConnection,
    pub iopub: zmq::ClientIoPubConnection,
    pub control: zmq::ClientControlConnection,
    /// The stdin socket, with the shell's identity (so the kernel's input requests for this
    /// client's cells reach it).
    pub stdin: zmq::ClientStdinConnection,
    session: String,
}

/// Everything a cell produced.
#[derive(Debug, Default)]
pub struct CellRun {
    pub reply: Option<ExecuteReply>,
    pub stdout: String,
    pub stderr: String,
    pub results: Vec<ExecuteResult>,
    pub displays: Vec<DisplayData>,
    pub updates: Vec<UpdateDisplayData>,
    pub errors: Vec<ErrorOutput>,
    pub statuses: Vec<String>,
}

impl CellRun {
    pub fn ok(&self) -> bool {
        self.reply
            .as_ref()
            .is_some_and(|r| matches!(r.status, jupyter_protocol::ReplyStatus::Ok))
    }
    /// The `text/plain` of the execute_result.
    pub fn result_text(&self) -> Option<String> {
        self.results
            .first()
            .and_then(|r| media_text(&r.data, "text/plain"))
    }
}

pub fn media_text(media: &jupyter_protocol::Media, mime: &str) -> Option<String> {
    let v = serde_json::to_value(media).ok()?;
    v.get(mime).and_then(|t| t.as_str().map(str::to_string))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TestKernel {
    /// Starts the kernel, on its own (no standby session), and waits until it answers
    /// kernel_info and its iopub is connected.
    pub async fn start() -> TestKernel {
        Self::start_with(&[("FERROKERAS_STANDBY", "0")], None).await
    }

    /// [`TestKernel::start`] with extra environment variables and a working directory.
    pub async fn start_with(env: &[(&str, &str)], cwd: Option<&std::path::Path>) -> TestKernel {
        // Free ports are picked, then released for the kernel to bind: a process elsewhere on
        // the machine may take one in between, and the kernel then exits at once. Try again
        // with other ports.
        for _ in 0..5 {
            let (dir, info, mut child) = Self::spawn(env, cwd);
            // Give the kernel a moment to bind before connecting.
            tokio::time::sleep(Duration::from_millis(300)).await;
            if child.try_wait().unwrap().is_some() {
                continue;
            }
            return Self::connect(dir, info, child).await;
        }
        panic!("the kernel exited at start five times");
    }

    fn spawn(
        env: &[(&str, &str)],
        cwd: Option<&std::path::Path>,
    ) -> (tempfile::TempDir, ConnectionInfo, Child) {
        let dir = tempfile::tempdir().unwrap();
        let info = ConnectionInfo {
            ip: "127.0.0.1".into(),
            transport: Transport::TCP,
            shell_port: free_port(),
            iopub_port: free_port(),
            stdin_port: free_port(),
            control_port: free_port(),
            hb_port: free_port(),
            key: uuid::Uuid::new_v4().to_string(),
            signature_scheme: "hmac-sha256".into(),
            kernel_name: Some("ferrokeras".into()),
        };
        let file = dir.path().join("connection.json");
        std::fs::write(&file, serde_json::to_string(&info).unwrap()).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferrokeras-kernel"));
        command
            .arg("--connection-file")
            .arg(&file)
            .env("FERROKERAS_INTERRUPT_GRACE_MS", "3000")
            .envs(env.iter().copied());
        if let Some(cwd) = cwd {
            command.current_dir(cwd);
        }
        let child = command.spawn().expect("start kernel");
        (dir, info, child)
    }

    async fn connect(dir: tempfile::TempDir, info: ConnectionInfo, child: Child) -> TestKernel {
        let session = uuid::Uuid::new_v4().to_string();
        let identity = zmq::peer_identity_for_session(&session).unwrap();
        let shell =
            zmq::create_client_shell_connection_with_identity(&info, &session, identity.clone())
                .await
                .unwrap();
        let stdin = zmq::create_client_stdin_connection_with_identity(&info, &session, identity)
            .await
            .unwrap();
        let iopub = zmq::create_client_iopub_connection(&info, "", &session)
            .await
            .unwrap();
        let control = zmq::create_client_control_connection(&info, &session)
            .await
            .unwrap();
        let mut kernel = TestKernel {
            info,
            child,
            _dir: dir,
            shell,
            iopub,
            control,
            stdin,
            session,
        };
        kernel.wait_ready().await;
        kernel
    }

    async fn wait_ready(&mut self) {
        for _ in 0..100 {
            let request = JupyterMessage::new(KernelInfoRequest {}, None);
            let id = request.header.msg_id.clone();
            self.shell.send(request).await.unwrap();
            let reply = timeout(Duration::from_secs(30), self.shell.read()).await;
            assert!(reply.is_ok(), "no kernel_info reply");
            // iopub is ready once the status messages for this request arrive.
            let got_status = timeout(Duration::from_millis(500), async {
                loop {
                    let m = self.iopub.read().await.unwrap();
                    if m.parent_header.as_ref().is_some_and(|h| h.msg_id == id) {
                        return;
                    }
                }
            })
            .await;
            if got_status.is_ok() {
                // Drain the rest of this request's messages.
                let _ = timeout(Duration::from_millis(200), async {
                    loop {
                        let _ = self.iopub.read().await;
                    }
                })
                .await;
                return;
            }
        }
        panic!("iopub never connected");
    }

    /// Sends an execute request without waiting.
    pub async fn send_execute(&mut self, code: &str) -> String {
        self.send_request(ExecuteRequest::new(code.to_string()))
            .await
    }

    /// Sends an execute request that allows input requests (as JupyterLab does), without
    /// waiting.
    pub async fn send_execute_with_input(&mut self, code: &str) -> String {
        let mut request = ExecuteRequest::new(code.to_string());
        request.allow_stdin = true;
        self.send_request(request).await
    }

    /// The next input request on the stdin socket, within `limit`, and its parent's id.
    pub async fn input_request(&mut self, limit: Duration) -> (InputRequest, String) {
        let message = timeout(limit, self.stdin.read())
            .await
            .expect("no input_request")
            .unwrap();
        let parent = message.parent_header.map(|h| h.msg_id).unwrap_or_default();
        match message.content {
            JupyterMessageContent::InputRequest(request) => (request, parent),
            other => panic!("not an input_request: {other:?}"),
        }
    }

    /// Answers the input request, as a front end does when the user presses Enter.
    pub async fn input_reply(&mut self, value: &str) {
        let reply = InputReply {
            value: value.to_string(),
            ..Default::default()
        };
        self.stdin
            .send(JupyterMessage::new(reply, None))
            .await
            .unwrap();
    }

    /// Sends any shell request without waiting; its message id.
    pub async fn send_request(&mut self, content: impl Into<JupyterMessageContent>) -> String {
        let request = JupyterMessage::new(content, None);
        let id = request.header.msg_id.clone();
        self.shell.send(request).await.unwrap();
        id
    }

    /// The shell reply to the last request sent, within `limit`.
    pub async fn reply(&mut self, limit: Duration) -> JupyterMessage {
        timeout(limit, self.shell.read())
            .await
            .expect("no shell reply")
            .unwrap()
    }

    /// Collects the outputs of request `id` until its status goes idle, and its reply.
    pub async fn collect(&mut self, id: &str, limit: Duration) -> CellRun {
        self.finish(id, CellRun::default(), limit).await
    }

    /// Collects the outputs of request `id` until its stdout contains `text` (the cell is
    /// still running); go on with [`TestKernel::finish`].
    pub async fn wait_for_stdout(&mut self, id: &str, text: &str, limit: Duration) -> CellRun {
        self.wait_for(id, limit, |run| run.stdout.contains(text))
            .await
    }

    /// Collects the outputs of request `id` until `enough` holds of them; go on with
    /// [`TestKernel::finish`].
    pub async fn wait_for(
        &mut self,
        id: &str,
        limit: Duration,
        enough: impl Fn(&CellRun) -> bool,
    ) -> CellRun {
        let mut run = CellRun::default();
        let done = self.read_outputs(id, &mut run, limit, enough).await;
        assert!(done, "not there within {limit:?}: {run:?}");
        run
    }

    /// Goes on collecting `run`, the outputs of request `id`, until its status goes idle, and
    /// reads its reply.
    pub async fn finish(&mut self, id: &str, mut run: CellRun, limit: Duration) -> CellRun {
        let idle = |run: &CellRun| run.statuses.last().is_some_and(|s| s.contains("idle"));
        let done = self.read_outputs(id, &mut run, limit, idle).await;
        assert!(done, "cell did not finish within {limit:?}: {run:?}");
        let reply = timeout(Duration::from_secs(10), self.shell.read())
            .await
            .expect("no execute_reply")
            .unwrap();
        if let JupyterMessageContent::ExecuteReply(r) = reply.content {
            run.reply = Some(r);
        }
        run
    }

    /// Reads request `id`'s iopub messages into `run` until `enough(run)`; false on timeout.
    async fn read_outputs(
        &mut self,
        id: &str,
        run: &mut CellRun,
        limit: Duration,
        enough: impl Fn(&CellRun) -> bool,
    ) -> bool {
        timeout(limit, async {
            while !enough(run) {
                let m = self.iopub.read().await.unwrap();
                if m.parent_header.as_ref().is_none_or(|h| h.msg_id != id) {
                    continue;
                }
                match m.content {
                    JupyterMessageContent::StreamContent(s) => {
                        let text = s.text.clone();
                        if format!("{:?}", s.name).to_lowercase().contains("stderr") {
                            run.stderr.push_str(&text)
                        } else {
                            run.stdout.push_str(&text)
                        }
                    }
                    JupyterMessageContent::ExecuteResult(r) => run.results.push(r),
                    JupyterMessageContent::DisplayData(d) => run.displays.push(d),
                    JupyterMessageContent::UpdateDisplayData(u) => run.updates.push(u),
                    JupyterMessageContent::ErrorOutput(e) => run.errors.push(e),
                    JupyterMessageContent::Status(s) => {
                        run.statuses
                            .push(format!("{:?}", s.execution_state).to_lowercase());
                    }
                    _ => {}
                }
            }
        })
        .await
        .is_ok()
    }

    /// Runs a cell and collects everything it produced.
    pub async fn execute(&mut self, code: &str) -> CellRun {
        let id = self.send_execute(code).await;
        self.collect(&id, Duration::from_secs(300)).await
    }

    pub async fn interrupt(&mut self) {
        let request = JupyterMessage::new(InterruptRequest {}, None);
        self.control.send(request).await.unwrap();
        let reply = timeout(Duration::from_secs(10), self.control.read())
            .await
            .expect("no interrupt_reply")
            .unwrap();
        assert_eq!(reply.header.msg_type, "interrupt_reply");
    }

    pub fn session(&self) -> &str {
        &self.session
    }
}

impl Drop for TestKernel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
