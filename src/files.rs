//! Reading the files a user names or a column holds, defensively: a path that is a FIFO or a
//! device (`cover = "/dev/zero"`) would block or never end, and a file far larger than any real
//! input would exhaust memory.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Result, bail};

/// The bytes of the regular file at `path`, if it holds at most `max_bytes`.
pub fn read_regular(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| anyhow::anyhow!("cannot read `{shown}`: {e}"))?;
    if !meta.is_file() {
        bail!("`{shown}` is not a regular file");
    }
    let handle = File::open(path).map_err(|e| anyhow::anyhow!("cannot open `{shown}`: {e}"))?;
    let mut bytes = Vec::new();
    handle
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot read `{shown}`: {e}"))?;
    if bytes.len() as u64 > max_bytes {
        bail!(
            "`{shown}` is larger than the {} MiB allowed",
            (max_bytes >> 20).max(1)
        );
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_folders_and_oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular(dir.path(), 10).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        #[cfg(unix)]
        {
            let err = read_regular(Path::new("/dev/zero"), 10)
                .unwrap_err()
                .to_string();
            assert!(err.contains("not a regular file"), "{err}");
        }
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 2 << 20]).unwrap();
        let err = read_regular(&big, 1 << 20).unwrap_err().to_string();
        assert!(err.contains("larger than the 1 MiB"), "{err}");
        assert_eq!(read_regular(&big, 4 << 20).unwrap().len(), 2 << 20);
    }
}
