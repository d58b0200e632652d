//! Reading the files a user names or a column holds, defensively: a path that is a FIFO or a
//! device (`cover = "/dev/zero"`) would block or never end, a file far larger than any real
//! input would exhaust memory, and a path leading out of the column folder could pull any file
//! on the machine into a book.

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

/// Whether `path` really lies inside the folder `root`, both resolved (`..` and every symlink
/// followed): a lesson, image or cover that links out of the column folder (to `~/.ssh/…`, say,
/// in a downloaded archive) must not end up in a book. A path that cannot be resolved, because it
/// does not exist for one, is not inside.
pub fn inside(path: &Path, root: &Path) -> bool {
    match (path.canonicalize(), root.canonicalize()) {
        (Ok(path), Ok(root)) => path.starts_with(root),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column folder `col` holding `a.md` and `sub/b.md`, beside `col2/c.md` and `secret.md`.
    fn tree() -> tempfile::TempDir {
        let temp = tempfile::tempdir().unwrap();
        let t = temp.path();
        std::fs::create_dir_all(t.join("col/sub")).unwrap();
        std::fs::create_dir(t.join("col2")).unwrap();
        for file in ["col/a.md", "col/sub/b.md", "col2/c.md", "secret.md"] {
            std::fs::write(t.join(file), "x").unwrap();
        }
        temp
    }

    #[test]
    fn files_below_the_root_are_inside_and_others_not() {
        let temp = tree();
        let (t, col) = (temp.path(), temp.path().join("col"));
        assert!(inside(&col.join("a.md"), &col));
        assert!(inside(&col.join("sub/b.md"), &col));
        assert!(inside(&col, &col));
        assert!(!inside(&t.join("secret.md"), &col));
        // A sibling whose name merely starts like the root's.
        assert!(!inside(&t.join("col2/c.md"), &col));
        assert!(!inside(&col.join("missing.md"), &col));
        assert!(!inside(&col.join("a.md"), &t.join("no-such-root")));
    }

    #[test]
    fn dot_dot_counts_where_it_leads() {
        let temp = tree();
        let col = temp.path().join("col");
        assert!(inside(&col.join("sub/../a.md"), &col));
        assert!(!inside(&col.join("../secret.md"), &col));
        assert!(!inside(&col.join("sub/../../col2/c.md"), &col));
    }

    #[test]
    fn absolute_paths_are_judged_by_where_they_are() {
        let temp = tree();
        let col = temp.path().join("col");
        let secret = temp.path().join("secret.md").canonicalize().unwrap();
        assert!(secret.is_absolute());
        assert!(!inside(&secret, &col));
        assert!(inside(&col.join("a.md").canonicalize().unwrap(), &col));
        #[cfg(unix)]
        assert!(!inside(Path::new("/etc/passwd"), &col));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_count_where_they_lead() {
        use std::os::unix::fs::symlink;
        let temp = tree();
        let (t, col) = (temp.path(), temp.path().join("col"));
        symlink(t.join("secret.md"), col.join("out.md")).unwrap();
        symlink(t, col.join("up")).unwrap();
        symlink(col.join("sub/b.md"), col.join("in.md")).unwrap();
        assert!(!inside(&col.join("out.md"), &col));
        assert!(!inside(&col.join("up/secret.md"), &col));
        assert!(inside(&col.join("in.md"), &col));
        // A link outside that leads in is judged by where it leads.
        symlink(col.join("a.md"), t.join("into.md")).unwrap();
        assert!(inside(&t.join("into.md"), &col));
    }

    #[cfg(unix)]
    #[test]
    fn a_root_that_is_a_symlink_is_followed() {
        let temp = tree();
        let (t, col) = (temp.path(), temp.path().join("col"));
        let link = t.join("link-to-col");
        std::os::unix::fs::symlink(&col, &link).unwrap();
        assert!(inside(&link.join("a.md"), &link));
        assert!(inside(&col.join("a.md"), &link));
        assert!(inside(&link.join("sub/b.md"), &col));
        assert!(!inside(&t.join("secret.md"), &link));
        assert!(!inside(&link.join("../secret.md"), &link));
    }

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
