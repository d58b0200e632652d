//! The "mkdocs-site" format: one whole page of a built MkDocs-Material site. Only its
//! `<article class="md-content__inner …">` is the lesson; the head, header, sidebars, footer and
//! scripts around it are site chrome and are never read.
//!
//! Inside the article come the `<h1>` MkDocs generated from the file name (the book writes its
//! own title), the article as Python-Markdown rendered it, and the md-comments `精选留言` block,
//! which `markdown` reads.

use std::sync::LazyLock;

use regex::Regex;

use super::{Parsed, escape_unknown_tags, markdown};

static ARTICLE_OPEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<article\b[^>]*\bclass\s*=\s*"[^"]*\bmd-content__inner\b[^"]*"[^>]*>"#)
        .expect("valid regex")
});
static TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)\A(.*?)<h1\b[^>]*>.*?</h1>").expect("valid regex"));
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").expect("valid regex"));
/// The anchor MkDocs-Material puts before every line of a code block (`anchor_linenums`); it
/// links to itself, and would show as an empty link per line.
static LINE_ANCHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<a\b[^>]*\bid\s*=\s*"__codelineno-[^"]*"[^>]*>\s*</a>"#).expect("valid regex")
});

/// Whether `text` is a page of a built MkDocs-Material site.
pub(super) fn is_page(text: &str) -> bool {
    ARTICLE_OPEN.is_match(text)
}

pub(super) fn parse(text: &str) -> Parsed {
    let (start, end) = article_range(text);
    // Cut at the article's end, so the comment items are looked for only inside it, with line
    // numbers that still count from the top of the page.
    let page = &text[..end];
    let block = markdown::comment_block_start(page).filter(|&at| at >= start);
    let mut article = &text[start..block.unwrap_or(end)];
    if let Some(title) = TITLE.captures(article)
        && TAG.replace_all(&title[1], "").trim().is_empty()
    {
        article = &article[title.get(0).expect("group 0 always takes part").end()..];
    }
    let article = LINE_ANCHOR.replace_all(article, "");
    let mut warnings = Vec::new();
    let comments = match block {
        Some(at) => markdown::comments(page, at, &mut warnings),
        None => Vec::new(),
    };
    Parsed {
        article_html: escape_unknown_tags(&article).into_owned(),
        comments,
        warnings,
    }
}

/// Where the article's content starts and ends: inside the first MkDocs article element; the
/// whole text when there is none.
fn article_range(text: &str) -> (usize, usize) {
    match ARTICLE_OPEN.find(text) {
        Some(open) => {
            let end = text[open.end()..]
                .rfind("</article>")
                .map_or(text.len(), |at| open.end() + at);
            (open.end(), end)
        }
        None => (0, text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(article: &str) -> String {
        format!(
            "<!--geek time docs 🚀, MIT license-->\n\n\n<!doctype html>\n<html lang=\"zh\">\n  <head>\n    <meta charset=\"utf-8\">\n    <link rel=\"canonical\" href=\"https://github.com/uaxe/geektime-docs/x/\">\n    <title>01 标题 - 极客时间文档</title>\n  </head>\n  <body>\n<nav class=\"md-nav md-nav--primary\" aria-label=\"导航栏\"><ul class=\"md-nav__list\"><li class=\"md-nav__item\"><a href=\"../other/\" class=\"md-nav__link\">其他</a></li></ul></nav>\n<div class=\"md-content\" data-md-component=\"content\">\n  <article class=\"md-content__inner md-typeset\">\n    \n  <h1>01   标题</h1>\n\n{article}\n\n\n                \n              </article>\n</div>\n<footer class=\"md-footer\"><ul><li>Copyright © 2025-Present zkep</li></ul></footer>\n<script id=\"__config\" type=\"application/json\">{{}}</script>\n</body>\n</html>"
        )
    }

    const COMMENTS: &str = "<div><strong>精选留言（2）</strong></div>\n<ul>\n<li><span>胡夕</span> 👍（157） 💬（6）<p>结尾处增加了一张图 &lt;x&gt;</p>2019-06-11</li><br/><li><span>时光 剪影</span> 👍（177） 💬（13）<p>整理一遍：\n第二行</p>2019-06-12</li><br/>\n</ul>";

    #[test]
    fn article_and_comments_without_the_chrome() {
        let text = page(&format!(
            "<p>你好，我是胡夕。</p>\n<h2 id=\"_1\">术语</h2>\n{COMMENTS}"
        ));
        assert!(is_page(&text));
        let parsed = parse(&text);
        let html = parsed.article_html.trim();
        assert_eq!(html, "<p>你好，我是胡夕。</p>\n<h2 id=\"_1\">术语</h2>");
        assert_eq!(parsed.comments.len(), 2);
        let c = &parsed.comments[1];
        assert_eq!(
            (c.author.as_str(), c.likes, c.reply_count, c.date.as_str()),
            ("时光 剪影", Some(177), Some(13), "2019-06-12")
        );
        assert_eq!(c.text, "整理一遍：\n第二行");
        assert_eq!(parsed.comments[0].text, "结尾处增加了一张图 <x>");
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn intro_page_without_comments_is_all_article() {
        let parsed = parse(&page("<p>专栏介绍</p>"));
        assert!(parsed.comments.is_empty());
        assert_eq!(parsed.article_html.trim(), "<p>专栏介绍</p>");
    }

    #[test]
    fn code_line_anchors_are_dropped() {
        let parsed = parse(&page(
            "<div class=\"highlight\"><pre><span></span><code><a id=\"__codelineno-0-1\" name=\"__codelineno-0-1\" href=\"#__codelineno-0-1\"></a>pip install requests\n<a id=\"__codelineno-0-2\" name=\"__codelineno-0-2\" href=\"#__codelineno-0-2\"></a>print(&#39;ok&#39;)\n</code></pre></div>",
        ));
        assert_eq!(
            parsed.article_html.trim(),
            "<div class=\"highlight\"><pre><span></span><code>pip install requests\nprint(&#39;ok&#39;)\n</code></pre></div>"
        );
    }

    #[test]
    fn only_the_generated_title_is_dropped() {
        // An `<h1>` after the article's text is the author's heading, not MkDocs' title.
        let text = page("<p>正文</p>\n<h1>作者的标题</h1>").replace("<h1>01   标题</h1>", "");
        let parsed = parse(&text);
        assert_eq!(
            parsed.article_html.trim(),
            "<p>正文</p>\n<h1>作者的标题</h1>"
        );
    }

    #[test]
    fn comment_items_are_read_from_the_article_only() {
        // A comment-like list in the footer is chrome, not a comment.
        let text = page(&format!("<p>正文</p>\n{COMMENTS}")).replace(
            "<li>Copyright",
            "<li><span>x</span> 👍（1） 💬（0）<p>footer</p>2020-01-01</li><li>Copyright",
        );
        let parsed = parse(&text);
        assert_eq!(parsed.comments.len(), 2);
        assert!(!parsed.article_html.contains("footer"));
    }

    #[test]
    fn warnings_count_lines_from_the_top_of_the_page() {
        let text = page(
            "<p>正文</p>\n<div><strong>精选留言（1）</strong></div>\n<ul>\n<li>garbage</li>\n</ul>",
        );
        let parsed = parse(&text);
        let line = text[..text.find("<li>garbage").unwrap()].lines().count() + 1;
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].0, Some(line));
    }
}
