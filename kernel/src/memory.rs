//! How the kernel process hands memory back to the system while it waits.
//!
//! Why: an idle kernel is mostly rust-analyzer's analysis (hundreds of MB in many small
//! allocations). glibc's malloc keeps freed memory inside its heaps — one heap per thread
//! that allocated, and only the top of each is ever returned by itself — so after the
//! analysis settled the kernel process held ~110 MB of free memory it would never use again
//! (383 → 266 MB resident with the same cells once returned). A class server pays that per student.

/// Allocator settings for the kernel process, before it starts threads: one heap for all
/// threads (the kernel's threads mostly wait on each other, so there is no contention worth a
/// heap each) and free memory at the top of the heap returned from 128 KiB on.
pub fn settle_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TOP_PAD, 0);
    }
}

/// Returns the free pages inside the heap to the system (not only those at its top). Called
/// when the kernel becomes idle; takes a few milliseconds.
pub fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    fn resident_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn freed_memory_inside_the_heap_goes_back_to_the_system() {
        // 64 MiB in small blocks, all freed except the last: without a trim the heap cannot
        // shrink past the block that stays.
        let mut blocks: Vec<Vec<u8>> = (0..16_384).map(|i| vec![i as u8; 4096]).collect();
        let keep = blocks.pop();
        let before_free = resident_kib();
        drop(blocks);
        let after_free = resident_kib();
        return_free_memory();
        let after_trim = resident_kib();
        assert!(
            before_free - after_trim > 48 * 1024,
            "{before_free} -> {after_free} -> {after_trim} KiB"
        );
        drop(keep);
    }
}
