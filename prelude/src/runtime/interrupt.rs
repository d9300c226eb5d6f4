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
/// ```
/// // Outside the kernel nothing ever interrupts.
/// std::env::remove_var("FERROKERAS_INTERRUPT_FILE");
/// assert!(!ferrokeras::interrupted());
/// ```
pub fn interrupted() -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_follows_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let flag = dir.path().join("interrupt");
        std::env::set_var("FERROKERAS_INTERRUPT_FILE", &flag);
        assert!(!interrupted());
        std::fs::write(&flag, b"").unwrap();
        assert!(interrupted());
        assert!(matches!(check_interrupt(), Err(Error::Interrupted)));
        std::fs::remove_file(&flag).unwrap();
        assert!(check_interrupt().is_ok());
        std::env::remove_var("FERROKERAS_INTERRUPT_FILE");
    }
}
