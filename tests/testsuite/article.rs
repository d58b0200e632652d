//! Nothing of the article is lost: maths, audio and video, placeholders that look like tags, and
//! the author the lessons name. Small columns written here, and real lessons of the corpus.

use std::fs;
use std::path::Path;

use regex::Regex;

use crate::common::{Book, assert_epubcheck_clean, assert_success, build_offline, corpus};

/// A column of `lessons` (file name, text) in `dir`.
fn column(dir: &Path, lessons: &[(&str, &str)]) {
    fs::create_dir_all(dir).unwrap();
    for (name, text) in lessons {
        fs::write(dir.join(name), text).unwrap();
    }
}

/// Builds `dir` offline into `out` and returns the book and stderr.
fn build(dir: &Path, out: &Path, extra: &[&str]) -> (Book, String) {
    let run = build_offline(dir, out, extra);
    assert_success(&run, &dir.display().to_string());
    (
        Book::open(out),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

const MATHS: &str = "你好，我是张磊。

两点之间的距离（保存时被 Markdown 转义过）：

$$d=\\\\sqrt{(x\\_{1}-x\\_{2})^2+(y\\_{1}-y\\_{2})^2}$$

其中 $x_1$ 是横坐标，$\\sum_{i=1}^{n} \\frac{a_i}{n}$ 是均值，矩阵：

$$
\\left[\\begin{array}{cc}
1 & 2 \\\\
3 & 4
\\end{array}\\right]
$$

$$\\text{速度}=\\frac{\\text{路程}}{\\text{时间}}, \\operatorname{argmax}_x f(x)$$

单元格 $A$1 不是公式，坏的公式 $\\nosuch{x}$ 留作代码。
";

#[test]
fn maths_become_mathml_that_epubcheck_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("数学");
    column(
        &dir,
        &[
            ("01 _ 公式.md", MATHS),
            ("02 _ 没有公式.md", "你好，我是张磊。今天只有文字。"),
        ],
    );
    let out = tmp.path().join("maths.epub");
    let (book, stderr) = build(&dir, &out, &[]);
    let maths = book.text("EPUB/text/lesson-001.xhtml");
    assert!(
        maths.contains(
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\" \
             alttext=\"d=\\sqrt{(x_{1}-x_{2})^2+(y_{1}-y_{2})^2}\" display=\"block\">"
        ),
        "{maths}"
    );
    assert!(maths.contains("alttext=\"x_1\" display=\"inline\""));
    assert_eq!(maths.matches("<math ").count(), 5, "{maths}");
    assert_eq!(
        maths.matches("<mtr>").count(),
        2,
        "the matrix has its two rows"
    );
    assert!(maths.contains("<mtext>速度</mtext>"));
    assert!(maths.contains("单元格 $A$1 不是公式"));
    assert!(maths.contains("<code>$\\nosuch{x}$</code>"));
    assert!(
        stderr.contains("01 _ 公式.md` line 18: formula `$\\nosuch{x}$` cannot be converted"),
        "{stderr}"
    );
    let properties: Vec<(String, String)> = book
        .manifest()
        .into_values()
        .filter(|(href, _, _)| href.contains("lesson-"))
        .map(|(href, _, props)| (href, props))
        .collect();
    assert_eq!(
        properties,
        [
            ("EPUB/text/lesson-001.xhtml".to_owned(), "mathml".to_owned()),
            ("EPUB/text/lesson-002.xhtml".to_owned(), String::new())
        ]
    );
    assert_epubcheck_clean(&out);
}

#[test]
fn placeholders_with_attributes_keep_their_text() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("git");
    column(
        &dir,
        &[(
            "01 _ 提交.md",
            "<p>查看提交历史（不包括<commit id=\"\">，越下面越新）。</p>\
             <p>另一个拼错的<commid id=\"\">也一样。</p>\
             <p>图：<svg width=\"10\" height=\"10\"><circle cx=\"5\" cy=\"5\" r=\"4\"/></svg>完。</p>",
        )],
    );
    let out = tmp.path().join("git.epub");
    let (book, _) = build(&dir, &out, &[]);
    let lesson = book.text("EPUB/text/lesson-001.xhtml");
    assert!(
        lesson.contains("（不包括&lt;commit id=\"\"&gt;，越下面越新）"),
        "{lesson}"
    );
    assert!(
        lesson.contains("拼错的&lt;commid id=\"\"&gt;也一样"),
        "{lesson}"
    );
    assert!(
        lesson.contains("图：完。"),
        "the drawing goes, untouched: {lesson}"
    );
    assert_epubcheck_clean(&out);
}

#[test]
fn the_author_the_lessons_name_is_on_the_cover_and_in_the_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("专栏");
    column(
        &dir,
        &[
            (
                "01 _ 一.md",
                "> 本课程不标配音频\n\n你好，我是张磊。今天讲一。",
            ),
            ("02 _ 二.md", "你好，我是张磊，欢迎回来。"),
        ],
    );
    let cover = |book: &Book| book.files["EPUB/images/cover.png"].clone();
    let (detected, _) = build(&dir, &tmp.path().join("a.epub"), &[]);
    assert!(
        detected
            .text(&detected.opf_path)
            .contains("<dc:creator id=\"creator\">张磊</dc:creator>")
    );
    let (named, _) = build(&dir, &tmp.path().join("b.epub"), &["--author", "张磊"]);
    assert_eq!(
        cover(&detected),
        cover(&named),
        "the cover names the author"
    );
    let (other, _) = build(&dir, &tmp.path().join("c.epub"), &["--author", "李四"]);
    assert!(
        other
            .text(&other.opf_path)
            .contains("<dc:creator id=\"creator\">李四</dc:creator>"),
        "--author wins"
    );
    assert_ne!(cover(&detected), cover(&other));
}

/// Builds a corpus column offline.
fn corpus_book(format: &str, slug: &str, out: &Path) -> Book {
    let dir = corpus().join(format).join(slug);
    build(&dir, out, &["--comments", "none"]).0
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn corpus_video_and_audio_leave_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("serverless.epub");
    let book = corpus_book("html", "serverless-advanced", &out);
    let chapter = book
        .nav()
        .into_iter()
        .find(|n| n.label.starts_with("20 | "))
        .map(|n| book.text(&n.href))
        .unwrap();
    let note = Regex::new(
        "<span class=\"media-note\">视频：<a \
         href=\"https://media001\\.geekbang\\.org/customerTrans/[^\"]+\\.mp4\">在线观看</a></span>",
    )
    .unwrap();
    assert_eq!(note.find_iter(&chapter).count(), 1, "{chapter}");
    assert!(chapter.contains("音频：<a href=\"https://static001.geekbang.org/resource/audio/"));
    let lessons_with_audio =
        crate::common::source_lessons(&corpus().join("html/serverless-advanced"))
            .iter()
            .filter(|(_, text)| text.contains("<audio"))
            .count();
    let audio_notes: usize = book
        .xhtml()
        .iter()
        .map(|(_, text)| text.matches("音频：<a href=").count())
        .sum();
    assert_eq!(audio_notes, lessons_with_audio);
    assert_epubcheck_clean(&out);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn corpus_authors_are_found_or_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let creator = |book: &Book| {
        let opf = book.text(&book.opf_path);
        let start = opf.find("<dc:creator id=\"creator\">")? + "<dc:creator id=\"creator\">".len();
        Some(opf[start..start + opf[start..].find('<')?].to_owned())
    };
    let perf = corpus_book("html", "linux-perf", &tmp.path().join("a.epub"));
    assert_eq!(creator(&perf).as_deref(), Some("倪朋飞"));
    let mq = corpus_book("md", "rust-mq", &tmp.path().join("b.epub"));
    assert_eq!(creator(&mq).as_deref(), Some("文强"));
    // Its first lessons greet as `陈博士`, a title: no author rather than a wrong one.
    let sql = corpus_book("md", "sql-must-know", &tmp.path().join("c.epub"));
    assert_eq!(creator(&sql), None);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn corpus_dollars_that_are_no_formula_stay_text() {
    let tmp = tempfile::tempdir().unwrap();
    let book = corpus_book("md", "sql-must-know", &tmp.path().join("sql.epub"));
    let all: String = book.xhtml().into_iter().map(|(_, t)| t).collect();
    assert!(all.contains("导入全部的数据到指定的$A$1（代表A1单元格）"));
    assert!(all.contains("或者（$$）。"));
    assert!(!all.contains("<math"));
}
