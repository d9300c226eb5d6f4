//! Small values that must outlive a cell: display-id and layer-name counters, the seed stream,
//! the forced device.
//!
//! In the notebook these values live in the process environment, under
//! `FERROKERAS_STATE_<key>`, so every cell sees them whichever copy of the prelude it runs. The
//! kernel links all cells against one shared prelude library (`kernel/prelude-dylib`), where a
//! `static` would do; but a cell linked statically (evcxr's default, and how the kernel ran
//! before) carries a fresh copy of every `static`, so two cells would hand out the same display
//! id and `set_random_seed` would not reach the next cell. The environment is right in both.
//! Outside the kernel (programs, tests) a thread-local map keeps tests that run in parallel
//! threads independent.
//!
//! Cells run one at a time on one thread, and only cell code writes these values.

use super::display::in_notebook;
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static LOCAL: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

fn env_key(key: &str) -> String {
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("FERROKERAS_STATE_{key}")
}

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Option<String> {
    if in_notebook() {
        std::env::var(env_key(key)).ok()
    } else {
        LOCAL.with(|m| m.borrow().get(key).cloned())
    }
}

/// Stores `value` under `key`.
pub fn set(key: &str, value: &str) {
    if in_notebook() {
        std::env::set_var(env_key(key), value);
    } else {
        LOCAL.with(|m| {
            m.borrow_mut().insert(key.to_string(), value.to_string());
        });
    }
}

/// Returns the counter under `key` and increments it (starting at 0).
///
/// ```
/// use ferrokeras::runtime::shared;
/// assert_eq!(shared::next_count("doc-example"), 0);
/// assert_eq!(shared::next_count("doc-example"), 1);
/// ```
pub fn next_count(key: &str) -> u64 {
    let n = get(key).and_then(|v| v.parse().ok()).unwrap_or(0u64);
    set(key, &(n + 1).to_string());
    n
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
    fn keys_become_environment_names() {
        assert_eq!(env_key("name:dense_1"), "FERROKERAS_STATE_NAME_DENSE_1");
    }
}
