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
        // The lock is held until the process ends, so no file can be created (or registered)
        // after its removal. A poisoned lock still holds the paths; leaving files behind would
        // be worse.
        let paths = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
        for path in paths.iter() {
            let _ = std::fs::remove_file(path);
        }
        std::process::exit(130);
    })?;
    Ok(())
}

/// Creates a file with `create` and registers it (`path_of` gives its path) as one that an
/// interrupt must remove. Both happen under the lock the handler takes, so an interrupt never
/// falls between the file appearing and its registration.
pub fn create_guarded<T, E>(
    create: impl FnOnce() -> Result<T, E>,
    path_of: impl FnOnce(&T) -> &Path,
) -> Result<T, E> {
    let mut partial = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = create()?;
    partial.insert(path_of(&file).to_path_buf());
    Ok(file)
}

/// The file is complete (or already removed): an interrupt leaves it alone.
pub fn unguard(path: &Path) {
    PARTIAL
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(path);
}
