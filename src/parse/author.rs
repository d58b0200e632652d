//! The author a column names in its own words: GeekTime authors open their lessons with
//! `你好，我是张磊。`.
//!
//! Read conservatively, since a wrong name on the cover is worse than none: only the opening of
//! the first lessons counts, only a name shaped like a person's (two to four hanzi, or a
//! capitalized Latin name), never a title (`陈博士`, `编辑小新`), and every name found there must
//! be the same one (a guest opening a lesson makes it unclear whose column it is).

use std::sync::LazyLock;

use regex::Regex;

use crate::model::Node;

/// How many lessons, from the first, are read.
const LESSONS: usize = 10;
/// How much of a lesson's text counts as its opening: the greeting may follow a note such as
/// `本课程为精品小课，不标配音频`.
const OPENING_CHARS: usize = 120;

/// Words that make a name a title or a role rather than a person's name.
const TITLES: &[&str] = &[
    "老师", "博士", "教授", "编辑", "同学", "助教", "讲师", "先生", "女士", "小编", "主编", "作者",
];

/// The author the lessons name, if they agree on one, from the `opening` of each lesson in
/// order.
pub fn column_author(openings: &[String]) -> Option<String> {
    let mut found: Option<String> = None;
    for opening in openings.iter().take(LESSONS) {
        let Some(name) = greeting_name(opening) else {
            continue;
        };
        match &found {
            Some(earlier) if *earlier != name => return None,
            _ => found = Some(name),
        }
    }
    found
}

/// The name in a greeting (`你好，我是倪朋飞，…`) in `text`, when it looks like a person's.
fn greeting_name(text: &str) -> Option<String> {
    static GREETING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?:你好|您好|大家好)[，,！!\s]*我是\s*(?:(\p{Han}{2,4})(?:\P{Han}|$)|([A-Z][a-z]+(?: [A-Z][a-z]+){0,2})(?:[^A-Za-z]|$))",
        )
        .expect("valid regex")
    });
    let caps = GREETING.captures(text)?;
    let name = caps.get(1).or_else(|| caps.get(2))?.as_str();
    (!TITLES.iter().any(|title| name.contains(title))).then(|| name.to_owned())
}

/// The first `OPENING_CHARS` characters of an article's text, blocks separated by a newline:
/// where a lesson greets the reader.
pub fn opening(article: &[Node]) -> String {
    let mut text = String::new();
    let mut open = vec![article.iter()];
    while let Some(nodes) = open.last_mut() {
        if text.chars().count() >= OPENING_CHARS {
            break;
        }
        match nodes.next() {
            None => {
                open.pop();
                text.push('\n');
            }
            Some(Node::Text(t)) => text.push_str(t),
            Some(Node::Element(element)) => open.push(element.children.iter()),
            Some(Node::Image(_)) => {}
        }
    }
    text.chars().take(OPENING_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(article_html: &str) -> String {
        opening(&crate::sanitize::article(article_html))
    }

    #[test]
    fn the_greeting_names_the_author() {
        for (opening, name) in [
            ("你好，我是张磊。", "张磊"),
            ("你好，我是倪朋飞，今天我们", "倪朋飞"),
            ("你好，我是赵成，欢迎回来。", "赵成"),
            ("大家好，我是静远", "静远"),
            ("你好，我是 Tony Bai。", "Tony Bai"),
        ] {
            assert_eq!(greeting_name(opening).as_deref(), Some(name), "{opening}");
        }
    }

    #[test]
    fn titles_roles_and_long_phrases_are_no_names() {
        for opening in [
            "你好，我是陈博士。",
            "你好，我是编辑小新。",
            "你好，我是极客时间的编辑",
            "你好，我是你们的老朋友",
            "我是张磊。",
            "你好，我是一",
        ] {
            assert_eq!(greeting_name(opening), None, "{opening}");
        }
    }

    #[test]
    fn the_greeting_may_follow_a_note_but_not_come_late() {
        let note = lesson(
            "<blockquote><p>本课程为精品小课，不标配音频</p></blockquote><p>你好，我是文强。</p>",
        );
        assert_eq!(column_author(&[note]).as_deref(), Some("文强"));
        let late = lesson(&format!(
            "<p>{}</p><p>你好，我是文强。</p>",
            "正文".repeat(80)
        ));
        assert_eq!(column_author(&[late]), None);
    }

    #[test]
    fn the_first_lessons_must_agree() {
        let said = |name: &str| lesson(&format!("<p>你好，我是{name}。</p>"));
        let quiet = lesson("<p>今天我们讲索引。</p>");
        assert_eq!(
            column_author(&[quiet.clone(), said("宋宁"), said("宋宁")]).as_deref(),
            Some("宋宁")
        );
        assert_eq!(column_author(&[said("宋宁"), said("李四")]), None);
        // A title is passed over, not taken for a second author.
        assert_eq!(
            column_author(&[said("陈博士"), said("陈旸")]).as_deref(),
            Some("陈旸")
        );
        // Only the first lessons are read.
        let mut lessons = vec![quiet; LESSONS];
        lessons.push(said("宋宁"));
        assert_eq!(column_author(&lessons), None);
    }
}
