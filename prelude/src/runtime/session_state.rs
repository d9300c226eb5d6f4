//! What must outlive a cell: the settings, the display-id and layer-name counters, the seed
//! stream and the forced device, in one typed value.
//!
//! In the notebook every cell links the one shared prelude library (`kernel/prelude-dylib`),
//! so a process-wide `static` is seen by every cell: [`start_session`] (called by
//! `kernel_init` when the kernel starts the cell process) makes the state process-wide. Outside
//! the kernel (programs, tests) each thread has its own, so tests that run in parallel threads
//! stay independent (each test's layers are named `dense`, `dense_1`, … from the start, and a
//! test's settings are its own).

use super::settings::Settings;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;
use tch::Device;

/// The state of one notebook session (or, outside the kernel, of one thread).
#[derive(Default)]
pub(crate) struct SessionState {
    /// `None` until first asked for: then read from the environment.
    pub(crate) settings: Option<Settings>,
    counters: HashMap<String, u64>,
    /// The prelude's own random stream (shuffles, searches); `None` until seeded or drawn.
    pub(crate) seed_state: Option<u64>,
    /// The device `backend::set_device` forced, if any.
    pub(crate) forced_device: Option<Device>,
}

impl SessionState {
    pub(crate) fn settings(&mut self) -> &Settings {
        self.settings.get_or_insert_with(Settings::from_env)
    }
}

/// `Some` once the kernel started the session: then every thread shares it.
static SESSION: Mutex<Option<SessionState>> = Mutex::new(None);

thread_local! {
    static LOCAL: RefCell<SessionState> = RefCell::new(SessionState::default());
}

/// Runs `f` on the state this thread uses: the session's in the kernel, its own else. `f` must
/// not call back into this module (the state is locked while it runs).
pub(crate) fn with_state<R>(f: impl FnOnce(&mut SessionState) -> R) -> R {
    // A panic in another cell while holding the lock leaves the state as it was: use it.
    let mut session = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(state) = session.as_mut() {
        return f(state);
    }
    drop(session);
    LOCAL.with(|state| f(&mut state.borrow_mut()))
}

/// Makes the state process-wide with these settings, keeping counters and seed of a session
/// already started (the kernel calls this again when a waiting session is adopted).
pub(crate) fn start_session(settings: Settings) {
    let mut session = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    session.get_or_insert_with(SessionState::default).settings = Some(settings);
}

/// Replaces the settings of a session the kernel started (after adoption); outside the kernel
/// nothing changes.
pub(crate) fn renew_settings(settings: Settings) {
    let mut session = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(state) = session.as_mut() {
        state.settings = Some(settings);
    }
}

/// Returns the counter under `key` and increments it (starting at 0), in one step.
///
/// ```
/// use ferrokeras::runtime::session_state;
/// assert_eq!(session_state::next_count("doc-example"), 0);
/// assert_eq!(session_state::next_count("doc-example"), 1);
/// ```
pub fn next_count(key: &str) -> u64 {
    with_state(|s| {
        let n = s.counters.entry(key.to_string()).or_insert(0);
        *n += 1;
        *n - 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_from_zero() {
        assert_eq!(next_count("test-counter"), 0);
        assert_eq!(next_count("test-counter"), 1);
        assert_eq!(next_count("other-counter"), 0);
    }

    #[test]
    fn threads_outside_the_kernel_count_on_their_own() {
        assert_eq!(next_count("thread-counter"), 0);
        let other = std::thread::spawn(|| next_count("thread-counter"))
            .join()
            .unwrap();
        assert_eq!(other, 0);
        assert_eq!(next_count("thread-counter"), 1);
    }
}
