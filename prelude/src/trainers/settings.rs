//! Quick mode for training, from the session's settings (`runtime::settings`).

use crate::runtime::settings::setting;

/// Quick mode for tests and CI: `FERROKERAS_MAX_EPOCHS=n` (a session setting) caps every `fit`
/// at `n` epochs, so a course notebook runs end to end unchanged (with `FERROKERAS_SAMPLE`
/// capping the data).
pub fn capped_epochs(epochs: usize) -> usize {
    match setting(|s| s.max_epochs) {
        Some(cap) => epochs.min(cap),
        None => epochs,
    }
}
