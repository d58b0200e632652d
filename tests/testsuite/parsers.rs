//! Both parsers on every real corpus lesson: the comments read equal the comments the source holds.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

use lessonpub::discover::{self, LessonFile};
use lessonpub::model::{ParsedLesson, ReplyBy};
use regex::Regex;

use crate::common::corpus;

fn lessons(format: &str, slug: &str) -> Vec<(LessonFile, ParsedLesson)> {
    let dir = corpus().join(format).join(slug);
    let column = discover::column(&dir).unwrap();
    let files: Vec<LessonFile> = column.front.into_iter().chain(column.lessons).collect();
    files
        .into_iter()
        .map(|f| {
            let (lesson, warnings) = lessonpub::parse::lesson(&f).unwrap();
            assert!(warnings.is_empty(), "{}: {warnings:?}", f.path.display());
            (f, lesson)
        })
        .collect()
}

/// Comment items in a source file, counted with the corpus README's own item patterns.
fn items_in_source(path: &PathBuf) -> usize {
    let text = fs::read_to_string(path).unwrap();
    if text.contains("class=\"_2sjJGcOH_0\"") {
        return text.matches("class=\"_2sjJGcOH_0\"").count();
    }
    let item =
        Regex::new(r"<li>(?:<img src=[^>]*>)?<span>[^<]*</span> 👍（\d+） 💬（-?\d+）<(?:div|p)>")
            .unwrap();
    text.find("<div><strong>精选留言")
        .map_or(0, |at| item.find_iter(&text[at..]).count())
}

fn check_every_file(format: &str, slug: &str) -> Vec<(LessonFile, ParsedLesson)> {
    let lessons = lessons(format, slug);
    let date = Regex::new(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$").unwrap();
    for (file, lesson) in &lessons {
        let name = file.path.display();
        assert_eq!(lesson.comments.len(), items_in_source(&file.path), "{name}");
        for c in &lesson.comments {
            assert!(!c.author.is_empty() && !c.text.is_empty(), "{name}: {c:?}");
            assert!(date.is_match(&c.date), "{name}: date {:?}", c.date);
            assert!(
                !c.text.contains('\r') && !c.text.contains('\u{8}'),
                "{name}: raw control characters"
            );
            assert!(
                !c.text.contains("&lt;") && !c.text.contains("&#"),
                "{name}: entities left: {:?}",
                c.text
            );
        }
        assert!(
            !lesson.article_html.contains("精选留言")
                && !lesson.article_html.contains("_2sjJGcOH_0"),
            "{name}"
        );
    }
    lessons
}

fn distinct_avatars(lessons: &[(LessonFile, ParsedLesson)]) -> usize {
    lessons
        .iter()
        .flat_map(|(_, l)| &l.comments)
        .filter_map(|c| c.avatar.as_ref().map(|a| a.src.as_str()))
        .collect::<HashSet<_>>()
        .len()
}

fn replies(lessons: &[(LessonFile, ParsedLesson)], by: ReplyBy) -> usize {
    lessons
        .iter()
        .flat_map(|(_, l)| &l.comments)
        .filter(|c| c.reply.as_ref().is_some_and(|r| r.by == by))
        .count()
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn md_variant_b_sql_must_know() {
    let lessons = check_every_file("md", "sql-must-know");
    let all: Vec<_> = lessons.iter().flat_map(|(_, l)| &l.comments).collect();
    assert_eq!(all.len(), 716);
    assert!(all.iter().all(|c| c.likes.is_some() && c.avatar.is_none()));
    let no_comments = lessons
        .iter()
        .skip(1)
        .filter(|(_, l)| l.comments.is_empty())
        .count();
    assert_eq!(no_comments, 5);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn md_variant_b_rust_mq() {
    let lessons = check_every_file("md", "rust-mq");
    assert_eq!(
        lessons.iter().map(|(_, l)| l.comments.len()).sum::<usize>(),
        25
    );
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn md_variant_a_programmer_advance() {
    let lessons = check_every_file("md", "programmer-advance");
    assert_eq!(
        lessons.iter().map(|(_, l)| l.comments.len()).sum::<usize>(),
        1144
    );
    // The README counts the empty `src=""` as a distinct value too.
    assert_eq!(distinct_avatars(&lessons), 377);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn html_linux_perf() {
    let lessons = check_every_file("html", "linux-perf");
    assert_eq!(
        lessons.iter().map(|(_, l)| l.comments.len()).sum::<usize>(),
        1235
    );
    assert_eq!(
        replies(&lessons, ReplyBy::Author) + replies(&lessons, ReplyBy::Editor),
        560
    );
    assert_eq!(distinct_avatars(&lessons), 642);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn html_sre_handbook() {
    let lessons = check_every_file("html", "sre-handbook");
    assert_eq!(
        lessons.iter().map(|(_, l)| l.comments.len()).sum::<usize>(),
        202
    );
    assert_eq!(replies(&lessons, ReplyBy::Author), 129);
    assert_eq!(replies(&lessons, ReplyBy::Editor), 1);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn html_serverless_advanced() {
    let lessons = check_every_file("html", "serverless-advanced");
    assert_eq!(
        lessons.iter().map(|(_, l)| l.comments.len()).sum::<usize>(),
        70
    );
    assert_eq!(replies(&lessons, ReplyBy::Author), 63);
    assert_eq!(
        lessons
            .iter()
            .filter(|(_, l)| l.comments.is_empty())
            .count(),
        9
    );
}

/// Every page of a built site: the article is only the article (no site chrome, no generated
/// `<h1>`, no code-line anchors), and every comment of its block is read.
fn check_site_pages(slug: &str, comments: usize) {
    let lessons = check_every_file("mkdocs-site", slug);
    assert_eq!(
        lessons.iter().map(|(_, l)| l.comments.len()).sum::<usize>(),
        comments
    );
    for (file, lesson) in &lessons {
        let html = &lesson.article_html;
        for chrome in [
            "<head",
            "md-nav",
            "<script",
            "<h1",
            "__codelineno",
            "</article>",
        ] {
            assert!(
                !html.contains(chrome),
                "{}: `{chrome}` in the article",
                file.path.display()
            );
        }
        assert!(
            html.trim_start().starts_with("<p>"),
            "{}: {}",
            file.path.display(),
            &html[..html.len().min(200)]
        );
    }
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn site_api_testing_intro() {
    check_site_pages("api-testing-intro", 172);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn site_kafka_core() {
    check_site_pages("kafka-core", 692);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn md_nonav_agile_explained() {
    let lessons = check_every_file("md-nonav", "agile-explained");
    assert_eq!(
        lessons.iter().map(|(_, l)| l.comments.len()).sum::<usize>(),
        183
    );
    assert!(
        lessons
            .iter()
            .all(|(_, l)| l.comments.iter().all(|c| c.likes.is_some()))
    );
}
