//! A plain folder: every lesson file directly inside it is a lesson, ordered by its name.
//!
//! An `index.md` that holds nothing but one line is the column's name, as in the `docs/` folder
//! of an MkDocs column whose `mkdocs.yml` was not kept: it names the book, is no lesson, and
//! `<name>.md` is the introduction page.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Column, Layout, LessonFile, is_lesson_name, order, outside_warning, title};
use crate::files;

/// The longest column name an `index.md` may hold; a longer one-liner is a lesson.
const MAX_NAME_CHARS: usize = 200;

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
    let Some((at, name)) = lessons
        .iter()
        .enumerate()
        .find(|(_, l)| l.path.file_name().is_some_and(|n| n == "index.md"))
        .and_then(|(at, l)| Some((at, column_name(&l.path)?)))
    else {
        return Ok(Column {
            layout: Layout::Files,
            title: None,
            front: None,
            lessons,
            parts: Vec::new(),
            warnings,
        });
    };
    lessons.remove(at);
    let intro = format!("{name}.md");
    let front = lessons
        .iter()
        .position(|l| l.path.file_name() == Some(std::ffi::OsStr::new(&intro)))
        .map(|at| lessons.remove(at));
    Ok(Column {
        layout: Layout::MarkdownDocs,
        title: Some(name),
        front,
        lessons,
        parts: Vec::new(),
        warnings,
    })
}

/// The column name an `index.md` holds: its one line of text, if that is all it holds.
fn column_name(index: &Path) -> Option<String> {
    let bytes = files::read_regular(index, 4 * MAX_NAME_CHARS as u64).ok()?;
    let text = crate::text::decode(&bytes).ok()?.text;
    let name = text.trim();
    (!name.is_empty() && !name.contains('\n') && name.chars().count() <= MAX_NAME_CHARS)
        .then(|| name.to_owned())
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

    #[test]
    fn index_md_names_the_column_and_its_introduction() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("index.md", "说透敏捷\n"),
            ("说透敏捷.md", "专栏介绍"),
            ("10 - 服务型领导.md", "正文"),
            ("01 - 灵魂拷问.md", "正文"),
            ("开篇词 - 重识敏捷.md", "正文"),
            ("结课测试 - 测试.md", "正文"),
            ("结束语 - 再见.md", "正文"),
        ] {
            fs::write(dir.path().join(name), text).unwrap();
        }
        let column = column(dir.path()).unwrap();
        assert_eq!(column.layout, Layout::MarkdownDocs);
        assert_eq!(column.title.as_deref(), Some("说透敏捷"));
        assert_eq!(column.front.unwrap().title, "说透敏捷");
        let titles: Vec<_> = column.lessons.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "开篇词 | 重识敏捷",
                "01 | 灵魂拷问",
                "10 | 服务型领导",
                "结束语 | 再见",
                "结课测试 | 测试"
            ]
        );
    }

    #[test]
    fn index_md_with_more_than_a_name_is_a_lesson() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("index.md"), "# 目录\n\n- 01\n- 02\n").unwrap();
        fs::write(dir.path().join("01 - 一.md"), "正文").unwrap();
        let column = column(dir.path()).unwrap();
        assert_eq!(column.layout, Layout::Files);
        assert_eq!(column.title, None);
        assert_eq!(column.lessons.len(), 2);
    }

    #[test]
    fn without_an_introduction_page_the_name_still_titles_the_book() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("index.md"), "专栏").unwrap();
        fs::write(dir.path().join("01 - 一.md"), "正文").unwrap();
        let column = column(dir.path()).unwrap();
        assert_eq!(column.title.as_deref(), Some("专栏"));
        assert_eq!(column.front, None);
        assert_eq!(column.lessons.len(), 1);
    }
}
