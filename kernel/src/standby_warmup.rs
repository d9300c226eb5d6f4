//! Keeping a warming standby out of the way of the notebook in use.
//!
//! Why: a standby's warm-up is ~20–30 s of CPU (rust-analyzer loading the prelude's crates). On
//! a 2-core laptop, cells of the notebook that started it ran at half speed meanwhile (median
//! 1.3 s instead of 0.5 s). Lowering its priority with nice would stick: an unprivileged
//! process can raise its niceness but never lower it again, and the standby, once adopted, *is*
//! the next notebook's kernel (its cell process too). So instead the kernel that started it
//! stops it (SIGSTOP) for as long as one of its own cells runs and lets it go on (SIGCONT)
//! between cells; a standby that is ready, or gone, is left alone.
//!
//! A kernel killed in the middle of a cell cannot send the SIGCONT, and a stopped standby
//! would hold the standby lock forever. So the standby is started with SIGCONT as its
//! parent-death signal ([`resume_when_this_thread_ends`]): whenever the thread that started it
//! ends, the kernel resumes it.

use std::path::PathBuf;
use std::process::Child;

/// A standby this kernel started, until it is ready (listening) or has exited.
pub struct WarmingStandby {
    child: Child,
    socket: PathBuf,
}

impl WarmingStandby {
    pub fn new(child: Child, socket: PathBuf) -> Self {
        WarmingStandby { child, socket }
    }

    /// Whether it still warms up: neither listening on its socket nor exited.
    pub fn is_warming(&mut self) -> bool {
        !self.socket.exists() && matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the standby until the returned guard is dropped.
    pub fn pause(&self) -> Paused {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: `kill` has no memory-safety preconditions; the child is not reaped while
        // `self` lives, so `pid` is still this child and not a reused number.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        Paused { pid }
    }
}

/// A stopped standby; resumed on drop.
pub struct Paused {
    pid: libc::pid_t,
}

impl Drop for Paused {
    fn drop(&mut self) {
        // SAFETY: as in `pause`.
        unsafe { libc::kill(self.pid, libc::SIGCONT) };
    }
}

/// Makes the process started by `command` receive SIGCONT when the calling thread ends (the
/// kernel exits or is killed), so that it never stays stopped by [`WarmingStandby::pause`].
pub fn resume_when_this_thread_ends(command: &mut std::process::Command) {
    // SAFETY: the closure runs in the child between fork and exec and only calls `prctl`,
    // which is async-signal-safe.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(command, || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGCONT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn state(pid: u32) -> char {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        // The state follows the command name in parentheses.
        stat.rsplit(')')
            .next()
            .unwrap()
            .trim()
            .chars()
            .next()
            .unwrap()
    }

    fn wait_for_state(pid: u32, wanted: char) -> char {
        for _ in 0..100 {
            if state(pid) == wanted {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        state(pid)
    }

    #[test]
    fn a_paused_standby_is_stopped_until_the_guard_drops() {
        let dir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut standby = WarmingStandby::new(child, dir.path().join("standby.sock"));
        assert!(standby.is_warming());
        let paused = standby.pause();
        assert_eq!(wait_for_state(pid, 'T'), 'T');
        drop(paused);
        assert_eq!(wait_for_state(pid, 'S'), 'S');
        std::fs::write(dir.path().join("standby.sock"), "").unwrap();
        assert!(
            !standby.is_warming(),
            "a standby that listens is not paused any more"
        );
        standby.child.kill().unwrap();
    }

    #[test]
    fn a_standby_left_stopped_resumes_when_its_starter_ends() {
        let dir = tempfile::tempdir().unwrap();
        // The starting thread stops the child and ends without resuming it, as a kernel killed
        // during a cell would.
        let child = std::thread::spawn(|| {
            let mut command = std::process::Command::new("sleep");
            command.arg("30");
            resume_when_this_thread_ends(&mut command);
            let child = command.spawn().unwrap();
            let standby = WarmingStandby::new(child, PathBuf::from("/nonexistent"));
            std::mem::forget(standby.pause());
            assert_eq!(wait_for_state(standby.child.id(), 'T'), 'T');
            standby.child
        })
        .join()
        .unwrap();
        assert_eq!(wait_for_state(child.id(), 'S'), 'S');
        let mut child = child;
        child.kill().unwrap();
        drop(dir);
    }
}
