#![no_main]
//! A settings byte then image bytes -> `images::convert::process` (and `cover`), with the memory
//! the conversion holds at once measured: it must stay within what one image may cost.

mod image_checks;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

use lessonpub::images::convert::{MAX_IMAGE_MEMORY, MAX_METADATA_BYTES};

/// Counts the bytes live and the most live at once; libFuzzer runs the target on one thread.
struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

fn grew(by: i64) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as i64);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grew(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        grew(new as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    image_checks::image(data);
    let peak = (PEAK.load(Ordering::Relaxed) - before) as u64;
    // What converting may hold, what the decoder may keep besides, and the parts made (at most
    // the input's size again for a cover kept as it is).
    let allowed = MAX_IMAGE_MEMORY + MAX_METADATA_BYTES + 2 * data.len() as u64 + (4 << 20);
    assert!(
        peak <= allowed,
        "{peak} bytes live at once, more than {allowed}"
    );
});
