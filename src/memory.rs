//! Asking glibc's allocator to give memory back to the system; a no-op elsewhere.
//!
//! A build's memory peaks while pictures are converted, a few buffers of megabytes each made and
//! freed per picture, after its lessons were read with the code grammars loaded. glibc's malloc
//! keeps what is freed in per-thread heaps and serves big buffers from them after the first is
//! freed, so the heaps keep their high-water mark: a cold build of linux-perf peaked at 206 MB
//! for about 100 MB live.

/// Buffers of 4 MB and more are mapped on their own, so they go back to the system when freed
/// (linux-perf cold: 103 MB instead of 206 MB, for about a second of CPU in page faults).
/// Called once, before any other thread exists.
pub fn map_large_buffers_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter of the allocator; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

/// Returns the free memory of every heap to the system: after the lessons are read, the code
/// grammars (about 35 MB) are gone, and the pictures should not start on top of their space.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}
