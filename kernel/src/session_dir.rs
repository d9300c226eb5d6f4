//! Choosing the session's working directory.
//!
//! evcxr compiles cells in a crate under this directory; its `target/` holds the compiled
//! prelude and libtorch bindings. Keeping the directory between kernel starts is what makes
//! a second start compile nothing heavy. Several kernels may run at once (one per notebook),
//! so each takes the first free numbered slot, held by a file lock for its lifetime.
//!
//! A slot that does not exist yet starts as a copy of a built one (`FERROKERAS_PREBUILT`, else
//! this user's `slot-0`): copying the ~0.5 GB of compiled dependencies takes a second or two,
//! compiling them again takes minutes on 2 cores. Cargo finds the copy up to date because the
//! sources it was compiled from (the registry crates, the prelude) are at the same paths.

use anyhow::{Context, Result};
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
        if lock.try_lock().is_ok() {
            let dir = root.join(format!("slot-{n}"));
            if !dir.exists() {
                if let Some(source) = seed_source(root) {
                    seed(&source, &dir);
                }
            }
            return Ok(Slot { dir, _lock: lock });
        }
    }
    anyhow::bail!("all 256 session slots under {} are in use", root.display())
}

/// What a new slot starts as: the administrator's prebuilt session (see docs/jupyterhub.md),
/// else `slot-0`, the slot every first kernel and `ferrokeras-kernel warm` build.
fn seed_source(root: &Path) -> Option<PathBuf> {
    if let Some(prebuilt) = std::env::var_os("FERROKERAS_PREBUILT") {
        return Some(PathBuf::from(prebuilt));
    }
    let first = root.join("slot-0");
    first.join("target").is_dir().then_some(first)
}

/// Copies `source` to `dir` through a temporary folder beside it, so that a copy cut short
/// (a killed kernel) never leaves a half slot that looks complete. A copy that fails leaves
/// no slot: the session then compiles the prelude itself.
///
/// `source` may be in use: a kernel there compiles cells meanwhile. What it writes is only the
/// cell crate's; a file copied half-written makes cargo rebuild that small crate, and a file
/// deleted before it is copied is left out (see `copy_tree`).
fn seed(source: &Path, dir: &Path) {
    let partial = dir.with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    let copied = copy_tree(source, &partial).and_then(|()| std::fs::rename(&partial, dir));
    if let Err(e) = copied {
        eprintln!(
            "ferrokeras: could not copy the built session from {} ({e}); this session compiles the prelude itself",
            source.display()
        );
        let _ = std::fs::remove_dir_all(&partial);
    }
}

/// Copies a directory tree, keeping files' modification times (cargo compares them to decide
/// what is up to date) and symbolic links as links. Leaves out rustc's `incremental`
/// directories (a cache for recompiling the cell crate, rewritten by every cell of a running
/// kernel), sockets, and entries deleted while the copy runs: `cp -a` failed on those, and
/// the whole session was then compiled again — ten students starting at once each waited
/// minutes.
fn copy_tree(source: &Path, dest: &Path) -> std::io::Result<()> {
    std::fs::create_dir(dest)?;
    for entry in std::fs::read_dir(source)? {
        let entry = entry?;
        let from = entry.path();
        let to = dest.join(entry.file_name());
        let copied = match std::fs::symlink_metadata(&from) {
            Ok(meta) if meta.is_dir() && entry.file_name() == "incremental" => Ok(()),
            Ok(meta) if meta.is_dir() => copy_tree(&from, &to),
            Ok(meta) if meta.file_type().is_symlink() => {
                std::fs::read_link(&from).and_then(|target| std::os::unix::fs::symlink(target, &to))
            }
            Ok(meta) if meta.is_file() => copy_file_keeping_time(&from, &to, &meta),
            // A socket (a standby's adoption socket) or a pipe: nothing a new session uses.
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        match copied {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let _ = std::fs::remove_file(&to);
            }
            other => other?,
        }
    }
    Ok(())
}

fn copy_file_keeping_time(from: &Path, to: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    std::fs::copy(from, to)?;
    File::options()
        .write(true)
        .open(to)?
        .set_modified(meta.modified()?)
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

    #[test]
    fn a_file_deleted_while_the_slot_is_copied_is_left_out() {
        let root = tempfile::tempdir().unwrap();
        let (from, to) = (root.path().join("gone"), root.path().join("copy"));
        std::fs::write(&from, b"cell crate output").unwrap();
        let meta = std::fs::metadata(&from).unwrap();
        std::fs::remove_file(&from).unwrap();
        let error = copy_file_keeping_time(&from, &to, &meta).unwrap_err();
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::NotFound,
            "what copy_tree skips"
        );
    }

    #[test]
    fn a_new_slot_starts_as_a_copy_of_the_built_first_slot() {
        let root = tempfile::tempdir().unwrap();
        let first = take_slot(root.path()).unwrap();
        // No built slot yet: the first slot starts empty (its kernel compiles the prelude).
        assert!(!first.dir.exists());
        let artifact = first.dir.join("target/debug/deps/libferrokeras_dylib.so");
        std::fs::create_dir_all(artifact.parent().unwrap()).unwrap();
        std::fs::write(&artifact, b"compiled prelude").unwrap();

        // rustc's incremental cache of the cell crate, rewritten by every cell: not copied.
        let incremental = first.dir.join("target/debug/incremental/ctx-1/s-1.lock");
        std::fs::create_dir_all(incremental.parent().unwrap()).unwrap();
        std::fs::write(&incremental, b"").unwrap();
        // A standby's adoption socket in the slot: cannot be copied, is not needed.
        let socket = first.dir.join("adoption.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let built_at = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30);
        File::options()
            .write(true)
            .open(&artifact)
            .unwrap()
            .set_modified(built_at)
            .unwrap();

        let second = take_slot(root.path()).unwrap();
        let copied = second.dir.join("target/debug/deps/libferrokeras_dylib.so");
        assert_eq!(std::fs::read(&copied).unwrap(), b"compiled prelude");
        // Cargo decides what is up to date from modification times.
        assert_eq!(
            std::fs::metadata(&copied).unwrap().modified().unwrap(),
            built_at
        );
        assert!(second.dir.join("target/debug").is_dir());
        assert!(!second.dir.join("target/debug/incremental").exists());
        assert!(!second.dir.join("adoption.sock").exists());
        assert!(!second.dir.with_extension("partial").exists());
        // An existing slot is never overwritten by a copy.
        std::fs::write(&artifact, b"rebuilt").unwrap();
        let second_dir = second.dir.clone();
        drop(second);
        let again = take_slot(root.path()).unwrap();
        assert_eq!(again.dir, second_dir);
        let kept = again.dir.join("target/debug/deps/libferrokeras_dylib.so");
        assert_eq!(std::fs::read(kept).unwrap(), b"compiled prelude");
    }
}
