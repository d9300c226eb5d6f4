//! Whether other Unix accounts can use a path: a kernelspec installed for a whole class points
//! at the kernel, libtorch, the toolchain and the crates, and a student's kernel fails to start
//! (with errors far from the cause) if any of them sits behind a private directory such as an
//! administrator's home (mode 700).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Why other users cannot read `path`: the first directory on the way that they cannot enter,
/// or the path itself when they cannot read it. `None` when they can (or it does not exist:
/// that is reported elsewhere, where the missing path matters).
pub fn blocked_for_others(path: &Path) -> Option<(PathBuf, u32)> {
    let path = path.canonicalize().ok()?;
    for dir in path.ancestors().skip(1) {
        let mode = std::fs::metadata(dir).ok()?.permissions().mode();
        if mode & 0o001 == 0 {
            return Some((dir.to_path_buf(), mode & 0o777));
        }
    }
    let mode = std::fs::metadata(&path).ok()?.permissions().mode();
    let needed = if path.is_dir() { 0o005 } else { 0o004 };
    (mode & needed != needed).then_some((path, mode & 0o777))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{set_permissions, Permissions};

    #[test]
    fn a_private_parent_blocks_what_is_inside() {
        let tmp = tempfile::tempdir().unwrap();
        let private = tmp.path().join("home");
        let file = private.join("lib.so");
        std::fs::create_dir(&private).unwrap();
        std::fs::write(&file, b"x").unwrap();
        set_permissions(tmp.path(), Permissions::from_mode(0o755)).unwrap();
        set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        set_permissions(&private, Permissions::from_mode(0o755)).unwrap();
        assert_eq!(blocked_for_others(&file), None);
        set_permissions(&private, Permissions::from_mode(0o700)).unwrap();
        let (dir, mode) = blocked_for_others(&file).unwrap();
        assert_eq!((dir, mode), (private.canonicalize().unwrap(), 0o700));
        set_permissions(&private, Permissions::from_mode(0o711)).unwrap();
        assert_eq!(blocked_for_others(&file), None);
        set_permissions(&file, Permissions::from_mode(0o600)).unwrap();
        assert!(blocked_for_others(&file).is_some());
    }
}
