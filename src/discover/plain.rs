//! A plain folder: every lesson file directly inside it is a lesson, ordered by its name.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Column, LessonFile, is_lesson_name, order, outside_warning, title};
use crate::files;

pub(super) fn column(dir: &Path) -> Result<Column> {
    let mut lessons = Vec::new();
    let mut warnings = Vec::new();
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot list column folder `{}`", dir.display()))?;
    for entry in entries {
        let entry =
            entry.with_context(|| format!("cannot list column folder `{}`", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // `metadata` follows symlinks: a link to a lesson file counts, a link to a folder does not.
        if is_lesson_name(&name) && fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            let path = entry.path();
            if !files::inside(&path, dir) {
                warnings.push(outside_warning(&path));
                continue;
            }
            lessons.push(LessonFile {
                title: title::of_file(&path),
                path,
            });
        }
    }
    lessons.sort_by(|a, b| order::compare(&a.path, &b.path));
    Ok(Column {
        title: None,
        front: None,
        lessons,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn lessons_leading_outside_the_column_are_skipped() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.md");
        fs::write(&secret, "private").unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("01 _ ok.md"), "x").unwrap();
        std::os::unix::fs::symlink(&secret, dir.path().join("02 _ link.md")).unwrap();
        let column = column(dir.path()).unwrap();
        assert_eq!(column.lessons.len(), 1);
        assert!(
            column.warnings[0]
                .to_string()
                .contains("outside the column folder")
        );
    }
}
