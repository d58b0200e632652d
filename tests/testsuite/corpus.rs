//! Every real column of ../shared/corpus, built offline, inspected and checked with EPUBCheck.

use std::path::Path;

use regex::Regex;

use crate::common::{
    Book, assert_epubcheck_clean, assert_success, corpus, lessonpub, source_lessons,
};

/// Lesson files and comment items of a column, counted straight from the source files (as the
/// corpus README counts them), independently of lessonpub's parsers; and whether the column has
/// an introduction page.
fn source_counts(dir: &Path) -> (usize, usize, bool) {
    let md_item = Regex::new(r"<li>(?:<img [^>]*>)?<span>").unwrap();
    let lessons = source_lessons(dir);
    let comments = lessons
        .iter()
        .map(|(_, text)| {
            if text.contains("class=\"_2sjJGcOH_0\"") {
                text.matches("class=\"_2sjJGcOH_0\"").count()
            } else {
                text.find("精选留言")
                    .map_or(0, |at| md_item.find_iter(&text[at..]).count())
            }
        })
        .sum();
    (lessons.len(), comments, dir.join("mkdocs.yml").is_file())
}

/// Builds a corpus column offline and checks what every column must satisfy; returns the book.
fn build_and_check(format: &str, slug: &str) -> Option<Book> {
    let dir = corpus()?.join(format).join(slug);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(format!("{slug}.epub"));
    let run = lessonpub([
        "build".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
        "--comments".as_ref(),
        "all".as_ref(),
    ]);
    assert_success(&run, slug);
    let book = Book::open(&out);
    let (lessons, comments, has_front) = source_counts(&dir);

    let nav = book.nav();
    let chapters = lessons + usize::from(has_front);
    assert_eq!(nav.len(), chapters, "{slug}: nav entries vs lesson files");
    let spine_in_nav: Vec<_> = book
        .spine()
        .into_iter()
        .filter(|p| nav.iter().any(|n| &n.href == p))
        .collect();
    let nav_hrefs: Vec<_> = nav.iter().map(|n| n.href.clone()).collect();
    assert_eq!(
        spine_in_nav, nav_hrefs,
        "{slug}: spine order differs from the table of contents"
    );
    for entry in &nav {
        assert!(
            book.files.contains_key(&entry.href),
            "{slug}: nav points to missing {}",
            entry.href
        );
    }
    assert_eq!(
        book.count_class("comment"),
        comments,
        "{slug}: comments in book vs source"
    );
    assert_eq!(
        book.remote_references(),
        Vec::<String>::new(),
        "{slug}: remote references"
    );
    assert_epubcheck_clean(&out);
    Some(book)
}

fn labels(book: &Book) -> Vec<String> {
    book.nav().into_iter().map(|n| n.label).collect()
}

#[test]
fn sql_must_know_follows_the_mkdocs_nav() {
    let Some(book) = build_and_check("md", "sql-must-know") else {
        return;
    };
    let labels = labels(&book);
    assert_eq!(
        labels[0], "SQL必知必会",
        "the introduction page comes first"
    );
    // The nav puts the later additions before the opening words; the book keeps that order.
    let pos = |s: &str| {
        labels
            .iter()
            .position(|l| l.starts_with(s))
            .unwrap_or_else(|| panic!("{s} in {labels:?}"))
    };
    assert!(pos("旅程再启") < pos("加餐01") && pos("加餐06") < pos("开篇词"));
    assert!(pos("开篇词") < pos("01 | ") && pos("09 | ") < pos("10 | "));
    assert!(
        labels
            .iter()
            .any(|l| l == "28 | 从磁盘I-O的角度理解SQL查询的成本"),
        "{labels:?}"
    );
}

#[test]
fn rust_mq_builds() {
    let Some(book) = build_and_check("md", "rust-mq") else {
        return;
    };
    let labels = labels(&book);
    assert_eq!(labels[1], "开篇词 | 为什么想用Rust写一个消息队列？");
    assert!(labels.last().unwrap().starts_with("结束语 | "));
}

#[test]
fn programmer_advance_builds() {
    let Some(book) = build_and_check("md", "programmer-advance") else {
        return;
    };
    assert_eq!(labels(&book).len(), 66);
}

#[test]
fn linux_perf_orders_lessons_from_file_names() {
    let Some(book) = build_and_check("html", "linux-perf") else {
        return;
    };
    let labels = labels(&book);
    assert!(labels[0].starts_with("开篇词 | "), "{labels:?}");
    assert!(
        labels[1].starts_with("01 | ") && labels[58].starts_with("58 | "),
        "{labels:?}"
    );
    assert!(
        labels[59].starts_with("加餐（一） | ") && labels[60].starts_with("加餐（二） | "),
        "{labels:?}"
    );
    assert!(
        labels[63].starts_with("结束语 | ") && labels[64].starts_with("结课测试 | "),
        "{labels:?}"
    );
}

#[test]
fn sre_handbook_builds() {
    let Some(book) = build_and_check("html", "sre-handbook") else {
        return;
    };
    let labels = labels(&book);
    assert_eq!(labels[0], "开篇词 | SRE是解决系统稳定性问题的灵丹妙药吗？");
    assert_eq!(labels[1], "01 | SRE迷思：无所不能的角色？还是运维的升级？");
    assert_eq!(
        labels[2],
        "02 | 系统可用性：没有故障，系统就一定是稳定的吗？"
    );
    let all: String = book.xhtml().into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        all.matches("<span class=\"reply-label\">作者回复</span>")
            .count(),
        129
    );
    assert_eq!(
        all.matches("<span class=\"reply-label\">编辑回复</span>")
            .count(),
        1
    );
}

#[test]
fn serverless_advanced_builds() {
    let Some(book) = build_and_check("html", "serverless-advanced") else {
        return;
    };
    let labels = labels(&book);
    assert!(
        labels[labels.len() - 2].starts_with("结束语 | ")
            && labels.last().unwrap().starts_with("期末测试 | ")
    );
    let all: String = book.xhtml().into_iter().map(|(_, t)| t).collect();
    assert!(
        all.contains("&lt;zone&gt;"),
        "the unclosed <zone> placeholder is kept as text"
    );
}
