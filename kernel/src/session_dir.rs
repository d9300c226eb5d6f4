//! Choosing the session's working directory.
//!
//! evcxr compiles cells in a crate under this directory; its `target/` holds the compiled
//! prelude and libtorch bindings. Keeping the directory between kernel starts is what makes
//! a second start compile nothing heavy. Several kernels may run at once (one per notebook),
//! so each takes the first free numbered slot, held by a file lock for its lifetime.

use anyhow::{Context, Result};
use fs2::FileExt;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A session slot, locked while this value lives.
pub struct Slot {
    pub dir: PathBuf,
    _lock: File,
}

/// Takes the first free slot under `root` (`root/slot-0`, `root/slot-1`, …).
pub fn take_slot(root: &Path) -> Result<Slot> {
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    for n in 0..256 {
        let lock_path = root.join(format!("slot-{n}.lock"));
        let lock = File::create(&lock_path)
            .with_context(|| format!("creating {}", lock_path.display()))?;
        if lock.try_lock_exclusive().is_ok() {
            let dir = root.join(format!("slot-{n}"));
            seed_from_prebuilt(&dir);
            return Ok(Slot { dir, _lock: lock });
        }
    }
    anyhow::bail!("all 256 session slots under {} are in use", root.display())
}

/// On a shared server an administrator can build one slot ahead
/// (`ferrokeras-kernel warm --session-root /opt/ferrokeras/prebuilt`) and point
/// `FERROKERAS_PREBUILT` at its `slot-0`; a user's new slot then starts as a copy of it, so
/// their first cell compiles nothing heavy.
fn seed_from_prebuilt(dir: &Path) {
    if dir.exists() {
        return;
    }
    let Some(prebuilt) = std::env::var_os("FERROKERAS_PREBUILT") else {
        return;
    };
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&prebuilt)
        .arg(dir)
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!(
            "ferrokeras: could not copy the prebuilt session from {}",
            Path::new(&prebuilt).display()
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_kernels_get_different_slots() {
        let root = tempfile::tempdir().unwrap();
        let a = take_slot(root.path()).unwrap();
        let b = take_slot(root.path()).unwrap();
        assert_ne!(a.dir, b.dir);
        let a_dir = a.dir.clone();
        drop(a);
        let c = take_slot(root.path()).unwrap();
        assert_eq!(
            c.dir, a_dir,
            "a released slot is reused (its build cache with it)"
        );
    }
}
