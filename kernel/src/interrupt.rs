//! Interrupting a running cell without losing the session.
//!
//! An interrupt first creates the flag file that the prelude polls (`ferrokeras::interrupted()`),
//! so a long prelude call (training, dataset iteration) stops after the current batch and the
//! cell returns normally: every variable survives. Only code that never polls is still running
//! after the grace period; then the cell process is killed, evcxr restarts it, and the cell's
//! reply says that the variables were lost. The grace period counts from when the cell's code
//! starts running: an interrupt that comes while the cell compiles leaves the flag up for the
//! code to see when it starts, and its kill timer starts then. A cell that waits for input
//! (see `stdin`) is not killed either: the interrupt ends the wait, the read sees the end of
//! input, and the cell stops by itself (a second interrupt starts the timer).

use std::path::PathBuf;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Shared between the executor (which runs cells) and the control channel (which interrupts).
pub struct Interrupter {
    flag_file: PathBuf,
    grace: Duration,
    /// The id of the cell now running, 0 when idle.
    running: AtomicU64,
    /// The running cell is still compiling (its code has not started).
    compiling: AtomicBool,
    /// The cell whose kill timer has started (so one interrupt starts one timer).
    timed: AtomicU64,
    killed: AtomicBool,
    /// An execute request is being answered (its cell may still wait behind the session's
    /// first rust-analyzer warm-up, so it has not started).
    awaiting: AtomicBool,
    /// An interrupt came for the awaited request before its cell started: it applies to
    /// that cell when it starts.
    pending: AtomicBool,
    process: Mutex<Option<Arc<Mutex<Child>>>>,
    /// While the running cell waits for input: ends the wait (see `stdin::CellInput`).
    input_wait: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Interrupter {
    /// An interrupter using `flag_file` and killing after `grace`.
    pub fn new(flag_file: PathBuf, grace: Duration) -> Arc<Self> {
        Arc::new(Self {
            flag_file,
            grace,
            running: AtomicU64::new(0),
            compiling: AtomicBool::new(false),
            timed: AtomicU64::new(0),
            killed: AtomicBool::new(false),
            awaiting: AtomicBool::new(false),
            pending: AtomicBool::new(false),
            process: Mutex::new(None),
            input_wait: Mutex::new(None),
        })
    }

    /// The cell process to kill when the grace period runs out (valid across restarts).
    pub fn set_process(&self, handle: Arc<Mutex<Child>>) {
        *self.process.lock().unwrap() = Some(handle);
    }

    /// Called by the shell when it takes an execute request, before the session runs it.
    pub fn request_started(&self) {
        self.pending.store(false, Ordering::SeqCst);
        self.awaiting.store(true, Ordering::SeqCst);
    }

    /// Called by the shell once the execute request has its reply.
    pub fn request_finished(&self) {
        self.awaiting.store(false, Ordering::SeqCst);
        self.pending.store(false, Ordering::SeqCst);
    }

    /// Called by the executor before a cell is compiled. An interrupt that came while the
    /// cell's request waited (for the session's warm-up) interrupts the cell now.
    pub fn cell_started(self: &Arc<Self>, cell_id: u64) {
        let _ = std::fs::remove_file(&self.flag_file);
        self.killed.store(false, Ordering::SeqCst);
        self.compiling.store(true, Ordering::SeqCst);
        self.running.store(cell_id, Ordering::SeqCst);
        if self.pending.swap(false, Ordering::SeqCst) {
            self.interrupt();
        }
    }

    /// Called by the executor when the cell's compiled code starts running. An interrupt
    /// that came during compilation starts its grace period now.
    pub fn code_started(self: &Arc<Self>) {
        self.compiling.store(false, Ordering::SeqCst);
        // After `compiling` is false: an interrupt racing with this either sees it false and
        // starts the timer itself, or has already put the flag up for this check to see.
        if self.flag_is_set() {
            self.start_grace_timer(self.running.load(Ordering::SeqCst));
        }
    }

    /// Called by the executor after a cell ends; returns whether the cell's process was killed.
    pub fn cell_finished(&self) -> bool {
        self.running.store(0, Ordering::SeqCst);
        self.input_wait.lock().unwrap().take();
        let _ = std::fs::remove_file(&self.flag_file);
        self.killed.swap(false, Ordering::SeqCst)
    }

    /// Called when the running cell starts waiting for input; `cancel` fires when an
    /// interrupt ends the wait. False, with nothing to wait for, once the cell is interrupted.
    pub fn input_wait_started(&self, cancel: tokio::sync::oneshot::Sender<()>) -> bool {
        let mut wait = self.input_wait.lock().unwrap();
        // Checked under the lock that `interrupt` takes after raising the flag: either this
        // sees the flag or the interrupt sees the wait.
        if self.flag_is_set() {
            return false;
        }
        *wait = Some(cancel);
        true
    }

    /// Called when the wait for input ends; returns whether an interrupt ended it.
    pub fn input_wait_finished(&self) -> bool {
        self.input_wait.lock().unwrap().take().is_none()
    }

    /// Whether the flag file is up (the prelude sees `interrupted() == true`).
    pub fn flag_is_set(&self) -> bool {
        self.flag_file.exists()
    }

    /// Asks the running cell to stop; kills its process if it is still running after the grace
    /// period. Does nothing when no cell runs.
    pub fn interrupt(self: &Arc<Self>) {
        let cell = self.running.load(Ordering::SeqCst);
        if cell == 0 {
            // No cell runs. If an execute request waits for its cell to start, the user
            // meant that cell (the client shows it busy); an idle kernel ignores it.
            if self.awaiting.load(Ordering::SeqCst) {
                self.pending.store(true, Ordering::SeqCst);
            }
            return;
        }
        if let Err(e) = std::fs::write(&self.flag_file, b"interrupt") {
            eprintln!(
                "ferrokeras: cannot create interrupt flag {}: {e}",
                self.flag_file.display()
            );
        }
        // A cell waiting for input stops once its read sees the end of input: no kill.
        if let Some(cancel) = self.input_wait.lock().unwrap().take() {
            let _ = cancel.send(());
            return;
        }
        // A compiling cell's timer starts with its code (`code_started`).
        if !self.compiling.load(Ordering::SeqCst) {
            self.start_grace_timer(cell);
        }
    }

    /// Kills `cell`'s process if it still runs after the grace period (once per cell).
    fn start_grace_timer(self: &Arc<Self>, cell: u64) {
        if cell == 0 || self.timed.swap(cell, Ordering::SeqCst) == cell {
            return;
        }
        let this = Arc::clone(self);
        std::thread::spawn(move || {
            std::thread::sleep(this.grace);
            if this.running.load(Ordering::SeqCst) == cell {
                this.killed.store(true, Ordering::SeqCst);
                if let Some(process) = this.process.lock().unwrap().as_ref() {
                    let _ = process.lock().unwrap().kill();
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupt_sets_flag_only_while_running() {
        let dir = tempfile::tempdir().unwrap();
        let i = Interrupter::new(dir.path().join("flag"), Duration::from_secs(60));
        i.interrupt();
        assert!(!i.flag_is_set(), "idle kernel must ignore interrupts");
        i.cell_started(7);
        i.interrupt();
        assert!(i.flag_is_set());
        assert!(!i.cell_finished(), "nothing was killed");
        assert!(!i.flag_is_set(), "flag is cleared for the next cell");
    }

    /// An interrupt sent while a request's cell waits behind the session's warm-up reaches
    /// that cell when it starts; one sent to an idle kernel reaches no later cell.
    #[test]
    fn interrupt_for_a_waiting_request_reaches_its_cell() {
        let dir = tempfile::tempdir().unwrap();
        let i = Interrupter::new(dir.path().join("flag"), Duration::from_secs(60));
        i.request_started();
        i.interrupt();
        assert!(!i.flag_is_set(), "no cell runs yet");
        i.cell_started(3);
        assert!(
            i.flag_is_set(),
            "the waiting cell is interrupted when it starts"
        );
        i.cell_finished();
        i.request_finished();
        i.interrupt();
        i.request_started();
        i.cell_started(4);
        assert!(
            !i.flag_is_set(),
            "an interrupt of an idle kernel is forgotten"
        );
    }

    /// An interrupter with a 50 ms grace period and a cell process (`sleep 30`) to kill.
    fn with_sleeping_process() -> (tempfile::TempDir, Arc<Interrupter>, Arc<Mutex<Child>>) {
        let dir = tempfile::tempdir().unwrap();
        let i = Interrupter::new(dir.path().join("flag"), Duration::from_millis(50));
        let child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let child = Arc::new(Mutex::new(child));
        i.set_process(Arc::clone(&child));
        (dir, i, child)
    }

    /// Whether `child` has ended, waiting up to 2 s.
    fn ends_soon(child: &Mutex<Child>) -> bool {
        for _ in 0..100 {
            if let Ok(Some(_)) = child.lock().unwrap().try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn grace_period_kills_a_cell_that_does_not_stop() {
        let (_dir, i, child) = with_sleeping_process();
        i.cell_started(1);
        i.code_started();
        i.interrupt();
        assert!(ends_soon(&child), "child was not killed");
        assert!(
            i.cell_finished(),
            "the executor learns the process was killed"
        );
    }

    /// An interrupt during compilation kills nothing until the code has run for the grace
    /// period: the code sees the flag when it starts and may stop by itself.
    #[test]
    fn grace_period_counts_from_when_the_code_starts() {
        let (_dir, i, child) = with_sleeping_process();
        i.cell_started(1);
        i.interrupt();
        assert!(i.flag_is_set(), "the code will see the interrupt");
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            child.lock().unwrap().try_wait().unwrap().is_none(),
            "killed while compiling"
        );
        i.code_started();
        assert!(
            ends_soon(&child),
            "running code that ignores the flag is killed after the grace period"
        );
        assert!(i.cell_finished());
    }
}
