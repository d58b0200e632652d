//! The "html-comments" format: a GeekTime HTML article (an `<audio>` line, the article, a
//! `<!-- [[[read_end]]] -->` marker), then (optionally) a `<style>` block and the comment list,
//! one `<li>` per comment with GeekTime's generated class names.
//!
//! The article is passed on as HTML (the sanitizer puts a note with a link where the audio was,
//! and drops the marker and any style);
//! the comments are read with CSS selectors, all listed in `Selectors` below.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};

use super::{Parsed, escape_unknown_tags, text_of};
use crate::model::{Comment, ImageRef, Reply, ReplyBy};
use crate::text::LineCounter;

/// Each comment is one `<div class="_2sjJGcOH_0">`; its presence identifies the format.
pub(super) const COMMENT_ITEM_MARKER: &str = "class=\"_2sjJGcOH_0\"";

struct Selectors {
    item: Selector,
    avatar: Selector,
    name: Selector,
    text: Selector,
    reply: Selector,
    date: Selector,
}

static SELECTORS: LazyLock<Selectors> = LazyLock::new(|| {
    let s = |css: &str| Selector::parse(css).expect("valid selector");
    Selectors {
        item: s("div._2sjJGcOH_0"),
        avatar: s("img"),
        name: s("._2zFoi7sd_0"),
        text: s("._2_QraFYR_0"),
        reply: s("._3KxQPN3V_0"),
        date: s("._3Hkula0k_0"),
    }
});

pub(super) fn parse(text: &str) -> Parsed {
    let split = comment_list_start(text);
    let article = &text[..split.unwrap_or(text.len())];
    let mut warnings = Vec::new();
    let comments = match split {
        Some(at) => comments(text, at, &mut warnings),
        None => Vec::new(),
    };
    Parsed {
        article_html: escape_unknown_tags(article).into_owned(),
        comments,
        warnings,
    }
}

/// Where the comment part starts: the `<style>` (or, failing that, the `<ul>`) before the
/// first comment item.
fn comment_list_start(text: &str) -> Option<usize> {
    let first_item = text.find(COMMENT_ITEM_MARKER)?;
    let before = &text[..first_item];
    before
        .rfind("<style")
        .or_else(|| before.rfind("<ul"))
        .or(Some(before.rfind('<').unwrap_or(0)))
}

fn comments(text: &str, at: usize, warnings: &mut Vec<(Option<usize>, String)>) -> Vec<Comment> {
    let doc = Html::parse_fragment(&crate::sanitize::limit_nesting(&text[at..]));
    // Item n of the parsed list is the n-th marker in the source: that gives its line.
    let markers: Vec<usize> = text[at..]
        .match_indices(COMMENT_ITEM_MARKER)
        .map(|(i, _)| at + i)
        .collect();
    let mut lines = LineCounter::new(text);
    let mut out = Vec::new();
    for (index, item) in doc.select(&SELECTORS.item).enumerate() {
        match comment(item) {
            Some(c) => out.push(c),
            None => warnings.push((
                markers.get(index).map(|&offset| lines.line_of(offset)),
                format!(
                    "comment {} is cut off or has no name and no text; left out",
                    index + 1
                ),
            )),
        }
    }
    out
}

fn comment(item: ElementRef<'_>) -> Option<Comment> {
    let first = |selector: &Selector| item.select(selector).next();
    let author = first(&SELECTORS.name).map(text_of).unwrap_or_default();
    let text = first(&SELECTORS.text).map(text_of).unwrap_or_default();
    if author.is_empty() && text.is_empty() {
        return None;
    }
    Some(Comment {
        author,
        avatar: first(&SELECTORS.avatar).map(|e| ImageRef::new(e.attr("src").unwrap_or("").trim())),
        likes: None,
        reply_count: None,
        date: first(&SELECTORS.date).map(text_of).unwrap_or_default(),
        text,
        reply: first(&SELECTORS.reply).and_then(|e| reply(&text_of(e))),
    })
}

/// `作者回复: text` or `编辑回复: text`; an unlabeled reply counts as the author's.
fn reply(text: &str) -> Option<Reply> {
    let (by, rest) = [("作者回复", ReplyBy::Author), ("编辑回复", ReplyBy::Editor)]
        .iter()
        .find_map(|(label, by)| text.strip_prefix(label).map(|rest| (*by, rest)))
        .unwrap_or((ReplyBy::Author, text));
    let rest = rest.trim_start_matches([':', '：']).trim();
    (!rest.is_empty()).then(|| Reply {
        by,
        text: rest.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, text: &str, reply: &str) -> String {
        format!(
            "<li>\n<div class=\"_2sjJGcOH_0\"><img src=\"https://wx.qlogo.cn/x/132\"\n  class=\"_3FLYR4bF_0\">\n<div class=\"_36ChpWj4_0\">\n  <div class=\"_2zFoi7sd_0\"><span>{name}</span>\n  </div>\n  <div class=\"_2_QraFYR_0\">{text}</div>\n  <div class=\"_10o3OAxT_0\">\n    {reply}\n  </div>\n  <div class=\"_3klNVc4Z_0\">\n    <div class=\"_3Hkula0k_0\">2019-01-02 14:46:22</div>\n  </div>\n</div>\n</div>\n</li>"
        )
    }

    fn page(items: &[String]) -> String {
        format!(
            "<audio title=\"01 _ 测试\" src=\"https://a/1.mp3\" controls=\"controls\"></audio> \n<p>正文</p><!-- [[[read_end]]] --><p>更多</p>\n<style>\n ._2sjJGcOH_0 {{ width: 100%; }}\n</style><ul>{}\n</ul>",
            items.join("\n")
        )
    }

    #[test]
    fn reads_name_text_reply_date_and_avatar() {
        let text = page(&[
            item(
                "张三",
                "第一行<br>第二行 &lt;x&gt;",
                "<p class=\"_3KxQPN3V_0\">作者回复: 谢谢<br>再见</p>",
            ),
            item(
                "李四",
                "问题",
                "<p class=\"_3KxQPN3V_0\">编辑回复: 已修正</p>",
            ),
            item("王五", "无回复", ""),
        ]);
        let parsed = parse(&text);
        assert_eq!(parsed.comments.len(), 3);
        let c = &parsed.comments[0];
        assert_eq!(c.author, "张三");
        assert_eq!(c.text, "第一行\n第二行 <x>");
        assert_eq!(c.date, "2019-01-02 14:46:22");
        assert_eq!(
            c.avatar.as_ref().map(|a| a.src.as_str()),
            Some("https://wx.qlogo.cn/x/132")
        );
        assert_eq!(
            c.reply,
            Some(Reply {
                by: ReplyBy::Author,
                text: "谢谢\n再见".into()
            })
        );
        assert_eq!(
            parsed.comments[1].reply.as_ref().map(|r| r.by),
            Some(ReplyBy::Editor)
        );
        assert_eq!(parsed.comments[2].reply, None);
        assert_eq!(parsed.comments[2].likes, None);
    }

    #[test]
    fn article_stops_before_the_style_block() {
        let parsed = parse(&page(&[item("a", "b", "")]));
        assert!(parsed.article_html.contains("<p>更多</p>"));
        assert!(!parsed.article_html.contains("_2sjJGcOH_0"));
        assert!(!parsed.article_html.contains("<style"));
    }

    #[test]
    fn cut_off_last_comment_is_left_out_with_its_line() {
        let mut text = page(&[item("a", "b", "")]);
        text = text.replace(
            "\n</ul>",
            "\n<li>\n<div class=\"_2sjJGcOH_0\"><img src=\"https://static001</ul>",
        );
        let parsed = parse(&text);
        assert_eq!(parsed.comments.len(), 1);
        assert_eq!(parsed.warnings.len(), 1);
        assert!(parsed.warnings[0].0.is_some());
    }

    #[test]
    fn page_without_comments_is_all_article() {
        let parsed = parse("<p>a</p><!-- [[[read_end]]] -->");
        assert!(parsed.comments.is_empty());
        assert_eq!(parsed.article_html, "<p>a</p><!-- [[[read_end]]] -->");
    }

    #[test]
    fn hostile_comment_markup_is_reduced_to_text() {
        let parsed = parse(&page(&[item(
            "<b onmouseover=alert(1)>攻击者</b>",
            "评论<script>alert(2)</script><img src=x onerror=alert(3)><xmp><b onclick=x>\
             </xmp><textarea><i onclick=y></textarea>内容",
            "<p class=\"_3KxQPN3V_0\">作者回复: <a href=\"javascript:void(0)\">回复</a></p>",
        )]));
        let c = &parsed.comments[0];
        assert_eq!((c.author.as_str(), c.text.as_str()), ("攻击者", "评论内容"));
        assert_eq!(c.reply.as_ref().unwrap().text, "回复");
    }
}
