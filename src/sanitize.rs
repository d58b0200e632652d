//! Untrusted article HTML -> clean HTML, with ammonia and an allow-list.
//!
//! Kept: headings, paragraphs, lists, pre/code, tables, blockquotes, emphasis, line breaks, rules,
//! sup/sub, links to `http`, `https` and `mailto`, and images. Everything else goes: scripts and
//! styles with their content, event handlers, `style`, `srcset`, forms, frames, embedded objects,
//! SVG and MathML. The output is still HTML; `xhtml` turns it into XHTML.
//!
//! Comments need no policy: the parsers reduce them to plain text.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use ammonia::Builder;
use regex::Regex;

/// An article after sanitizing.
#[derive(Debug, Clone, PartialEq)]
pub struct Clean {
    pub html: String,
    /// The `src` of every image kept, in document order, as written (trimmed).
    pub images: Vec<String>,
}

const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "var",
];

/// Elements removed together with their content (ammonia keeps the text of other removed tags).
/// Besides scripts and styles these are fallbacks, form controls and drawings, whose text means
/// nothing without them, and the elements whose content HTML reads as raw text (`xmp`,
/// `plaintext`, `textarea`, `title`, `noembed`, …): kept, their content would show the markup
/// inside them, attack strings included, as visible text. DOMPurify's `FORBID_CONTENTS` makes
/// the same choice.
pub(crate) const DROP_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "title",
    "template",
    "noscript",
    "iframe",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "select",
    "textarea",
    "button",
    "audio",
    "video",
    "canvas",
    "map",
    "head",
    "frameset",
    "noframes",
    "noembed",
    "xmp",
    "plaintext",
];

/// Sanitizes one article.
pub fn article(html: &str) -> Clean {
    let html = limit_nesting(html);
    let images = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&images);
    let mut builder = Builder::empty();
    builder
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(DROP_WITH_CONTENT.iter().copied().collect())
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href", "title"])),
            ("img", HashSet::from(["src", "alt", "title"])),
            ("abbr", HashSet::from(["title"])),
            ("dfn", HashSet::from(["title"])),
            ("ol", HashSet::from(["start", "reversed"])),
            ("td", HashSet::from(["colspan", "rowspan"])),
            ("th", HashSet::from(["colspan", "rowspan"])),
        ]))
        .url_schemes(HashSet::from(["http", "https", "mailto", "data"]))
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(move |element, attribute, value| {
            let kept = filter_attribute(element, attribute, value)?;
            if (element, attribute) == ("img", "src") {
                seen.lock()
                    .expect("no panic while holding the image list")
                    .push(kept.clone());
            }
            Some(kept.into())
        });
    let html = builder.clean(&html).to_string();
    let images = std::mem::take(
        &mut *images
            .lock()
            .expect("no panic while holding the image list"),
    );
    Clean { html, images }
}

/// Deepest element nesting passed on to the HTML parser. No real article comes close; hostile
/// input nests tens of thousands deep, and html5ever's scope checks make parsing quadratic in
/// the depth (60,000 nested `<div>` took 40 s).
pub const MAX_DEPTH: usize = 256;

/// Drops the start and end tags that would nest elements deeper than `MAX_DEPTH`, keeping all
/// text. Elements whose end tag HTML implies (`p`, `li`, `td`, …) and void elements do not nest
/// when repeated, so they are not counted.
pub fn limit_nesting(html: &str) -> Cow<'_, str> {
    static TAG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>").expect("valid regex"));
    // Cheap exit for the common case: not even MAX_DEPTH tags in the whole text.
    if html.matches('<').count() <= MAX_DEPTH {
        return Cow::Borrowed(html);
    }
    let mut out = String::new();
    let mut copied = 0;
    let (mut depth, mut suppressed) = (0usize, 0usize);
    for caps in TAG.captures_iter(html) {
        let whole = caps.get(0).expect("group 0 always takes part");
        let name = caps[2].to_ascii_lowercase();
        // `<div/>` opens a `div` in HTML (only void elements ignore the slash), so a self-closing
        // tag counts like any start tag: 100,000 `<div/>` nest as deep as 100,000 `<div>`.
        if is_void_or_implied_end(&name) {
            continue;
        }
        let drop = if &caps[1] == "/" {
            if suppressed > 0 {
                suppressed -= 1;
                true
            } else {
                depth = depth.saturating_sub(1);
                false
            }
        } else if depth >= MAX_DEPTH {
            suppressed += 1;
            true
        } else {
            depth += 1;
            false
        };
        if drop {
            out.push_str(&html[copied..whole.start()]);
            copied = whole.end();
        }
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

fn is_void_or_implied_end(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "option"
            | "optgroup"
            | "rt"
            | "rp"
            | "thead"
            | "tbody"
            | "tfoot"
            | "colgroup"
            | "caption"
    )
}

/// The value an attribute keeps, or `None` to drop it. ammonia has already refused schemes
/// outside `http`, `https`, `mailto` and `data`; this narrows them per attribute.
fn filter_attribute(element: &str, attribute: &str, value: &str) -> Option<String> {
    let value = value.trim();
    match (element, attribute) {
        ("img", "src") => {
            let lower = value.to_ascii_lowercase();
            let scheme_ok = lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("data:image/")
                || !has_scheme(value);
            (scheme_ok && !value.is_empty()).then(|| value.to_owned())
        }
        // Links inside the book are not resolved, so relative and fragment links would point
        // nowhere; the text stays, the link goes.
        ("a", "href") => web_link(value),
        ("ol", "start") => value.parse::<i64>().ok().map(|n| n.to_string()),
        ("ol", "reversed") => Some("reversed".to_owned()),
        ("td" | "th", "colspan" | "rowspan") => value
            .parse::<u16>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .map(|n| n.to_string()),
        _ => Some(value.to_owned()),
    }
}

/// An `http`, `https` or `mailto` link written as a URL that every reader, and EPUBCheck (which
/// checks by RFC 3986, RSC-020), accepts: parsed and written out as browsers do (tabs and
/// newlines dropped, spaces, quotes and non-ASCII percent-encoded), then the characters that
/// browsers leave alone but RFC 3986 forbids (`|`, `^`, `[`, a `%` that starts no escape, …)
/// encoded too. `None` for anything else, or for no URL at all.
fn web_link(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    let usable = match url.scheme() {
        "mailto" => !url.path().is_empty(),
        // `e..com` parses, but a host with an empty label is no host RFC 3986 knows.
        "http" | "https" => url
            .host_str()
            .is_some_and(|host| !host.trim_end_matches('.').split('.').any(str::is_empty)),
        _ => false,
    };
    if !usable {
        return None;
    }
    // The host is left as the URL parser wrote it: `[` and `]` are legal around an IPv6 address.
    let (head, tail) = url
        .as_str()
        .split_at(url[..url::Position::BeforePath].len());
    let mut out = String::with_capacity(url.as_str().len());
    out.push_str(head);
    let bytes = tail.as_bytes();
    let mut in_fragment = false;
    for (i, &b) in bytes.iter().enumerate() {
        let escape_start = b == b'%'
            && bytes.len() > i + 2
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit();
        // The first `#` starts the fragment; any later one is a character of it.
        let fragment_start = b == b'#' && !in_fragment;
        in_fragment |= fragment_start;
        if escape_start
            || fragment_start
            || b.is_ascii_alphanumeric()
            || b"-._~:/?@!$&'()*+,;=".contains(&b)
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

/// Whether a URL starts with a scheme (`x:`), as opposed to a relative path.
fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(colon) => {
            let scheme = &url[..colon];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !url[..colon].contains('/')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_styles_and_handlers_are_removed_text_kept() {
        let out = article(
            "<p onclick=\"alert(1)\">段落<script>alert('x')</script></p><style>p{}</style>",
        );
        assert_eq!(out.html, "<p>段落</p>");
    }

    #[test]
    fn dangerous_links_lose_their_href_in_any_case_or_spacing() {
        for href in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "vbscript:x",
            "data:text/html,<b>",
            "#frag",
            "other.md",
        ] {
            let out = article(&format!("<a href=\"{href}\">链接</a>"));
            assert_eq!(out.html, "<a>链接</a>", "{href}");
        }
        let out = article("<a href=\"https://kubernetes.io/\">正常链接</a>");
        assert_eq!(out.html, "<a href=\"https://kubernetes.io/\">正常链接</a>");
    }

    #[test]
    fn links_become_urls_that_rfc_3986_accepts() {
        for (href, written) in [
            (
                "https://ok.example/&quot; onmouseover=&quot;alert(1)",
                "https://ok.example/%22%20onmouseover=%22alert(1)",
            ),
            (
                "https://例子.测试/路径?q=a b#片段",
                "https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=a%20b#%E7%89%87%E6%AE%B5",
            ),
            (
                "https://a.example/x|y^z[1]%zz",
                "https://a.example/x%7Cy%5Ez%5B1%5D%25zz",
            ),
            ("https://[::1]:8080/a%20b", "https://[::1]:8080/a%20b"),
            ("HTTPS://Kubernetes.IO", "https://kubernetes.io/"),
            (
                "mailto:a@b.example?subject=你好 吗",
                "mailto:a@b.example?subject=%E4%BD%A0%E5%A5%BD%20%E5%90%97",
            ),
        ] {
            let out = article(&format!("<a href=\"{href}\">链接</a>"));
            assert_eq!(
                out.html,
                format!("<a href=\"{written}\">链接</a>"),
                "{href}"
            );
        }
        for no_url in ["https://", "mailto:", "https://e..com/"] {
            let out = article(&format!("<a href=\"{no_url}\">无网址</a>"));
            assert_eq!(out.html, "<a>无网址</a>", "{no_url}");
        }
        let out = article("<a href=\"https://e.com/#a#b\">片段</a>");
        assert_eq!(out.html, "<a href=\"https://e.com/#a%23b\">片段</a>");
    }

    #[test]
    fn raw_text_elements_go_with_their_content() {
        let out = article(
            "<p>前</p><xmp><img src=x onerror=alert(1)></xmp><noembed><b onclick=x>y</b></noembed>\
             <textarea><script>alert(1)</script></textarea><plaintext><a href=\"javascript:x\">z",
        );
        assert_eq!(out.html, "<p>前</p>");
    }

    #[test]
    fn embedded_and_active_content_is_removed() {
        let out = article(concat!(
            "<iframe src=\"https://evil.example/\"></iframe><object data=\"x.swf\">fallback</object>",
            "<embed src=\"y.swf\"><form action=\"https://evil.example/\"><input name=\"q\"><button>go</button></form>",
            "<svg><script>alert(1)</script><circle r=\"5\"/></svg><math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<meta http-equiv=\"refresh\" content=\"0\"><base href=\"https://evil.example/\">",
            "<link rel=\"stylesheet\" href=\"https://evil.example/a.css\"><p style=\"background:url(https://evil.example/bg.png)\">样式</p>",
        ));
        assert_eq!(out.html, "<p>样式</p>");
    }

    #[test]
    fn image_sources_are_collected_and_unsafe_ones_dropped() {
        let out = article(concat!(
            "<img src=\" https://a.org/1.png\" alt=\"图片\" srcset=\"https://a.org/2.png 2x\" onerror=\"x\">",
            "<img src=\"file:///etc/passwd\"><img src=\"javascript:alert(1)\">",
            "<img src=\"data:image/png;base64,AAAA\"><img src=\"images/a.png\">",
        ));
        assert_eq!(
            out.images,
            [
                "https://a.org/1.png",
                "data:image/png;base64,AAAA",
                "images/a.png"
            ]
        );
        assert!(
            !out.html.contains("srcset")
                && !out.html.contains("onerror")
                && !out.html.contains("file:")
        );
    }

    #[test]
    fn code_keeps_its_characters() {
        let out = article("<pre><code>if a &lt; b &amp;&amp; c &gt; d { return; }</code></pre>");
        assert_eq!(
            out.html,
            "<pre><code>if a &lt; b &amp;&amp; c &gt; d { return; }</code></pre>"
        );
    }

    #[test]
    fn audio_video_and_read_end_marker_are_removed() {
        let out = article(
            "<audio title=\"t\" src=\"https://a/1.mp3\" controls=\"controls\"></audio> <p>x</p><!-- [[[read_end]]] --><video poster=\"https://p\"><source src=\" https://m.mp4\"></video>",
        );
        assert_eq!(out.html.trim(), "<p>x</p>");
        assert!(out.images.is_empty());
    }

    #[test]
    fn self_closing_tags_count_as_start_tags() {
        let deep = format!("{}<p>深层嵌套</p>", "<div/>".repeat(10_000));
        let limited = limit_nesting(&deep);
        assert_eq!(limited.matches("<div/>").count(), MAX_DEPTH);
        assert!(article(&deep).html.contains("深层嵌套"));
        assert_eq!(
            limit_nesting("<p>a<br/>b<img src=\"x\"/></p>"),
            "<p>a<br/>b<img src=\"x\"/></p>"
        );
    }

    #[test]
    fn nesting_beyond_the_limit_is_flattened_keeping_text() {
        let deep = format!("{}深层{}", "<div>".repeat(10_000), "</div>".repeat(10_000));
        let limited = limit_nesting(&deep);
        assert_eq!(limited.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(limited.matches("</div>").count(), MAX_DEPTH);
        assert!(limited.contains("深层"));
        let out = article(&deep);
        assert!(out.html.contains("深层"));
    }

    #[test]
    fn shallow_html_is_not_copied() {
        assert!(matches!(
            limit_nesting("<p>a</p><div><b>b</b></div>"),
            Cow::Borrowed(_)
        ));
        let many_paragraphs = "<p>x".repeat(1000);
        assert!(matches!(limit_nesting(&many_paragraphs), Cow::Borrowed(_)));
    }

    #[test]
    fn numbers_in_list_and_table_attributes_are_validated() {
        let out = article(
            "<ol start=\"3x\"><li>a</li></ol><ol start=\"4\"><li>b</li></ol><table><tr><td colspan=\"0\">c</td><td rowspan=\"2\">d</td></tr></table>",
        );
        assert!(
            out.html.contains("<ol><li>a</li></ol><ol start=\"4\">"),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("<td>c</td><td rowspan=\"2\">d</td>"),
            "{}",
            out.html
        );
    }
}
