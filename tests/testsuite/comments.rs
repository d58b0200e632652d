//! Choosing comments with flags, on real columns: the book holds exactly what the flags select
//! from the source, counted here straight from the source files.

use std::path::Path;

use regex::Regex;

use crate::common::{
    Book, assert_failure, assert_success, build_offline, corpus, lessonpub, source_lessons,
};

/// One source comment: its likes (None where the format has none) and whether it has a reply.
type SourceComment = (Option<u32>, bool);

/// Per lesson file: the likes of each comment (None where the format has no likes) and whether
/// it has a reply (author reply in html-comments, reply count > 0 in md-comments).
fn source_comments(dir: &Path) -> Vec<Vec<SourceComment>> {
    let md_item =
        Regex::new(r"<li>(?:<img [^>]*>)?<span>[^<]*</span> 👍（(\d+)） 💬（(-?\d+)）").unwrap();
    let html_item =
        Regex::new(r#"(?s)class="_2sjJGcOH_0".*?class="_10o3OAxT_0">\n(.*?)\n  </div>"#).unwrap();
    source_lessons(dir)
        .into_iter()
        .map(|(_, text)| {
            if text.contains("class=\"_2sjJGcOH_0\"") {
                html_item
                    .captures_iter(&text)
                    .map(|c| (None, c[1].contains("_3KxQPN3V_0")))
                    .collect()
            } else {
                md_item
                    .captures_iter(&text)
                    .map(|c| {
                        (
                            Some(c[1].parse().unwrap()),
                            c[2].parse::<i32>().unwrap() > 0,
                        )
                    })
                    .collect()
            }
        })
        .collect()
}

/// Builds `format/slug` offline with `flags` and returns the number of comments in the book.
fn comments_in_book(format: &str, slug: &str, flags: &[&str]) -> usize {
    let dir = corpus().join(format).join(slug);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    assert_success(
        &build_offline(&dir, &out, flags),
        &format!("{slug} {flags:?}"),
    );
    Book::open(&out).count_class("comment")
}

fn source(format: &str, slug: &str) -> Vec<Vec<SourceComment>> {
    source_comments(&corpus().join(format).join(slug))
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn none_gives_no_comment() {
    let n = comments_in_book("md", "sql-must-know", &["--comments", "none"]);
    assert_eq!(n, 0);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn top_three_per_lesson() {
    for (format, slug) in [("md", "programmer-advance"), ("html", "linux-perf")] {
        let src = source(format, slug);
        let expected: usize = src.iter().map(|l| l.len().min(3)).sum();
        assert_eq!(
            comments_in_book(format, slug, &["--comments", "3"]),
            expected,
            "{slug}"
        );
    }
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn min_likes_on_sql_must_know() {
    let src = source("md", "sql-must-know");
    let expected = src
        .iter()
        .flatten()
        .filter(|(likes, _)| likes.unwrap() >= 10)
        .count();
    assert!(expected > 0 && expected < 716);
    assert_eq!(
        comments_in_book("md", "sql-must-know", &["--min-likes", "10"]),
        expected
    );
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn with_reply_on_sre_handbook() {
    let src = source("html", "sre-handbook");
    let expected = src.iter().flatten().filter(|(_, replied)| *replied).count();
    assert_eq!(expected, 130);
    assert_eq!(
        comments_in_book("html", "sre-handbook", &["--with-reply"]),
        expected
    );
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn top_two_with_at_least_five_likes() {
    for slug in ["sql-must-know", "programmer-advance"] {
        let src = source("md", slug);
        let expected: usize = src
            .iter()
            .map(|l| {
                l.iter()
                    .filter(|(likes, _)| likes.unwrap() >= 5)
                    .count()
                    .min(2)
            })
            .sum();
        assert_eq!(
            comments_in_book("md", slug, &["--comments", "2", "--min-likes", "5"]),
            expected,
            "{slug}"
        );
    }
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn all_three_flags_combine() {
    let src = source("md", "programmer-advance");
    let expected: usize = src
        .iter()
        .map(|l| {
            l.iter()
                .filter(|(likes, replied)| likes.unwrap() >= 1 && *replied)
                .count()
                .min(4)
        })
        .sum();
    let flags = ["--comments", "4", "--min-likes", "1", "--with-reply"];
    assert_eq!(
        comments_in_book("md", "programmer-advance", &flags),
        expected
    );
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn min_likes_on_a_column_without_likes_is_an_error() {
    let dir = corpus().join("html/sre-handbook");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    let run = lessonpub([
        "build".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
        "--min-likes".as_ref(),
        "3".as_ref(),
    ]);
    let stderr = assert_failure(&run, "--min-likes on html-comments");
    assert!(stderr.contains("record no likes"), "{stderr}");
    assert!(!out.exists());
}

/// A column that records likes, none of them as many as asked: a book without comments, not
/// the error meant for columns that record no likes at all.
#[test]
fn min_likes_above_every_comment_gives_none() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    let dir = crate::common::fixture("md-column");
    let run = build_offline(&dir, &out, &["--min-likes", "100000"]);
    assert_success(&run, "--min-likes above every comment");
    assert_eq!(Book::open(&out).count_class("comment"), 0);
}

#[test]
fn heading_says_how_many_were_chosen_and_the_most_liked_come_first() {
    let dir = crate::common::fixture("md-column");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    let run = lessonpub([
        "build".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
        "--comments".as_ref(),
        "2".as_ref(),
    ]);
    assert_success(&run, "--comments 2");
    let book = Book::open(&out);
    let nav = book.nav();
    let opening = book.text(
        &nav.iter()
            .find(|n| n.label.starts_with("开篇词"))
            .unwrap()
            .href,
    );
    assert!(opening.contains("精选留言（2 / 3）"), "{opening}");
    let first = opening.find("张 三").unwrap();
    let second = opening.find("微信用户").unwrap();
    assert!(first < second, "11 likes before 5 likes");
    assert!(!opening.contains("无头像"), "the least liked is left out");
    // A lesson whose comments all fit keeps the plain heading.
    let lesson = book.text(
        &nav.iter()
            .find(|n| n.label.starts_with("01 |"))
            .unwrap()
            .href,
    );
    assert!(lesson.contains("精选留言（2）"));
}
