//! One lesson file -> a `Lesson`: its article as (untrusted) HTML and its comments as plain text.
//!
//! The format is detected from the content, never the extension: GeekTime's HTML pages are
//! saved with `.md` names. Each format has its own module; both produce the same `Lesson`, and
//! nothing after this stage asks which format a lesson came from.

mod author;
mod html;
mod markdown;
mod math;
mod site;

pub use author::{column_author, opening};

use std::borrow::Cow;
use std::fs;
use std::sync::LazyLock;

use anyhow::{Context, Result};
use ego_tree::iter::Edge;
use regex::Regex;
use scraper::{Html, Node};

use crate::diagnostics::Warning;
use crate::discover::LessonFile;
use crate::model::ParsedLesson;

/// The input formats lessonpub reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown article, optionally followed by GeekTime's `精选留言` HTML comment list.
    Markdown,
    /// HTML article, optionally followed by GeekTime's styled comment list.
    Html,
    /// A whole page of a built MkDocs-Material site: its `<article>` holds the lesson and the
    /// md-comments `精选留言` list.
    Site,
}

/// Files larger than this are refused before they are read: no real lesson comes close (the
/// largest in the corpus is 120 KB), and reading one must not exhaust memory.
pub const MAX_LESSON_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and parses one lesson file.
pub fn lesson(file: &LessonFile) -> Result<(ParsedLesson, Vec<Warning>)> {
    let path = &file.path;
    let size = fs::metadata(path)
        .with_context(|| format!("cannot read lesson `{}`", path.display()))?
        .len();
    if size > MAX_LESSON_BYTES {
        anyhow::bail!(
            "lesson `{}` is {} MB, more than the {} MB a lesson may have; is it really a lesson file?",
            path.display(),
            size / (1024 * 1024),
            MAX_LESSON_BYTES / (1024 * 1024)
        );
    }
    let bytes =
        fs::read(path).with_context(|| format!("cannot read lesson `{}`", path.display()))?;
    let decoded = crate::text::decode(&bytes)
        .with_context(|| format!("cannot read lesson `{}`", path.display()))?;
    let (lesson, mut warnings) = from_text(&decoded.text, detect(&decoded.text), file);
    if let Some(damage) = decoded.damage() {
        warnings.insert(0, Warning::in_file(path, None, damage));
    }
    Ok((lesson, warnings))
}

/// Parses the (decoded) text of `file` as `format`. Never fails: what cannot be read is left out
/// with a warning.
pub fn from_text(text: &str, format: Format, file: &LessonFile) -> (ParsedLesson, Vec<Warning>) {
    let parsed = match format {
        Format::Markdown => markdown::parse(text),
        Format::Html => html::parse(text),
        Format::Site => site::parse(text),
    };
    let warnings = parsed
        .warnings
        .into_iter()
        .map(|(line, message)| Warning::in_file(&file.path, line, message))
        .collect();
    let lesson = ParsedLesson {
        source: file.path.clone(),
        title: file.title.clone(),
        article_html: parsed.article_html,
        comments_in_source: parsed.comments.len(),
        likes_recorded: parsed.comments.iter().any(|c| c.likes.is_some()),
        comments: parsed.comments,
    };
    (lesson, warnings)
}

/// What a format parser returns; warnings carry the line they refer to, when known.
struct Parsed {
    article_html: String,
    comments: Vec<crate::model::Comment>,
    warnings: Vec<(Option<usize>, String)>,
}

/// Tells the formats apart by their content.
pub fn detect(text: &str) -> Format {
    // Before the comment blocks: a site page holds the md-comments block inside its article.
    if site::is_page(text) {
        return Format::Site;
    }
    if text.contains(html::COMMENT_ITEM_MARKER) {
        return Format::Html;
    }
    if markdown::comment_block_start(text).is_some() {
        return Format::Markdown;
    }
    static MARKDOWN_LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^(#{1,6} |```|~~~|[-*+] |\d+\. |> )").expect("valid regex")
    });
    let starts_with_tag = text
        .trim_start()
        .strip_prefix('<')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '!');
    if starts_with_tag && !MARKDOWN_LINE.is_match(text) {
        Format::Html
    } else {
        Format::Markdown
    }
}

/// The text of an HTML fragment as a reader sees it: entities decoded, `<br>` and block ends as
/// line breaks, the content of scripts, styles and the other elements the sanitizer drops with
/// their content left out.
pub(crate) fn plain_text(fragment: &str) -> String {
    let doc = Html::parse_fragment(&crate::sanitize::limit_nesting(fragment));
    text_of(doc.root_element())
}

/// The text of an element already parsed, as `plain_text` gives it.
pub(crate) fn text_of(element: scraper::ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut hidden_depth = 0usize;
    for edge in element.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(t) if hidden_depth == 0 => out.push_str(&t.text),
                Node::Element(el) => match el.name() {
                    name if hidden(name) => hidden_depth += 1,
                    "br" if hidden_depth == 0 => out.push('\n'),
                    _ => {}
                },
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    match el.name() {
                        name if hidden(name) => hidden_depth -= 1,
                        "p" | "div" | "li" if hidden_depth == 0 && !out.ends_with('\n') => {
                            out.push('\n')
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    out.trim().to_owned()
}

/// Whether the text inside an element `name` is left out of comment text, as the sanitizer
/// leaves it out of articles.
fn hidden(name: &str) -> bool {
    crate::elements::drops_content(name)
}

/// Turns tags that name no element (`<uuid>`, `<num>`, `<commit id="">`, an unclosed `<zone>`)
/// back into the text they were: placeholders in prose that an HTML saver mistook for tags, which
/// an HTML parser would drop with their names. Their end tags, which the saver added, are dropped.
pub(crate) fn escape_unknown_tags(html: &str) -> Cow<'_, str> {
    Placeholders::default().escape(html)
}

/// `escape_unknown_tags` over a document that comes in pieces (Markdown's raw HTML, a tag at a
/// time), remembering whether the pieces so far left an `<svg>` or a `<math>` open.
///
/// A name is an element's when HTML has it (custom elements, whose names hold a hyphen, count),
/// or SVG has it inside an `<svg>`, or MathML inside a `<math>`: elsewhere an HTML parser does
/// not know `<path>` or `<mi>` either.
#[derive(Debug, Default)]
pub(crate) struct Placeholders {
    svg: usize,
    math: usize,
}

impl Placeholders {
    pub(crate) fn escape<'a>(&mut self, html: &'a str) -> Cow<'a, str> {
        static TAG: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r#"<(/?)([A-Za-z][A-Za-z0-9_-]*)((?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>=`]+))?)*)\s*(/?)>"#,
            )
            .expect("valid regex")
        });
        TAG.replace_all(html, |caps: &regex::Captures| {
            let name = caps[2].to_ascii_lowercase();
            let closing = &caps[1] == "/";
            let self_closing = &caps[4] == "/";
            for (root, depth) in [("svg", &mut self.svg), ("math", &mut self.math)] {
                if name == root && closing {
                    *depth = depth.saturating_sub(1);
                } else if name == root && !self_closing {
                    *depth += 1;
                }
            }
            let element = crate::elements::get(&name).is_some()
                || name.contains('-')
                || name == "math"
                || (self.svg > 0 && crate::elements::is_svg(&name))
                || (self.math > 0 && crate::elements::mathml(&name).is_some());
            if element {
                caps[0].to_owned()
            } else if closing {
                String::new()
            } else {
                format!("&lt;{}{}{}&gt;", &caps[2], &caps[3], &caps[4])
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_by_content() {
        assert_eq!(
            detect("<audio title=\"x\"></audio> \n<p>a</p>"),
            Format::Html
        );
        assert_eq!(detect("<p>a</p><h2>b</h2>"), Format::Html);
        assert_eq!(detect("你好，我是…\n\n## 标题\n"), Format::Markdown);
        assert_eq!(
            detect("<div align=center>x</div>\n\n## 标题\n"),
            Format::Markdown
        );
        assert_eq!(
            detect("text\n<div><strong>精选留言（1）</strong></div><ul>\n<li>x</li>\n</ul>"),
            Format::Markdown
        );
        assert_eq!(
            detect(
                "<!doctype html>\n<html><body><nav></nav>\n<article class=\"md-content__inner md-typeset\">\n<h1>t</h1>\n<p>a</p>\n<div><strong>精选留言（1）</strong></div>\n<ul>\n<li>x</li>\n</ul></article></body></html>"
            ),
            Format::Site
        );
    }

    #[test]
    fn plain_text_decodes_entities_and_breaks() {
        assert_eq!(
            plain_text("a&#47;b &quot;c&quot;<br>d &lt;e&gt;"),
            "a/b \"c\"\nd <e>"
        );
        assert_eq!(
            plain_text("评论<script>alert(2)</script><img src=x onerror=alert(3)>内容"),
            "评论内容"
        );
        assert_eq!(plain_text("line1\nline2"), "line1\nline2");
    }

    #[test]
    fn placeholder_tags_become_text() {
        assert_eq!(
            escape_unknown_tags("<p>/init/<num>：插入</num></p> uuid:<uuid></uuid> <zone>x"),
            "<p>/init/&lt;num&gt;：插入</p> uuid:&lt;uuid&gt; &lt;zone&gt;x"
        );
        assert_eq!(
            escape_unknown_tags("<p class=\"a\">x<br/></p>"),
            "<p class=\"a\">x<br/></p>"
        );
        assert_eq!(escape_unknown_tags("Vec<T>"), "Vec&lt;T&gt;");
    }

    #[test]
    fn placeholders_with_attributes_become_text() {
        assert_eq!(
            escape_unknown_tags(
                "<p>（不包括<commit id=\"\">，越下面越新）<commid id=\"\"></commid></p>"
            ),
            "<p>（不包括&lt;commit id=\"\"&gt;，越下面越新）&lt;commid id=\"\"&gt;</p>"
        );
        assert_eq!(
            escape_unknown_tags("<ref name='a>b' x=1/>"),
            "&lt;ref name='a>b' x=1/&gt;"
        );
        // Named as SVG or MathML children, but outside any drawing or formula: placeholders.
        assert_eq!(
            escape_unknown_tags("git add <path> <mi>"),
            "git add &lt;path&gt; &lt;mi&gt;"
        );
    }

    #[test]
    fn svg_and_mathml_children_custom_elements_and_html_stay_tags() {
        for html in [
            "<svg viewBox=\"0 0 2 2\"><circle r=\"5\"/><path d=\"M0\"></path></svg>",
            "<math display=\"block\"><mi mathvariant=\"normal\">x</mi><annotation-xml encoding=\"x\"></annotation-xml></math>",
            "<p class=\"a\" title='x>y'>x<br/></p><my-widget data-x=\"1\">w</my-widget>",
        ] {
            assert_eq!(escape_unknown_tags(html), html);
        }
        assert_eq!(
            escape_unknown_tags("<svg><g></g></svg><g id=\"x\">"),
            "<svg><g></g></svg>&lt;g id=\"x\"&gt;"
        );
    }
}
