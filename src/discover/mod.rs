//! A column folder -> its lesson files, in the order the column reads.
//!
//! Two layouts are known. An MkDocs column (`mkdocs.yml` beside `docs/`) lists its lessons in
//! `nav:`; its `site_name` is the book title and `<site_name>.md` the introduction page. Any
//! other folder holds one lesson per file, ordered from the file names: 开篇词 first, numbered
//! lessons in numeric order, unnumbered extras after them, closing pieces last.

mod mkdocs;
mod order;
mod plain;
mod title;
mod yaml;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::diagnostics::Warning;
use crate::text::has_visible;

pub use title::readable_title;

/// Extensions of files that can hold a lesson (the format is detected from the content).
pub const LESSON_EXTENSIONS: &[&str] = &["md", "markdown", "html", "htm", "txt"];

/// What discovery found in a column folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name when the folder states it (MkDocs `site_name`).
    pub title: Option<String>,
    /// The introduction page, rendered before the lessons.
    pub front: Option<LessonFile>,
    pub lessons: Vec<LessonFile>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LessonFile {
    pub path: PathBuf,
    pub title: String,
}

/// Finds the lessons of `dir`.
pub fn column(dir: &Path) -> Result<Column> {
    let meta = fs::metadata(dir)
        .with_context(|| format!("cannot read column folder `{}`", dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "`{}` is not a folder; pass the folder that holds the lesson files",
            dir.display()
        );
    }
    let config = dir.join("mkdocs.yml");
    let mut column = if config.is_file() {
        mkdocs::column(dir, &config)?
    } else {
        plain::column(dir)?
    };
    // A title of nothing visible (a file named `　.md`, a `site_name` of control characters)
    // would leave an empty title in the book, which EPUBCheck refuses.
    column.title = column.title.filter(|t| has_visible(t));
    if let Some(front) = column.front.as_mut().filter(|f| !has_visible(&f.title)) {
        front.title = "前言".to_owned();
    }
    for (i, lesson) in column.lessons.iter_mut().enumerate() {
        if !has_visible(&lesson.title) {
            lesson.title = format!("第 {} 课", i + 1);
        }
    }
    if column.lessons.is_empty() {
        bail!(
            "no lesson files in `{}` (looked for {} files)",
            dir.display(),
            LESSON_EXTENSIONS
                .iter()
                .map(|e| format!(".{e}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(column)
}

fn is_lesson_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    let Some((stem, ext)) = lower.rsplit_once('.') else {
        return false;
    };
    // The files that come with a folder rather than a course (README, LICENSE, ...), in any
    // case and with any suffix (`README_CN.md`, `LICENSE-MIT.txt`).
    const NOT_LESSONS: &[&str] = &[
        "readme",
        "summary",
        "license",
        "licence",
        "copying",
        "changelog",
        "contributing",
        "authors",
    ];
    let first_word = stem
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    !stem.is_empty()
        && !lower.starts_with('.')
        && LESSON_EXTENSIONS.contains(&ext)
        && !NOT_LESSONS.contains(&first_word)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn outside_warning(path: &Path) -> Warning {
    Warning::in_file(
        path,
        None,
        "leads outside the column folder (a link or `..`); skipped",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_hidden_and_other_files_are_not_lessons() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "README.md",
            "README_CN.md",
            "LICENSE.txt",
            "LICENSE-MIT.md",
            "CHANGELOG.md",
            "Licensing 101.md",
            ".hidden.md",
            "cover.png",
            "notes.txt",
            "01.html",
            "lessonpub.toml",
        ] {
            fs::write(dir.path().join(name), "text").unwrap();
        }
        let got: Vec<_> = column(dir.path())
            .unwrap()
            .lessons
            .into_iter()
            .map(|l| l.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(got, ["01.html", "Licensing 101.md", "notes.txt"]);
    }

    #[test]
    fn titles_of_nothing_visible_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["01 | 正常.md", "\u{3000}.md", "\u{1}\u{2}.md"] {
            fs::write(dir.path().join(name), "正文").unwrap();
        }
        let titles: Vec<String> = column(dir.path())
            .unwrap()
            .lessons
            .into_iter()
            .map(|l| l.title)
            .collect();
        assert!(titles.iter().all(|t| has_visible(t)), "{titles:?}");
        assert!(titles.contains(&"01 | 正常".to_owned()), "{titles:?}");
    }

    #[test]
    fn empty_folder_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("cover.png"), [0u8; 4]).unwrap();
        let err = column(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        assert!(err.contains("no lesson files"), "{err}");
    }
}
