//! The "md-comments" format: a Markdown article, then (optionally) GeekTime's comment list as
//! one block of HTML running to the end of the file:
//!
//! ```text
//! <div><strong>精选留言（N）</strong></div><ul>
//! <li><img src="AVATAR" width="30px"><span>NAME</span> 👍（LIKES） 💬（REPLIES）<div>TEXT</div>DATE</li><br/>…
//! </ul>
//! ```
//!
//! The avatar is absent in newer saves, and the text sits in `<p>` instead of `<div>`. The block
//! is split off before the Markdown is rendered, because comment text may hold lines that
//! Markdown would read as fences or headings.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, html};
use regex::Regex;

use super::{Parsed, Placeholders, plain_text};
use crate::model::{Comment, ImageRef};
use crate::text::LineCounter;

static BLOCK_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*<div><strong>精选留言\s*[（(]\s*\d*\s*[）)]\s*</strong></div>")
        .expect("valid regex")
});
static ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<li>(.*?)</li>").expect("valid regex"));
static AVATAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*<img\b[^>]*?\bsrc\s*=\s*"([^"]*)""#).expect("valid regex"));
static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<span>(.*?)</span>").expect("valid regex"));
static LIKES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"👍\s*[（(]\s*(-?\d+)\s*[）)]").expect("valid regex"));
static REPLIES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"💬\s*[（(]\s*(-?\d+)\s*[）)]").expect("valid regex"));
static TEXT_OPEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<(?:div|p)>").expect("valid regex"));
static TEXT_CLOSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"</(?:div|p)>").expect("valid regex"));
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?)\s*$").expect("valid regex")
});

/// Byte offset where the comment block starts, if the file has one.
pub(super) fn comment_block_start(text: &str) -> Option<usize> {
    BLOCK_START.find_iter(text).last().map(|m| m.start())
}

pub(super) fn parse(text: &str) -> Parsed {
    let (article, block_at) = match comment_block_start(text) {
        Some(at) => (&text[..at], Some(at)),
        None => (text, None),
    };
    let mut warnings = Vec::new();
    let comments = match block_at {
        Some(at) => comments(text, at, &mut warnings),
        None => Vec::new(),
    };
    let (article_html, formula_warnings) = render_markdown(article);
    warnings.extend(formula_warnings);
    Parsed {
        article_html,
        comments,
        warnings,
    }
}

/// Markdown -> HTML with GitHub's extensions (tables, strikethrough, task lists) and TeX maths
/// (`$…$`, `$$…$$`) as MathML. A formula that cannot be converted keeps its TeX, as code, with a
/// warning (and the line it is on).
fn render_markdown(markdown: &str) -> (String, Vec<(Option<usize>, String)>) {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM
        | Options::ENABLE_MATH;
    let mut warnings = Vec::new();
    let mut lines = LineCounter::new(markdown);
    let mut placeholders = Placeholders::default();
    let events =
        Parser::new_ext(markdown, options)
            .into_offset_iter()
            .map(|(event, at)| match event {
                Event::Html(raw) => Event::Html(placeholders.escape(&raw).into_owned().into()),
                Event::InlineHtml(raw) => {
                    Event::InlineHtml(placeholders.escape(&raw).into_owned().into())
                }
                // As in Pandoc: `$` followed by a digit closes no formula, so `$A$1` (a spreadsheet
                // cell) and `$5 and $6` stay text.
                Event::InlineMath(_)
                    if markdown[at.end..].starts_with(|c: char| c.is_ascii_digit()) =>
                {
                    Event::Text(markdown[at].into())
                }
                Event::InlineMath(tex) | Event::DisplayMath(tex) => {
                    let display = markdown[at.clone()].starts_with("$$");
                    match super::math::to_mathml(&tex, display) {
                        Ok(mathml) => Event::InlineHtml(mathml.into()),
                        Err(why) => {
                            let written = &markdown[at.clone()];
                            warnings.push((
                                Some(lines.line_of(at.start)),
                                format!(
                                    "formula `{written}` cannot be converted to MathML ({why}); \
                                 its TeX is shown as code"
                                ),
                            ));
                            Event::Code(written.into())
                        }
                    }
                }
                other => other,
            });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    (out, warnings)
}

/// The comment items of the block starting at `block_at` (as `comment_block_start` found it);
/// a built MkDocs page holds the same block.
pub(super) fn comments(
    text: &str,
    block_at: usize,
    warnings: &mut Vec<(Option<usize>, String)>,
) -> Vec<Comment> {
    let block = &text[block_at..];
    let mut lines = LineCounter::new(text);
    let mut out = Vec::new();
    for (index, item) in ITEM.captures_iter(block).enumerate() {
        let body = item.get(1).expect("group 1 always takes part");
        match comment(body.as_str()) {
            Some(c) => out.push(c),
            None => warnings.push((
                Some(lines.line_of(block_at + body.start())),
                format!("comment {} has no name or no text; left out", index + 1),
            )),
        }
    }
    out
}

fn comment(item: &str) -> Option<Comment> {
    let name = NAME.captures(item)?;
    let name_end = name.get(0).expect("group 0 always takes part").end();
    let author = plain_text(&name[1]);
    let open = TEXT_OPEN.find_at(item, name_end)?;
    let close = TEXT_CLOSE
        .find_iter(item)
        .last()
        .filter(|m| m.start() >= open.end())?;
    let text = plain_text(&item[open.end()..close.start()]);
    if author.is_empty() && text.is_empty() {
        return None;
    }
    let counts = &item[name_end..open.start()];
    Some(Comment {
        author,
        avatar: AVATAR.captures(item).map(|c| ImageRef::new(c[1].trim())),
        likes: LIKES
            .captures(counts)
            .and_then(|c| c[1].parse::<i64>().ok())
            .map(|n| n.max(0) as u32),
        reply_count: REPLIES.captures(counts).and_then(|c| c[1].parse().ok()),
        date: DATE
            .captures(&item[close.end()..])
            .map(|c| c[1].to_owned())
            .unwrap_or_default(),
        text,
        reply: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARIANT_A: &str = "你好，我是…\n\n## 标题\n\n正文\n<div><strong>精选留言（2）</strong></div><ul>\n<li><img src=\"https://static001.geekbang.org/account/avatar/00/10/9f/26/5a568309.jpg\" width=\"30px\"><span>NAME A</span> 👍（11） 💬（2）<div>a &lt; b&#47;c\r\n```\n# not a heading</div>2018-08-09</li><br/><li><img src=\"\" width=\"30px\"><span>B</span> 👍（0） 💬（-1）<div>x</div>2018-08-10</li><br/>\n</ul>";
    const VARIANT_B: &str = "正文\n<div><strong>精选留言（1）</strong></div><ul>\n<li><span>leslie</span> 👍（34） 💬（1）<p>TEXT</p>2019-06-13</li><br/>\n</ul>";

    #[test]
    fn variant_a_fields_are_read() {
        let parsed = parse(VARIANT_A);
        assert_eq!(parsed.comments.len(), 2);
        let first = &parsed.comments[0];
        assert_eq!(first.author, "NAME A");
        assert_eq!(
            first.avatar.as_ref().map(|a| a.src.as_str()),
            Some("https://static001.geekbang.org/account/avatar/00/10/9f/26/5a568309.jpg")
        );
        assert_eq!(first.likes, Some(11));
        assert_eq!(first.reply_count, Some(2));
        assert_eq!(first.date, "2018-08-09");
        assert_eq!(first.text, "a < b/c\n```\n# not a heading");
        assert_eq!(
            parsed.comments[1].avatar.as_ref().map(|a| a.src.as_str()),
            Some("")
        );
        assert_eq!(parsed.comments[1].reply_count, Some(-1));
    }

    #[test]
    fn comment_text_never_reaches_the_markdown_renderer() {
        let parsed = parse(VARIANT_A);
        assert!(parsed.article_html.contains("<h2>标题</h2>"));
        assert!(!parsed.article_html.contains("not a heading"));
        assert!(!parsed.article_html.contains("精选留言"));
    }

    #[test]
    fn variant_b_has_no_avatar_and_p_text() {
        let parsed = parse(VARIANT_B);
        assert_eq!(parsed.comments.len(), 1);
        let c = &parsed.comments[0];
        assert_eq!(
            (
                c.author.as_str(),
                c.likes,
                c.text.as_str(),
                c.avatar.as_ref().map(|a| a.src.as_str())
            ),
            ("leslie", Some(34), "TEXT", None)
        );
    }

    #[test]
    fn lesson_without_comments_is_all_article() {
        let parsed = parse("正文\n\n```sql\nSELECT 1;\n```");
        assert!(parsed.comments.is_empty());
        assert!(
            parsed
                .article_html
                .contains("<code class=\"language-sql\">SELECT 1;\n</code>")
        );
    }

    #[test]
    fn broken_item_is_left_out_with_a_line_number() {
        let text = "正文\n<div><strong>精选留言（2）</strong></div><ul>\n<li><span>ok</span> 👍（1） 💬（0）<p>t</p>2019-01-01</li><br/>\n<li>garbage</li>\n</ul>";
        let parsed = parse(text);
        assert_eq!(parsed.comments.len(), 1);
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].0, Some(4));
    }

    #[test]
    fn tex_becomes_mathml_with_the_tex_as_alttext() {
        let (html, warnings) = render_markdown(
            "两点距离：\n\n$$d=\\\\sqrt{(x\\_{1}-x\\_{2})^2}$$\n\n其中 $x_1$ 是横坐标。\n\n\
             $$\n\\left[\\begin{array}{cc}\n1 & 2 \\\\\n3 & 4\n\\end{array}\\right]\n$$\n",
        );
        assert_eq!(warnings, []);
        assert!(
            html.contains("<p><math alttext=\"d=\\sqrt{(x_{1}-x_{2})^2}\" display=\"block\">"),
            "{html}"
        );
        assert!(
            html.contains("其中 <math alttext=\"x_1\" display=\"inline\">"),
            "{html}"
        );
        assert_eq!(html.matches("<mtr>").count(), 2, "{html}");
        assert!(!html.contains('$'), "{html}");
    }

    #[test]
    fn dollars_that_open_no_formula_stay_text() {
        // From sql-must-know: a spreadsheet cell, and `$$` named as a delimiter in prose.
        let (html, warnings) = render_markdown(
            "导入全部的数据到指定的$A$1（代表A1单元格）\n\n新的结束符可以用（//）或者（$$）。\n\n```\nDELIMITER $$\n```",
        );
        assert_eq!(warnings, []);
        assert!(html.contains("指定的$A$1（代表A1单元格）"), "{html}");
        assert!(html.contains("或者（$$）。"), "{html}");
        assert!(!html.contains("<math"), "{html}");
    }

    #[test]
    fn a_formula_that_cannot_be_converted_stays_as_code_with_a_warning() {
        let (html, warnings) = render_markdown("正文\n\n公式 $\\nosuch{a} < b$ 坏了");
        assert!(
            html.contains("公式 <code>$\\nosuch{a} &lt; b$</code> 坏了"),
            "{html}"
        );
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].0, Some(3));
        assert!(
            warnings[0].1.contains("`$\\nosuch{a} < b$`"),
            "{}",
            warnings[0].1
        );
    }

    #[test]
    fn placeholders_are_told_from_svg_children_across_inline_html() {
        let (html, _) = render_markdown(
            "图 <svg width=\"9\"><circle r=\"5\"/></svg> 与 <commit id=\"\"> 和 <path>\n",
        );
        assert!(
            html.contains(
                "<svg width=\"9\"><circle r=\"5\"/></svg> 与 &lt;commit id=\"\"&gt; 和 &lt;path&gt;"
            ),
            "{html}"
        );
    }

    #[test]
    fn four_backtick_fence_and_placeholder_tags() {
        let (html, _) = render_markdown("````plain\n```\ninner\n```\n````\n\nid is <uuid> here");
        assert!(html.contains("```\ninner\n```"), "{html}");
        assert!(html.contains("id is &lt;uuid&gt; here"), "{html}");
    }
}
