//! Ending with the Jupyter server that started the kernel.
//!
//! Why: a Jupyter server does not always shut its kernels down before it exits. JupyterHub
//! stops a user's server with SIGINT, and jupyter_server then exits at once, leaving every
//! kernel it started running — each with its cell process and rust-analyzer's memory (measured
//! in the classroom benchmark: every ferrokeras kernel outlived its stopped server). ipykernel
//! polls its parent for the same reason. A process whose parent ended is re-parented, so a
//! changed parent id means the server is gone.

use std::time::Duration;

/// How often the parent is checked.
const POLL: Duration = Duration::from_secs(1);

/// Resolves once the process that started this one has ended.
pub async fn parent_ended() {
    let parent = std::os::unix::process::parent_id();
    loop {
        tokio::time::sleep(POLL).await;
        if std::os::unix::process::parent_id() != parent {
            return;
        }
    }
}
