//! How much memory this kernel may still use: the machine's `MemAvailable`, or less where the
//! kernel runs in a memory-limited cgroup (a container, a JupyterHub spawner's limit), whose
//! limit `/proc/meminfo` does not show.

use std::path::{Path, PathBuf};

/// Memory available to this process, in MB: the smaller of the machine's `MemAvailable` and
/// the room left under its cgroup's memory limit. `None` where neither can be read.
pub fn available_mb() -> Option<u64> {
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| meminfo_available_mb(&m));
    let cgroup = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|c| cgroup_room_mb(Path::new("/sys/fs/cgroup"), &c));
    match (machine, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `MemAvailable` of a `/proc/meminfo` text, in MB.
pub fn meminfo_available_mb(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// Limit minus usage of the memory cgroup named in a `/proc/self/cgroup` text, in MB, under
/// the cgroup file system mounted at `root`; `None` without a limit ("max", or v1's huge
/// number) or where the files are not there. cgroup v2 (`0::/path`: `memory.max`,
/// `memory.current`) first, then v1's memory controller (`N:memory:/path`).
pub fn cgroup_room_mb(root: &Path, proc_cgroup: &str) -> Option<u64> {
    let v2 = proc_cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(|path| (in_root(root, path), "memory.max", "memory.current"));
    let v1 = proc_cgroup
        .lines()
        .filter_map(|l| l.split_once(':').map(|(_, rest)| rest))
        .find_map(|rest| {
            let (controllers, path) = rest.split_once(':')?;
            controllers.split(',').any(|c| c == "memory").then(|| {
                let dir = in_root(&root.join("memory"), path);
                (dir, "memory.limit_in_bytes", "memory.usage_in_bytes")
            })
        });
    [v2, v1]
        .into_iter()
        .flatten()
        .find_map(|(dir, limit, usage)| {
            let limit = read_bytes(&dir.join(limit))?;
            // cgroup v1 writes "no limit" as a page-rounded i64::MAX.
            if limit >= 1 << 60 {
                return None;
            }
            let usage = read_bytes(&dir.join(usage))?;
            Some(limit.saturating_sub(usage) / (1 << 20))
        })
}

/// `root` joined with a cgroup path as `/proc/self/cgroup` writes it (absolute).
fn in_root(root: &Path, cgroup_path: &str) -> PathBuf {
    root.join(cgroup_path.trim_start_matches('/'))
}

/// A cgroup file holding a byte count; `None` for "max" or a missing file.
fn read_bytes(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_memory_is_read_from_meminfo() {
        let meminfo =
            "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:    3145728 kB\n";
        assert_eq!(meminfo_available_mb(meminfo), Some(3072));
        assert_eq!(meminfo_available_mb("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn a_cgroup_v2_limit_leaves_limit_minus_usage() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("user.slice/student1");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("memory.max"), "2147483648\n").unwrap();
        std::fs::write(dir.join("memory.current"), "536870912\n").unwrap();
        assert_eq!(
            cgroup_room_mb(root.path(), "0::/user.slice/student1\n"),
            Some(1536)
        );
        std::fs::write(dir.join("memory.max"), "max\n").unwrap();
        assert_eq!(
            cgroup_room_mb(root.path(), "0::/user.slice/student1\n"),
            None
        );
    }

    #[test]
    fn a_cgroup_v1_memory_controller_is_read_too() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("memory/docker/abc");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("memory.limit_in_bytes"), "1073741824\n").unwrap();
        std::fs::write(dir.join("memory.usage_in_bytes"), "805306368\n").unwrap();
        let proc_cgroup = "5:devices:/docker/abc\n4:memory:/docker/abc\n0::/\n";
        assert_eq!(cgroup_room_mb(root.path(), proc_cgroup), Some(256));
        // v1's "unlimited" (i64::MAX rounded to a page) is no limit.
        std::fs::write(dir.join("memory.limit_in_bytes"), "9223372036854771712\n").unwrap();
        assert_eq!(cgroup_room_mb(root.path(), proc_cgroup), None);
    }

    #[test]
    fn this_process_has_an_answer() {
        assert!(available_mb().is_some());
    }
}
