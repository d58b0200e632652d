//! Ctrl-C (or SIGTERM, which `timeout` and service managers send, or SIGHUP) during a build:
//! remove the half-written book, then exit with 130 as shells expect.
//!
//! A temporary file is deleted when it is dropped, but an interrupt ends the process without
//! running destructors; the handler removes the files that are registered here instead.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static PARTIAL: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Installs the handler; call once, from `main`.
pub fn install() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        // A poisoned lock still holds the paths; leaving files behind would be worse.
        let paths = std::mem::take(&mut *PARTIAL.lock().unwrap_or_else(|e| e.into_inner()));
        for path in paths {
            let _ = std::fs::remove_file(path);
        }
        std::process::exit(130);
    })?;
    Ok(())
}

/// Registers a file that an interrupt must remove.
pub fn guard(path: &Path) {
    PARTIAL
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_path_buf());
}

/// The file is complete (or already removed): an interrupt leaves it alone.
pub fn unguard(path: &Path) {
    PARTIAL
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(path);
}
