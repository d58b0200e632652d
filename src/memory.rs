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

/// Gives memory back once every `every` pieces of work done, from whichever thread finishes
/// them. Lessons and pictures are made of buffers of kilobytes to megabytes, freed between
/// long-lived small ones (names, results), so glibc's heaps keep every hole: a four-fold column
/// drifted 25 MiB higher over its conversions than the one-fold one. Giving back every 16
/// pictures costs no measurable time.
pub struct Every {
    done: std::sync::atomic::AtomicUsize,
    every: usize,
}

impl Every {
    pub const fn new(every: usize) -> Self {
        Every {
            done: std::sync::atomic::AtomicUsize::new(0),
            every,
        }
    }

    /// Counts one piece of work done, and gives memory back if it is the `every`-th (then
    /// says so).
    pub fn done(&self) -> bool {
        let n = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let now = n % self.every.max(1) == 0;
        if now {
            give_back();
        }
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_given_back_once_every_so_many() {
        let every = Every::new(3);
        let given: Vec<bool> = (0..7).map(|_| every.done()).collect();
        assert_eq!(given, [false, false, true, false, false, true, false]);
    }
}
