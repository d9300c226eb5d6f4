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
/// std::env::remove_var("FERROKERAS_INTERRUPT_FILE");
/// assert!(!ferrokeras::interrupted());
/// ```
pub fn interrupted() -> bool {
    // Read on every call: caching the name at the first call made a polling cell miss its
    // interrupt in the kernel (protocol test interrupt_stops_a_polling_prelude_loop_and_keeps_
    // variables). Nothing writes the environment while cells run, so the read is safe here.
    match std::env::var_os("FERROKERAS_INTERRUPT_FILE") {
        Some(path) if !path.is_empty() => std::path::Path::new(&path).exists(),
        _ => false,
    }
}

/// `Err(Error::Interrupted)` once the user has interrupted the cell; use it with `?` in loops.
pub fn check_interrupt() -> Result<()> {
    if interrupted() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
