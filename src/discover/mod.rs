//! A column folder -> its lesson files, in the order the column reads.
//!
//! The layouts known (`Layout`), told apart by what the folder holds:
//! - an MkDocs column: `mkdocs.yml` beside `docs/`; `nav:` lists the lessons, `site_name` is the
//!   book title and `<site_name>.md` the introduction page;
//! - a built MkDocs site column: one `<lesson>/index.html` page per lesson; the site's navigation
//!   in the pages gives the order, the page named after the column is the introduction;
//! - lesson files directly in the folder (or in its `docs/`), ordered from the file names: 开篇词
//!   first, numbered lessons in numeric order, unnumbered extras after them, closing pieces last;
//!   an `index.md` holding only the column's name names the book and `<name>.md` is the
//!   introduction.
//!
//! A folder that holds whole columns instead is an error that names them.

mod mkdocs;
mod order;
mod plain;
mod site;
mod title;
mod yaml;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::diagnostics::Warning;
use crate::files;
use crate::model::Part;
use crate::text::has_visible;

pub use title::readable_title;

/// Extensions of files that can hold a lesson (the format is detected from the content).
pub const LESSON_EXTENSIONS: &[&str] = &["md", "markdown", "html", "htm", "txt"];

/// What discovery found in a column folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// How the folder holds its lessons.
    pub layout: Layout,
    /// The column's name when the folder states it (MkDocs `site_name`, `index.md`, the built
    /// site's introduction page).
    pub title: Option<String>,
    /// The introduction page, rendered before the lessons.
    pub front: Option<LessonFile>,
    pub lessons: Vec<LessonFile>,
    /// The sections of MkDocs `nav:` that hold lessons, as parts of `lessons`.
    pub parts: Vec<Part>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LessonFile {
    pub path: PathBuf,
    pub title: String,
}

/// How a column folder holds its lessons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `mkdocs.yml` beside `docs/*.md`.
    MkDocs,
    /// A built MkDocs site: `<lesson>/index.html` per lesson.
    MkDocsSite,
    /// One lesson folder of a built MkDocs site: its `index.html` alone.
    MkDocsSitePage,
    /// `docs/*.md` (or the folder's own `*.md`) with an `index.md` naming the column, no
    /// `mkdocs.yml`.
    MarkdownDocs,
    /// Lesson files directly in the folder.
    #[default]
    Files,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::MkDocs => "MkDocs column (mkdocs.yml)",
            Layout::MkDocsSite => "MkDocs site",
            Layout::MkDocsSitePage => "one page of an MkDocs site",
            Layout::MarkdownDocs => "Markdown files without mkdocs.yml",
            Layout::Files => "lesson files",
        })
    }
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
    let mut column = find(dir)?;
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

/// Tells the layout of `dir` and reads it.
fn find(dir: &Path) -> Result<Column> {
    let config = dir.join("mkdocs.yml");
    if config.is_file() {
        return mkdocs::column(dir, &config);
    }
    let files = plain::column(dir)?;
    let lone_page = matches!(
        files.lessons.as_slice(),
        [only] if only.path.file_name().is_some_and(|n| n == "index.html")
    );
    if !files.lessons.is_empty() && !lone_page {
        return Ok(files);
    }
    // No lesson files here (or only a site page's `index.html`): the lessons are a level down.
    if let Some(site) = site::column(dir)? {
        return Ok(site);
    }
    let docs = dir.join("docs");
    if files.lessons.is_empty() && docs.is_dir() && files::inside(&docs, dir) {
        let in_docs = plain::column(&docs)?;
        if !in_docs.lessons.is_empty() {
            return Ok(in_docs);
        }
    }
    let columns = columns_inside(dir)?;
    if !columns.is_empty() {
        bail!("{}", holds_columns(dir, &columns));
    }
    if lone_page {
        site::page(dir, files)
    } else {
        Ok(files)
    }
}

/// The sub-folders of `dir` that are columns themselves: an MkDocs column, a `docs/` folder, lesson
/// files, or lesson folders of a built site.
fn columns_inside(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for sub in sub_folders(dir)? {
        let is_column = sub.join("mkdocs.yml").is_file()
            || sub.join("docs").is_dir()
            || fs::read_dir(&sub)
                .into_iter()
                .flatten()
                .flatten()
                .any(|entry| {
                    let path = entry.path();
                    let name = entry.file_name().to_string_lossy().into_owned();
                    (is_lesson_name(&name) && path.is_file()) || path.join("index.html").is_file()
                });
        if is_column && let Some(name) = sub.file_name() {
            out.push(name.to_string_lossy().into_owned());
        }
    }
    Ok(out)
}

/// The visible sub-folders of `dir`, sorted by name.
fn sub_folders(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot list column folder `{}`", dir.display()))?;
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    Ok(out)
}

/// The error for a folder of columns: which columns, and the command that builds them all.
fn holds_columns(dir: &Path, columns: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut names = columns
        .iter()
        .take(SHOWN)
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if columns.len() > SHOWN {
        names.push_str(&format!(" and {} more", columns.len() - SHOWN));
    }
    format!(
        "`{}` holds columns, not lessons: {names}. Build one book per column into a folder OUT (create it first) with:\n  \
         lessonpub build {}/* --out-dir OUT",
        dir.display(),
        shell_word(&dir.display().to_string())
    )
}

/// `text` as one shell word: quoted when it holds anything a shell would read specially.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_alphanumeric() || "/._-+,:@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
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

    const SITE_PAGE: &str = "<!doctype html><html><body><nav class=\"md-nav md-nav--primary\"></nav><article class=\"md-content__inner md-typeset\"><h1>02 术语</h1><p>正文</p></article></body></html>";

    #[test]
    fn a_folder_of_columns_is_an_error_naming_them_with_the_batch_command() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("my columns");
        for (file, text) in [
            ("md/mkdocs.yml", "site_name: A"),
            ("html/01 _ a.md", "<p>a</p>"),
            ("nonav/docs/index.md", "C"),
            ("site/01 - a/index.html", SITE_PAGE),
            ("images/a.png", "png"),
        ] {
            let path = dir.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let err = column(&dir).unwrap_err().to_string();
        assert!(
            err.contains("holds columns, not lessons: `html`, `md`, `nonav`, `site`."),
            "{err}"
        );
        let command = format!("lessonpub build '{}'/* --out-dir OUT", dir.display());
        assert!(err.contains(&command), "{err}");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("/home/me/geektime"), "/home/me/geektime");
        assert_eq!(shell_word("/home/me/极客时间"), "/home/me/极客时间");
        assert_eq!(shell_word("/a b/it's"), "'/a b/it'\\''s'");
        assert_eq!(shell_word("~/x"), "'~/x'");
    }

    #[test]
    fn a_column_folder_with_docs_but_no_mkdocs_yml_reads_docs() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        fs::create_dir(&docs).unwrap();
        for (name, text) in [
            ("index.md", "说透敏捷\n"),
            ("说透敏捷.md", "介绍"),
            ("01 - 一.md", "正文"),
        ] {
            fs::write(docs.join(name), text).unwrap();
        }
        let column = column(dir.path()).unwrap();
        assert_eq!(column.layout, Layout::MarkdownDocs);
        assert_eq!(column.title.as_deref(), Some("说透敏捷"));
        assert_eq!(column.lessons.len(), 1);
        assert!(column.front.is_some());
    }

    #[test]
    fn a_lone_site_page_is_one_lesson_named_after_its_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let lesson = tmp.path().join("02 - 一篇文章带你快速搞定Kafka术语");
        fs::create_dir(&lesson).unwrap();
        fs::write(lesson.join("index.html"), SITE_PAGE).unwrap();
        let page = column(&lesson).unwrap();
        assert_eq!(page.layout, Layout::MkDocsSitePage);
        assert_eq!(
            page.title.as_deref(),
            Some("02 | 一篇文章带你快速搞定Kafka术语")
        );
        assert_eq!(page.lessons[0].title, "02 | 一篇文章带你快速搞定Kafka术语");

        // Any other lone `index.html` is a plain lesson file.
        fs::write(lesson.join("index.html"), "<p>正文</p>").unwrap();
        let plain = column(&lesson).unwrap();
        assert_eq!(plain.layout, Layout::Files);
        assert_eq!(plain.lessons[0].title, "index");
    }
}
