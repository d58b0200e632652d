//! Every real column of ../shared/corpus, built offline, inspected and checked with EPUBCheck.

use std::path::Path;

use lessonpub::discover::readable_title;
use regex::Regex;

use crate::common::{
    Book, assert_epubcheck_clean, assert_success, corpus, lessonpub, source_intro, source_lessons,
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
                // A built site's page goes on after its article; its comments are inside.
                let end = text.rfind("</article>").unwrap_or(text.len());
                text[..end]
                    .find("精选留言")
                    .map_or(0, |at| md_item.find_iter(&text[at..end]).count())
            }
        })
        .sum();
    (lessons.len(), comments, source_intro(dir).is_some())
}

/// Builds a corpus column offline and checks what every column must satisfy, `-v` naming its
/// `layout`; returns the book.
fn build_and_check(format: &str, slug: &str, layout: &str) -> Book {
    let dir = corpus().join(format).join(slug);
    build_dir_and_check(&dir, layout)
}

fn build_dir_and_check(dir: &Path, layout: &str) -> Book {
    let slug = dir.display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("book.epub");
    let run = lessonpub([
        "build".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
        "--comments".as_ref(),
        "all".as_ref(),
        "-v".as_ref(),
    ]);
    assert_success(&run, &slug);
    let book = Book::open(&out);
    let column = if dir.ends_with("docs") {
        dir.parent().unwrap()
    } else {
        dir
    };
    let (lessons, comments, has_front) = source_counts(column);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!("  {layout}, {lessons} lessons\n")),
        "{slug}: -v does not say `{layout}, {lessons} lessons`:\n{stderr}"
    );

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
    book
}

/// The tests that need `../shared` were compiled as ignored if it was missing (build.rs), and
/// stay ignored until build.rs runs again; a copy cloned since must not leave them so unnoticed.
#[test]
#[cfg(any(no_corpus, no_image_samples))]
fn shared_folders_are_still_missing() {
    for (folder, ignored) in [
        ("corpus", cfg!(no_corpus)),
        ("checks/images", cfg!(no_image_samples)),
    ] {
        let dir = Path::new(crate::common::SHARED).join(folder);
        assert!(
            !(ignored && dir.is_dir()),
            "`{}` appeared after the tests that need it were built as ignored: \
             `touch build.rs` and run `cargo test` again",
            dir.display()
        );
    }
}

fn labels(book: &Book) -> Vec<String> {
    book.nav().into_iter().map(|n| n.label).collect()
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn sql_must_know_follows_the_mkdocs_nav() {
    let book = build_and_check("md", "sql-must-know", "MkDocs column (mkdocs.yml)");
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
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn rust_mq_builds() {
    let book = build_and_check("md", "rust-mq", "MkDocs column (mkdocs.yml)");
    let labels = labels(&book);
    assert_eq!(labels[1], "开篇词 | 为什么想用Rust写一个消息队列？");
    assert!(labels.last().unwrap().starts_with("结束语 | "));
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn programmer_advance_builds() {
    let book = build_and_check("md", "programmer-advance", "MkDocs column (mkdocs.yml)");
    assert_eq!(labels(&book).len(), 66);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn linux_perf_orders_lessons_from_file_names() {
    let book = build_and_check("html", "linux-perf", "lesson files");
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
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn sre_handbook_builds() {
    let book = build_and_check("html", "sre-handbook", "lesson files");
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
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn serverless_advanced_builds() {
    let book = build_and_check("html", "serverless-advanced", "lesson files");
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

/// The folder names of a built site's column in the site's own order, by the chain of
/// `<link rel="next">` from the introduction page (it runs on into the next column, whose
/// links leave the folder).
fn site_order(dir: &Path) -> Vec<String> {
    let next = Regex::new(r#"<link rel="next" href="\.\./([^/"]+)/">"#).unwrap();
    let mut page = source_intro(dir).unwrap();
    let mut order = Vec::new();
    loop {
        order.push(
            page.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
        let text = std::fs::read_to_string(&page).unwrap();
        let Some(link) = next.captures(&text) else {
            return order;
        };
        page = dir.join(percent_decoded(&link[1])).join("index.html");
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A built site's column: every lesson in the site's order, the introduction first and titling
/// the book, every code block, and nothing of the site around the articles.
fn check_site_column(slug: &str) -> Book {
    let dir = corpus().join("mkdocs-site").join(slug);
    let book = build_dir_and_check(&dir, "MkDocs site");
    let expected: Vec<String> = site_order(&dir).iter().map(|n| readable_title(n)).collect();
    assert_eq!(
        labels(&book),
        expected,
        "{slug}: lessons in the site's order"
    );
    let opf = book.text(&book.opf_path);
    assert!(
        opf.contains(&format!(">{}</dc:title>", expected[0])),
        "{slug}: title"
    );

    let all: String = book.xhtml().into_iter().map(|(_, t)| t).collect();
    for chrome in [
        "极客时间文档",
        "md-nav",
        "__codelineno",
        "回到页面顶部",
        "Copyright",
        "Material for MkDocs",
        "<script",
        "__md_scope",
        "canonical",
    ] {
        assert!(
            !all.contains(chrome),
            "{slug}: site chrome `{chrome}` in the book"
        );
    }
    let pre = Regex::new(r"<pre\b").unwrap();
    let source_pre: usize = source_lessons(&dir)
        .iter()
        .map(|(_, text)| {
            let start = text.find("<article").unwrap();
            let end = text.rfind("</article>").unwrap();
            pre.find_iter(&text[start..end]).count()
        })
        .sum();
    assert_eq!(
        pre.find_iter(&all).count(),
        source_pre,
        "{slug}: code blocks"
    );
    book
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn api_testing_intro_site_builds_in_the_sites_order() {
    let book = check_site_column("api-testing-intro");
    let labels = labels(&book);
    assert_eq!(labels.len(), 13);
    assert_eq!(labels[0], "接口测试入门课");
    assert!(labels[1].starts_with("开篇词 | "), "{labels:?}");
    assert!(labels[12].starts_with("结课测试"), "{labels:?}");
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn kafka_core_site_builds_in_the_sites_order() {
    let book = check_site_column("kafka-core");
    let labels = labels(&book);
    assert_eq!(labels.len(), 48);
    // Folder names would sort 加餐 and 开篇词 after the numbers; the site's navigation does not.
    assert_eq!(labels[1], "开篇词 | 为什么要学习Kafka？");
    assert_eq!(labels[2], "01 | 消息引擎系统ABC");
    assert!(labels[44].starts_with("加餐 | ") && labels[45].starts_with("用户故事 | "));
    assert!(labels[46].starts_with("结束语 | ") && labels[47].starts_with("期末测试 | "));
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn kafka_core_lesson_folder_alone_is_a_book_of_that_lesson() {
    let corpus = corpus();
    let dir = corpus.join("mkdocs-site/kafka-core/02 - 一篇文章带你快速搞定Kafka术语");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("one.epub");
    let run = lessonpub([
        "build".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
        "--comments".as_ref(),
        "all".as_ref(),
        "-v".as_ref(),
    ]);
    assert_success(&run, "one lesson folder");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("one page of an MkDocs site, 1 lesson\n")
    );
    let book = Book::open(&out);
    assert_eq!(labels(&book), ["02 | 一篇文章带你快速搞定Kafka术语"]);
    assert_eq!(book.count_class("comment"), 15);
    let all: String = book.xhtml().into_iter().map(|(_, t)| t).collect();
    assert!(!all.contains("md-nav") && !all.contains("<meta name"));
    assert_epubcheck_clean(&out);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn agile_explained_without_mkdocs_yml_builds_from_the_column_and_its_docs() {
    let corpus = corpus();
    let dir = corpus.join("md-nonav/agile-explained");
    let layout = "Markdown files without mkdocs.yml";
    let book = build_dir_and_check(&dir, layout);
    let got = labels(&book);
    assert_eq!(got[0], "说透敏捷", "the introduction page comes first");
    assert!(got[1].starts_with("开篇词 | "), "{got:?}");
    let numbered: Vec<_> = (1..=10).map(|n| format!("{n:02} | ")).collect();
    for (label, prefix) in got[2..12].iter().zip(&numbered) {
        assert!(label.starts_with(prefix.as_str()), "{got:?}");
    }
    assert!(got[12].starts_with("结束语 | ") && got[13].starts_with("结课测试 | "));
    assert!(!got.iter().any(|l| l == "index"), "{got:?}");
    let opf = book.text(&book.opf_path);
    assert!(
        opf.contains(">说透敏捷</dc:title>"),
        "the title comes from index.md"
    );

    let from_docs = build_dir_and_check(&dir.join("docs"), layout);
    assert_eq!(labels(&from_docs), got);
}
