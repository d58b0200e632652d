//! Our own small columns, one per format, each pinning the traps of the real data.

use std::fs;
use std::path::Path;

use crate::common::{
    Book, assert_epubcheck_clean, assert_failure, assert_success, build_offline, fixture, lessonpub,
};

fn build(column: &Path, out: &Path, extra: &[&str]) -> Book {
    assert_success(
        &build_offline(column, out, extra),
        &column.display().to_string(),
    );
    Book::open(out)
}

/// `xhtml` without its tags, entities kept: code blocks are split into lines and tokens.
fn without_tags(xhtml: &str) -> String {
    regex::Regex::new("<[^>]*>")
        .unwrap()
        .replace_all(xhtml, "")
        .into_owned()
}

/// Chapter XHTML whose title holds `title`.
fn chapter(book: &Book, title: &str) -> String {
    let nav = book.nav();
    let entry = nav
        .iter()
        .find(|n| n.label.contains(title))
        .unwrap_or_else(|| panic!("no chapter {title}"));
    book.text(&entry.href)
}

#[test]
fn md_fixture_book() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("md.epub");
    let book = build(&fixture("md-column"), &out, &[]);
    let labels: Vec<_> = book.nav().into_iter().map(|n| n.label).collect();
    assert_eq!(
        labels,
        [
            "测试专栏 · Markdown",
            "加餐 | 后来加的",
            "开篇词 | 为什么要学",
            "01 | 第一课：基础",
            "02 | 第二课：没有留言"
        ]
    );
    assert_eq!(book.count_class("comment"), 6);

    let opening = chapter(&book, "开篇词");
    assert!(
        opening.contains("占位符 &lt;uuid&gt; 不是标签，A &amp; B &lt; C。"),
        "placeholder tag kept as text"
    );
    let text = without_tags(&opening);
    assert!(text.contains("SELECT * FROM t WHERE a &lt; 3 &amp;&amp; b &gt; 2;"));
    assert!(
        text.contains("```\n嵌套的围栏\n```"),
        "4-backtick fence keeps the inner fence"
    );
    assert!(
        opening.contains("<table>") && opening.contains("<td>甲</td>"),
        "GFM table"
    );
    assert!(opening.contains("<blockquote>"));
    assert!(
        opening.contains("alt=\"图片\" title=\"架构图\""),
        "image alt and title kept"
    );
    assert!(opening.contains("<a href=\"https://time.geekbang.org/\">链接</a>"));
    assert!(
        opening.contains("<a>站内链接</a>"),
        "a link to a file outside the book loses its href"
    );
    assert!(opening.contains("\u{a0}"));
    // Comment text with Markdown-significant lines stays comment text.
    assert!(opening.contains("第一行<br/>第二行<br/>第三行 &lt;b&gt; &amp; / \"引号\" '单'<br/>```<br/># 不是标题<br/>退格字符"));
    assert!(!opening.contains("<h1># 不是标题"));
    assert!(opening.contains("<span class=\"comment-likes\">赞 11</span>"));
    assert_eq!(
        opening.matches("class=\"avatar\"").count(),
        3,
        "an empty avatar src gets the placeholder"
    );
    assert!(opening.contains("微信头像👨\u{200d}🏫"));
    assert!(opening.contains("精选留言（3）"));

    let no_comments = chapter(&book, "没有留言");
    assert!(!no_comments.contains("comments"));
    assert_epubcheck_clean(&out);
}

#[test]
fn html_fixture_book() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("html.epub");
    let book = build(&fixture("html-column"), &out, &[]);
    let labels: Vec<_> = book.nav().into_iter().map(|n| n.label).collect();
    assert_eq!(
        labels,
        [
            "开篇词 | 你好",
            "01 | 第一讲",
            "2 | 第二讲",
            "10 | 第十讲",
            "加餐（一） | 加餐一",
            "加餐（二） | 加餐二",
            "结束语 | 再见",
            "期末测试 | 来赴一场满分之约！",
        ]
    );
    assert_eq!(book.count_class("comment"), 4);
    let opening = chapter(&book, "开篇词");
    assert!(opening.contains("/init/&lt;num&gt;：插入指定数量的缓存数据"));
    assert!(opening.contains("uuid:&lt;uuid&gt; 和未闭合的 &lt;zone&gt;标签"));
    assert!(without_tags(&opening).contains("if a &lt; b &amp;&amp; c &gt; d {\n\treturn\n}"));
    assert!(
        !opening.contains("<audio") && !opening.contains("<video") && !opening.contains("read_end")
    );
    assert!(!opening.contains("<style") && !opening.contains("_2sjJGcOH_0"));
    assert!(
        opening.contains("付费部分继续"),
        "the article continues after the read_end marker"
    );
    assert!(opening.contains("href=\"https://example.org/a?b=1&amp;c=2\""));
    assert!(opening.contains("第一行<br/>第二行<br/>第三行 / \""));
    assert!(opening.contains("<span class=\"reply-label\">作者回复</span> 谢谢<br/>再见"));
    assert!(opening.contains("<span class=\"reply-label\">编辑回复</span> 已修正"));
    // Shown to the minute, as GeekTime's page shows it (the file has `2019-01-02 14:46:22`).
    assert!(opening.contains("<span class=\"comment-date\">2019-01-02 14:46</span>"));
    assert!(
        !opening.contains("comment-likes"),
        "this format records no likes"
    );
    assert_eq!(book.remote_references(), Vec::<String>::new());
    assert_epubcheck_clean(&out);
}

#[test]
fn same_input_gives_a_byte_identical_book() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.epub"), tmp.path().join("b.epub"));
    build(&fixture("md-column"), &a, &[]);
    build(&fixture("md-column"), &b, &[]);
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
}

#[test]
fn metadata_flags_reach_the_package() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.epub");
    let book = build(
        &fixture("html-column"),
        &out,
        &[
            "--title",
            "我的书 & 笔记",
            "--author",
            "作者甲",
            "--lang",
            "zh-TW",
        ],
    );
    let opf = book.text(&book.opf_path);
    assert!(opf.contains("<dc:title>我的书 &amp; 笔记</dc:title>"));
    assert!(opf.contains("<dc:creator id=\"creator\">作者甲</dc:creator>"));
    assert!(opf.contains("<dc:language>zh-TW</dc:language>"));
    assert!(
        opf.contains("<meta property=\"dcterms:modified\">2023-11-14T22:13:20Z</meta>"),
        "SOURCE_DATE_EPOCH"
    );
    assert!(chapter(&book, "第一讲").contains("xml:lang=\"zh-TW\" lang=\"zh-TW\""));
    assert_epubcheck_clean(&out);
}

#[test]
fn failed_build_leaves_an_existing_book_untouched_and_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    let column = tmp.path().join("col");
    fs::create_dir(&column).unwrap();
    fs::write(column.join("01 | 好.md"), "正文").unwrap();
    let out_dir = tmp.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("book.epub");
    assert_success(&build_offline(&column, &out, &[]), "first build");
    let previous = fs::read(&out).unwrap();
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    fs::write(column.join("02 | 坏.md"), binary).unwrap();

    let run = lessonpub([
        "build".as_ref(),
        column.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
    ]);
    let stderr = assert_failure(&run, "binary lesson");
    assert!(
        stderr.contains("02 | 坏.md"),
        "the error names the file: {stderr}"
    );
    assert_eq!(fs::read(&out).unwrap(), previous);
    assert_eq!(
        fs::read_dir(&out_dir).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[cfg(unix)]
#[test]
fn the_book_is_readable_by_all_like_a_saved_file() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p.epub");
    build(&fixture("md-column"), &out, &[]);
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

#[test]
fn a_lesson_cut_off_inside_a_character_is_still_read_as_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let column = tmp.path().join("cut");
    fs::create_dir(&column).unwrap();
    let text = "你好，我是作者。\n\n正文第一段，然后文件在字中间断了。";
    fs::write(
        column.join("01 | 截断.md"),
        &text.as_bytes()[..text.len() - 2],
    )
    .unwrap();
    let out = tmp.path().join("cut.epub");
    let run = build_offline(&column, &out, &[]);
    assert_success(&run, "cut-off lesson");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("01 | 截断.md") && stderr.contains("1 damaged sequence"),
        "the damage is reported with the file: {stderr}"
    );
    let lesson = chapter(&Book::open(&out), "截断");
    assert!(lesson.contains("你好，我是作者。"), "not read as mojibake");
}

#[cfg(unix)]
#[test]
fn a_lesson_whose_file_name_is_not_utf8_builds() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let column = tmp.path().join("gbk-names");
    fs::create_dir(&column).unwrap();
    // `01 | 你好.md` saved on a GBK system.
    let name = std::ffi::OsStr::from_bytes(b"01 | \xc4\xe3\xba\xc3.md");
    fs::write(column.join(name), "# 标题\n\n正文在这里。").unwrap();
    let out = tmp.path().join("gbk-names.epub");
    let book = build(&column, &out, &[]);
    assert_eq!(book.nav().len(), 1);
    assert!(book.xhtml().iter().any(|(_, x)| x.contains("正文在这里。")));
    assert_epubcheck_clean(&out);
}
