//! Small values that must outlive a cell: display-id and layer-name counters, the seed stream,
//! the forced device.
//!
//! In the notebook every cell links the one shared prelude library (`kernel/prelude-dylib`),
//! so a process-wide `static` is seen by every cell. Outside the kernel (programs, tests) a
//! thread-local store keeps tests that run in parallel threads independent (each test's
//! layers are named `dense`, `dense_1`, … from the start).

use super::display::in_notebook;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;

static SESSION: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

thread_local! {
    static LOCAL: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// Runs `f` on the store this process uses: process-wide in the notebook, per thread else.
fn with_store<R>(f: impl FnOnce(&mut HashMap<String, String>) -> R) -> R {
    if in_notebook() {
        // A panic in another cell while holding the lock leaves the map as it was: use it.
        let mut guard = SESSION.lock().unwrap_or_else(|e| e.into_inner());
        f(guard.get_or_insert_with(HashMap::new))
    } else {
        LOCAL.with(|m| f(&mut m.borrow_mut()))
    }
}

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Option<String> {
    with_store(|m| m.get(key).cloned())
}

/// Stores `value` under `key`.
pub fn set(key: &str, value: &str) {
    with_store(|m| {
        m.insert(key.to_string(), value.to_string());
    })
}

/// Returns the counter under `key` and increments it (starting at 0), in one step.
///
/// ```
/// use ferrokeras::runtime::shared;
/// assert_eq!(shared::next_count("doc-example"), 0);
/// assert_eq!(shared::next_count("doc-example"), 1);
/// ```
pub fn next_count(key: &str) -> u64 {
    with_store(|m| {
        let n = m.get(key).and_then(|v| v.parse().ok()).unwrap_or(0u64);
        m.insert(key.to_string(), (n + 1).to_string());
        n
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_counters_count() {
        assert_eq!(get("test-missing"), None);
        set("test-key", "42");
        assert_eq!(get("test-key").as_deref(), Some("42"));
        assert_eq!(next_count("test-counter"), 0);
        assert_eq!(next_count("test-counter"), 1);
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
