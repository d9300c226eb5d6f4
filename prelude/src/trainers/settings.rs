//! Settings of a notebook session that training reads, taken from the kernel's environment
//! once per process rather than in every loop.

use std::sync::OnceLock;

/// Quick mode for tests and CI: `FERROKERAS_MAX_EPOCHS=n` (set when the kernel starts) caps
/// every `fit` at `n` epochs, so a course notebook runs end to end unchanged (with
/// `FERROKERAS_SAMPLE` capping the data).
pub fn capped_epochs(epochs: usize) -> usize {
    static CAP: OnceLock<Option<usize>> = OnceLock::new();
    let cap = CAP.get_or_init(|| {
        std::env::var("FERROKERAS_MAX_EPOCHS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&c| c > 0)
    });
    match cap {
        Some(cap) => epochs.min(*cap),
        None => epochs,
    }
}
