//! The allocator of the `lessonpub` process: jemalloc, giving freed memory back at once.
//!
//! A build frees buffers of kilobytes to megabytes for every picture it converts, between
//! long-lived small allocations (names, results, the list of image uses). glibc's malloc kept
//! the holes between them, so memory grew with the number of pictures even with the budget on
//! conversions and `malloc_trim` every 16 pictures: measured through the realistic mirror, a
//! cold build of linux-perf peaked at 69-71 MiB and one of four times its pictures at 78-81
//! MiB (+12%). jemalloc keeps small allocations of one size together, apart from large ones,
//! and with no decay returns every freed page at once: 63-67 and 67-71 MiB, for 0.2-0.4 s more
//! of a 5 s build (system time: pages given back and faulted in again). With its default
//! decay (10 s) the same build peaked at 140 MiB, with 1 s at 108 MiB; mimalloc peaked at
//! 290-380 MiB.

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: freed pages go back to the system at once
/// (`_RJEM_MALLOC_CONF` in the environment overrides them, for measuring).
#[cfg(not(target_env = "msvc"))]
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
static malloc_conf: &[u8] = b"dirty_decay_ms:0,muzzy_decay_ms:0\0";
