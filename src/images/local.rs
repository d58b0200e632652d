//! A local image path from a lesson -> its bytes, only when the file lies inside the column folder.
//!
//! The path must lie inside the column folder once `..` and every symlink are resolved
//! (`files::inside`), so neither `../../etc/passwd`, an absolute path, nor a symlink pointing out
//! of the column can pull a file from elsewhere into a book.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::source::percent_decode;

/// Reads the image at `path` (the lesson folder joined with the `src` as written), at most
/// `max_bytes`.
pub fn read(column: &Path, path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    crate::files::read_regular(&resolve(column, path)?, max_bytes)
}

/// The canonical file `path` names, if it is a file inside `column`. A path written with
/// `%20`-style escapes or a `?query` is tried decoded when it does not exist as written.
fn resolve(column: &Path, path: &Path) -> Result<PathBuf> {
    let canonical = match path.canonicalize() {
        Ok(p) => p,
        Err(_) => match decoded(path).and_then(|p| p.canonicalize().ok()) {
            Some(p) => p,
            None => bail!("no such file `{}`", path.display()),
        },
    };
    if !crate::files::inside(&canonical, column) {
        bail!(
            "`{}` is outside the column folder; only images inside it are embedded",
            path.display()
        );
    }
    if !canonical.is_file() {
        bail!("`{}` is not a file", path.display());
    }
    Ok(canonical)
}

/// `path` with the query and fragment of a URL cut off and `%XX` escapes decoded.
fn decoded(path: &Path) -> Option<PathBuf> {
    let text = path.to_str()?;
    let name = text.split(['?', '#']).next()?;
    let bytes = percent_decode(name.as_bytes());
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Column {
        _temp: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
    }

    fn column() -> Column {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("col");
        std::fs::create_dir_all(root.join("docs/images")).unwrap();
        std::fs::write(root.join("docs/images/a b.png"), b"inside").unwrap();
        std::fs::write(root.join("docs/images/a.png"), b"inside").unwrap();
        let outside = temp.path().join("secret.png");
        std::fs::write(&outside, b"outside").unwrap();
        let root = root.canonicalize().unwrap();
        Column {
            _temp: temp,
            root,
            outside,
        }
    }

    #[test]
    fn files_inside_the_column_are_read() {
        let c = column();
        let docs = c.root.join("docs");
        assert_eq!(
            read(&c.root, &docs.join("images/a.png"), 100).unwrap(),
            b"inside"
        );
        assert_eq!(
            read(&c.root, &docs.join("images/../images/a.png"), 100).unwrap(),
            b"inside"
        );
        assert_eq!(
            read(&c.root, &docs.join("images/a%20b.png?v=1"), 100).unwrap(),
            b"inside"
        );
    }

    #[test]
    fn paths_leaving_the_column_are_refused() {
        let c = column();
        let docs = c.root.join("docs");
        let escape = read(&c.root, &docs.join("../../secret.png"), 100).unwrap_err();
        assert!(
            format!("{escape:#}").contains("outside the column"),
            "{escape:#}"
        );
        assert!(read(&c.root, &docs.join("images"), 100).is_err());
        assert!(read(&c.root, &docs.join("missing.png"), 100).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_pointing_out_of_the_column_are_refused() {
        let c = column();
        let link = c.root.join("docs/images/link.png");
        std::os::unix::fs::symlink(&c.outside, &link).unwrap();
        let err = read(&c.root, &link, 100).unwrap_err();
        assert!(format!("{err:#}").contains("outside the column"), "{err:#}");
    }

    #[test]
    fn files_over_the_cap_are_refused() {
        let c = column();
        let err = read(&c.root, &c.root.join("docs/images/a.png"), 3).unwrap_err();
        assert!(format!("{err:#}").contains("larger than"));
    }
}
