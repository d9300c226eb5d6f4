//! The interrupt flag: how a running cell learns that the user pressed ■ (or Ctrl-C).
//!
//! The kernel creates the file named by `FERROKERAS_INTERRUPT_FILE` when an interrupt
//! arrives and removes it before the next cell runs. Long prelude loops (training batches,
//! dataset iteration, searches) poll [`interrupted`] and stop cleanly, so the cell returns
//! and every variable survives. A file is used rather than a signal because the cell code
//! lives in separately loaded libraries; a `stat` costs about a microsecond.

use crate::error::{Error, Result};

/// Whether the user has asked the running cell to stop.
///
/// (The flag file's name is read once per process; `tests/models_interrupt.rs` checks that the
/// flag follows the file.)
///
/// ```
/// // Outside the kernel nothing ever interrupts.
/// std::env::remove_var("FERROKERAS_INTERRUPT_FILE");
/// assert!(!ferrokeras::interrupted());
/// ```
pub fn interrupted() -> bool {
    // The kernel names the flag file before the cell process starts; read the name once, not
    // on every batch of a training loop.
    static FLAG: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        std::env::var_os("FERROKERAS_INTERRUPT_FILE")
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from)
    })
    .as_ref()
    .is_some_and(|path| path.exists())
}

/// `Err(Error::Interrupted)` once the user has interrupted the cell; use it with `?` in loops.
pub fn check_interrupt() -> Result<()> {
    if interrupted() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
