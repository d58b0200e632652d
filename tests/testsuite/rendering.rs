//! How the book reads (issue 16): code laid out line by line and highlighted, the cover on one
//! screen, contents with one number per entry and the column's parts, comments that never look
//! empty. Real columns of the corpus, and a small column written here.

use std::fs;

use regex::Regex;

use crate::common::{
    Book, assert_epubcheck_clean, assert_success, build_offline, corpus, source_lessons,
};

fn build_corpus(format: &str, slug: &str) -> (Book, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("book.epub");
    let dir = corpus().join(format).join(slug);
    let run = build_offline(&dir, &out, &["--comments", "all"]);
    assert_success(&run, slug);
    (Book::open(&out), tmp)
}

fn chapters(book: &Book) -> Vec<(String, String)> {
    book.xhtml()
        .into_iter()
        .filter(|(name, _)| name.contains("/lesson-") || name.ends_with("/front.xhtml"))
        .collect()
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn every_code_block_of_linux_perf_is_laid_out_line_by_line() {
    let (book, _tmp) = build_corpus("html", "linux-perf");
    let source_blocks: usize = source_lessons(&corpus().join("html/linux-perf"))
        .iter()
        .map(|(_, text)| text.matches("<pre").count())
        .sum();
    let chapters = chapters(&book);
    let all: String = chapters.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(all.matches("<pre").count(), source_blocks);
    assert_eq!(all.matches("<pre class=\"code").count(), source_blocks);
    // No line break between lines: each line is a block of its own, its newline inside it.
    assert!(!all.contains("</span>\n<span class=\"line\">"));

    // `top`'s process table is wider than a 6" screen: set smaller.
    let class = Regex::new(r#"^ class="([^"]*)""#).unwrap();
    let classes: Vec<&str> = all
        .split("<pre")
        .filter(|block| block.split("</pre>").next().unwrap().contains("PID USER"))
        .map(|block| class.captures(block).unwrap().get(1).unwrap().as_str())
        .collect();
    assert!(!classes.is_empty());
    assert!(
        classes.iter().all(|c| *c == "code code-wide"),
        "{classes:?}"
    );
    // A shell session: the prompt marked, the command after it.
    assert!(all.contains("<span class=\"line command\"><span class=\"hl-prompt\">$ </span>"));
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn code_in_a_named_language_is_highlighted() {
    let (book, _tmp) = build_corpus("html", "serverless-advanced");
    let go: Vec<String> = chapters(&book)
        .into_iter()
        .filter(|(_, t)| t.contains("<code class=\"language-go\">"))
        .map(|(_, t)| t)
        .collect();
    assert!(!go.is_empty());
    assert!(
        go.iter()
            .any(|t| t.contains("<span class=\"hl-keyword\">func</span>")),
        "Go's `func` is a keyword"
    );
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn comments_show_words_and_dates_to_the_minute() {
    let (book, _tmp) = build_corpus("html", "linux-perf");
    let reply = Regex::new(r#"<span class="reply-label">[^<]*</span>(.*?)</p>"#).unwrap();
    let word = Regex::new(r"[\p{Han}A-Za-z0-9]").unwrap();
    let seconds = Regex::new(r#"class="comment-date">[^<]*\d:\d\d:\d\d<"#).unwrap();
    let mut replies = 0;
    for (name, text) in chapters(&book) {
        for c in reply.captures_iter(&text) {
            replies += 1;
            let shown = c.get(1).unwrap().as_str();
            assert!(
                word.is_match(shown),
                "{name}: a reply with no word: {shown:?}"
            );
        }
        assert!(!seconds.is_match(&text), "{name}: a date with seconds");
    }
    assert!(replies > 0);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn the_cover_fits_one_screen_and_the_guide_names_it() {
    let (book, _tmp) = build_corpus("md", "rust-mq");
    let manifest = book.manifest();
    let (href, _, props) = &manifest["cover"];
    assert_eq!(props, "svg");
    let page = book.text(href);
    assert!(
        page.contains("preserveAspectRatio=\"xMidYMid meet\""),
        "{page}"
    );
    assert!(page.contains("xlink:href=\"../images/cover."), "{page}");
    let opf = book.text(&book.opf_path);
    assert!(
        opf.contains("<reference type=\"cover\" title=\"封面\" href=\"text/cover.xhtml\"/>"),
        "{opf}"
    );
}

/// A column whose titles name its parts, each part's lessons together.
const PARTS: &[(&str, &str)] = &[
    ("开篇词 _ 为什么学.md", "<p>你好，我是张磊。</p>"),
    ("01 _ 基础篇：一.md", "<p>一</p>"),
    ("02 _ 基础篇：二.md", "<p>二</p>"),
    ("03 _ 案例篇：三.md", "<p>三</p>"),
    ("04 _ 案例篇：四.md", "<p>四</p>"),
    ("结束语 _ 再见.md", "<p>再见</p>"),
];

#[test]
fn contents_group_lessons_into_the_parts_their_titles_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("分篇");
    fs::create_dir_all(&dir).unwrap();
    for (name, text) in PARTS {
        fs::write(dir.join(name), text).unwrap();
    }
    let out = tmp.path().join("parts.epub");
    assert_success(&build_offline(&dir, &out, &[]), "parts");
    let book = Book::open(&out);
    let labels: Vec<String> = book.nav().into_iter().map(|n| n.label).collect();
    assert_eq!(
        labels,
        [
            "开篇词 | 为什么学",
            "基础篇",
            "01 | 基础篇：一",
            "02 | 基础篇：二",
            "案例篇",
            "03 | 案例篇：三",
            "04 | 案例篇：四",
            "结束语 | 再见"
        ]
    );
    let nav = book.text("EPUB/text/nav.xhtml");
    assert!(nav.contains("<li class=\"part\"><a href=\"lesson-002.xhtml\">基础篇</a><ol>"));
    assert_epubcheck_clean(&out);
}

#[test]
fn the_sections_of_an_mkdocs_nav_are_the_parts_of_the_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("column");
    let docs = dir.join("docs");
    fs::create_dir_all(&docs).unwrap();
    for name in ["开篇词.md", "一.md", "二.md", "三.md", "结束语.md"] {
        fs::write(docs.join(name), "你好，我是张磊。").unwrap();
    }
    fs::write(
        dir.join("mkdocs.yml"),
        "site_name: 分篇\nnav:\n  - 开篇词.md\n  - 基础篇:\n    - 一.md\n    - 二.md\n  - 实战篇:\n    \
         - 三.md\n  - 结束语.md\n",
    )
    .unwrap();
    let out = tmp.path().join("sections.epub");
    assert_success(&build_offline(&dir, &out, &[]), "sections");
    let book = Book::open(&out);
    let labels: Vec<String> = book.nav().into_iter().map(|n| n.label).collect();
    assert_eq!(
        labels,
        ["开篇词", "基础篇", "一", "二", "实战篇", "三", "结束语"]
    );
    assert_epubcheck_clean(&out);
}

#[test]
fn each_volume_keeps_the_parts_of_its_lessons() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("分篇");
    fs::create_dir_all(&dir).unwrap();
    for (name, text) in PARTS {
        fs::write(dir.join(name), text).unwrap();
    }
    let out = tmp.path().join("parts.epub");
    assert_success(&build_offline(&dir, &out, &["--volumes", "2"]), "volumes");
    let labels = |name: &str| -> Vec<String> {
        let book = Book::open(&tmp.path().join(name));
        book.nav().into_iter().map(|n| n.label).collect()
    };
    assert_eq!(
        labels("parts-1.epub"),
        [
            "开篇词 | 为什么学",
            "基础篇",
            "01 | 基础篇：一",
            "02 | 基础篇：二"
        ]
    );
    assert_eq!(
        labels("parts-2.epub"),
        [
            "案例篇",
            "03 | 案例篇：三",
            "04 | 案例篇：四",
            "结束语 | 再见"
        ]
    );
}
