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
/// (`tests/models_interrupt.rs` checks that the flag follows the file.)
///
/// ```
/// // Outside the kernel nothing ever interrupts.
/// assert!(!ferrokeras::interrupted());
/// ```
pub fn interrupted() -> bool {
    // The flag file's name comes from the session's settings (read when the kernel started
    // the session); its existence is checked on every call.
    super::settings::setting(|s| s.interrupt_file.as_deref().is_some_and(|f| f.exists()))
}

/// `Err(Error::Interrupted)` once the user has interrupted the cell; use it with `?` in loops.
pub fn check_interrupt() -> Result<()> {
    if interrupted() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
