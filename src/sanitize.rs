//! Untrusted article HTML -> a clean tree (`model::Node`) that holds only what a book may show,
//! in a shape XHTML allows.
//!
//! The article is parsed once, by html5ever (through scraper), and walked once. Each element
//! is treated as the table in `elements` says: kept (with its allowed attributes, their values
//! checked), left out with its content kept, or left out with its content. Kept: headings,
//! paragraphs, lists, pre/code, tables, blockquotes, emphasis, line breaks, rules, sup/sub,
//! links to `http`, `https` and `mailto`, images, and presentation MathML (with its presentation
//! attributes only). Audio and video, which a book cannot play, leave a note in their place: a
//! video's poster and a link to the media. Everything else goes: scripts and styles with their
//! content, event handlers, `style`, `srcset`, forms, frames, embedded objects and SVG.
//!
//! The walk also repairs what HTML parsers accept but XHTML does not (a `<br>` directly inside
//! `<ul>`, a `<div>` inside a `<span>`, a `<li>` outside any list), so the tree is valid by
//! construction and `xhtml` only has to write it. It uses no recursion, so thousands of nested
//! elements cannot overflow the stack.
//!
//! ammonia, the usual sanitizer, is not used: it hands back only serialized HTML (its tree is
//! behind `--cfg ammonia_unstable`, outside semver), so every article would be parsed twice,
//! under two allow-lists that had to agree.
//!
//! Comments need no policy: the parsers reduce them to plain text.

use std::borrow::Cow;
use std::sync::LazyLock;

use ego_tree::iter::Edge;
use regex::Regex;
use scraper::Html;

use crate::elements::{self, End, Flow, Policy};
use crate::model::{Article, Comments, Element, Image, ImageRef, Lesson, Node, ParsedLesson};

/// A parsed lesson, its article made clean.
pub fn lesson(parsed: ParsedLesson) -> Lesson {
    let mut comments = parsed.comments;
    // The lesson stays in memory until it is packaged: no spare capacity.
    comments.shrink_to_fit();
    Lesson {
        article: Article::Tree(article(&parsed.article_html)),
        source: parsed.source,
        title: parsed.title,
        comments: Comments::Chosen(comments),
        comments_in_source: parsed.comments_in_source,
        likes_recorded: parsed.likes_recorded,
    }
}

/// Sanitizes one article.
pub fn article(html: &str) -> Vec<Node> {
    let html = limit_nesting(html);
    let doc = Html::parse_fragment(&html);
    let root = doc.root_element();
    let mut tree = TreeBuilder::default();
    // The element being left out with everything in it.
    let mut skip: Option<ego_tree::NodeId> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) | Edge::Close(node) if node.id() == root.id() => {}
            Edge::Open(node) => {
                if skip.is_some() {
                    continue;
                }
                match scraper::ElementRef::wrap(node) {
                    Some(el) if !tree.open(el) => skip = Some(node.id()),
                    Some(_) => {}
                    None => {
                        if let scraper::Node::Text(text) = node.value() {
                            tree.text(&text.text);
                        }
                    }
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skip {
                    if id == node.id() {
                        skip = None;
                    }
                    continue;
                }
                if let scraper::Node::Element(el) = node.value() {
                    tree.close(el);
                }
            }
        }
    }
    tree.finish()
}

/// Builds the clean tree while the parsed one is walked.
#[derive(Default)]
struct TreeBuilder {
    /// The top level of the article.
    top: Vec<Node>,
    /// The elements open in the parsed tree, innermost last.
    open: Vec<Frame>,
    /// Text not yet placed: runs of text that only left-out elements or HTML comments separate
    /// are one text, as a reader sees them.
    text: String,
}

/// What became of one open element of the parsed tree.
enum Frame {
    /// Left out; its children go to the nearest kept element.
    Unwrapped,
    Kept {
        element: Element,
        /// An element opened around this one to make it valid (`<li>` around a stray list child).
        wrapper: Option<&'static str>,
    },
}

/// What to do with a kept element inside `parent` (the nearest kept element).
enum Decision {
    /// Leave out the element and everything in it.
    Skip,
    /// Leave out the element but keep its children.
    Unwrap,
    Keep {
        tag: &'static str,
        wrapper: Option<&'static str>,
    },
}

impl TreeBuilder {
    /// The nearest kept element, whose children new nodes become.
    fn parent(&self) -> Option<&'static str> {
        self.open.iter().rev().find_map(|frame| match frame {
            Frame::Kept { element, .. } => Some(element.tag),
            Frame::Unwrapped => None,
        })
    }

    fn children(&mut self) -> &mut Vec<Node> {
        let kept = self.open.iter_mut().rev().find_map(|frame| match frame {
            Frame::Kept { element, .. } => Some(&mut element.children),
            Frame::Unwrapped => None,
        });
        match kept {
            Some(children) => children,
            None => &mut self.top,
        }
    }

    fn text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Places the pending text inside the nearest kept element, where text may stand.
    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        let parent = self.parent();
        let item = match parent {
            // Text may not sit directly in these: whitespace between items is dropped, words get
            // an item of their own. Text in a table was moved out of it by the HTML parser already.
            Some("ul" | "ol") => Some("li"),
            Some("dl") => Some("dd"),
            Some("table" | "thead" | "tbody" | "tfoot" | "tr") => return,
            // In a formula, text stands only in token elements.
            _ if in_formula(parent) == Some(Flow::Math) => Some("mtext"),
            _ => None,
        };
        match item {
            Some(_) if text.trim().is_empty() => {}
            Some(tag) => self.children().push(Node::Element(Element {
                tag,
                attributes: Vec::new(),
                children: vec![Node::Text(text.into_boxed_str().into())],
            })),
            // A whole column's articles stay in memory until packaged: no spare capacity.
            None => self
                .children()
                .push(Node::Text(text.into_boxed_str().into())),
        }
    }

    /// Opens the element `node` of the parsed tree; `false` when it is left out with its content.
    fn open(&mut self, node: scraper::ElementRef<'_>) -> bool {
        let el = node.value();
        let Some(known) = known(el) else {
            self.open.push(Frame::Unwrapped);
            return true;
        };
        match known.policy {
            Policy::Drop => return false,
            Policy::Note => {
                self.media_note(node);
                return false;
            }
            Policy::Unwrap => {
                self.open.push(Frame::Unwrapped);
                return true;
            }
            Policy::Keep => {}
        }
        self.flush_text();
        let (tag, wrapper) = match decide(known, self.parent()) {
            Decision::Skip => return false,
            Decision::Unwrap => {
                self.open.push(Frame::Unwrapped);
                return true;
            }
            Decision::Keep { tag, wrapper } => (tag, wrapper),
        };
        if tag == "img" {
            // An image has no children: it is placed at once, and an image without a usable
            // source is left out.
            if let Some(image) = image(el) {
                let node = wrap(Node::Image(Box::new(image)), wrapper);
                self.children().push(node);
            }
            self.open.push(Frame::Unwrapped);
            return true;
        }
        // Namespaced attributes (`xlink:href` in MathML) are never kept: none is on the list.
        let mut attributes: Vec<(&'static str, String)> = el
            .attrs
            .iter()
            .filter(|(name, _)| name.ns.is_empty())
            .filter_map(|(name, value)| {
                let name = known.attributes.iter().find(|a| **a == &*name.local)?;
                Some((*name, clean_attribute(tag, name, value)?))
            })
            .collect();
        if tag == "math" {
            attributes.insert(0, ("xmlns", elements::MATHML_NAMESPACE.to_owned()));
        }
        self.open.push(Frame::Kept {
            element: Element {
                tag,
                attributes,
                children: Vec::new(),
            },
            wrapper,
        });
        true
    }

    /// Closes the innermost open element, `el` of the parsed tree.
    fn close(&mut self, el: &scraper::node::Element) {
        if known(el).is_some_and(|e| e.policy == Policy::Keep) {
            self.flush_text();
        }
        if let Some(Frame::Kept {
            mut element,
            wrapper,
        }) = self.open.pop()
        {
            fit_arity(&mut element);
            element.children.shrink_to_fit();
            let node = wrap(Node::Element(element), wrapper);
            self.children().push(node);
        }
    }

    /// Puts a visible note where an `<audio>` or `<video>` was: what the media was, and a link
    /// to it. Inside a formula, where no note fits, the media just goes. A video's poster is not
    /// fetched: the acceptance mirror rewrites `src` but not `poster` URLs, so fetching posters
    /// would send acceptance builds to a real host.
    fn media_note(&mut self, media: scraper::ElementRef<'_>) {
        let span = elements::get("span").expect("span is an HTML element");
        let Decision::Keep { tag, wrapper } = decide(span, self.parent()) else {
            return;
        };
        self.flush_text();
        let el = media.value();
        let video = el.name() == "video";
        let mut children = Vec::new();
        let (kind, action) = if video {
            ("视频", "在线观看")
        } else {
            ("音频", "在线收听")
        };
        // The media's own `src`, else its first `<source>` with a usable one (GeekTime lists the
        // MP4 before the HLS playlist).
        let sources = media
            .children()
            .filter_map(scraper::ElementRef::wrap)
            .filter(|child| child.value().name() == "source")
            .map(|source| source.value().attr("src"));
        let link = std::iter::once(el.attr("src"))
            .chain(sources)
            .flatten()
            .find_map(|src| web_link(src.trim()));
        match link {
            // A link inside a link is not allowed; the note then names the media only.
            Some(href) if !self.inside("a") => {
                children.push(Node::Text(format!("{kind}：")));
                let mut attributes = vec![("href", href)];
                if let Some(title) = el.attr("title").map(str::trim).filter(|t| !t.is_empty()) {
                    attributes.push(("title", title.to_owned()));
                }
                children.push(Node::Element(Element {
                    tag: "a",
                    attributes,
                    children: vec![Node::Text(action.to_owned())],
                }));
            }
            _ => children.push(Node::Text(format!("{kind}（书中无法播放）"))),
        }
        let note = Node::Element(Element {
            tag,
            attributes: vec![("class", "media-note".to_owned())],
            children,
        });
        let node = wrap(note, wrapper);
        self.children().push(node);
    }

    /// Whether a kept element named `tag` is open around the current position.
    fn inside(&self, tag: &str) -> bool {
        self.open
            .iter()
            .any(|frame| matches!(frame, Frame::Kept { element, .. } if element.tag == tag))
    }

    fn finish(mut self) -> Vec<Node> {
        self.flush_text();
        self.top.shrink_to_fit();
        self.top
    }
}

/// Gives a MathML element that takes a fixed number of arguments (`mfrac`: numerator and
/// denominator) exactly that many: extra leading children are grouped in an `mrow` as the base,
/// missing ones are empty `mrow`s. Converters get this wrong (pulldown-latex puts a space and
/// the operator of `\operatorname{argmax}_x` both in the base of an `msub`), and MathML 3
/// forbids it.
fn fit_arity(element: &mut Element) {
    let arity = match element.tag {
        "mfrac" | "mroot" | "msub" | "msup" | "munder" | "mover" => 2,
        "msubsup" | "munderover" => 3,
        _ => return,
    };
    let row = |children| {
        Node::Element(Element {
            tag: "mrow",
            attributes: Vec::new(),
            children,
        })
    };
    let children = &mut element.children;
    if children.len() > arity {
        let base: Vec<Node> = children.drain(..=children.len() - arity).collect();
        children.insert(0, row(base));
    }
    while children.len() < arity {
        children.push(row(Vec::new()));
    }
}

fn wrap(node: Node, wrapper: Option<&'static str>) -> Node {
    match wrapper {
        Some(tag) => Node::Element(Element {
            tag,
            attributes: Vec::new(),
            children: vec![node],
        }),
        None => node,
    }
}

/// An `<img>` with a source the book can use, or `None`.
fn image(el: &scraper::node::Element) -> Option<Image> {
    let src = clean_attribute("img", "src", el.attr("src")?)?;
    Some(Image {
        image: ImageRef::new(src),
        alt: el.attr("alt").unwrap_or("").trim().to_owned(),
        title: el.attr("title").map(|t| t.trim().to_owned()),
    })
}

/// Decides how a kept element is written inside `parent` (the nearest kept element).
fn decide(element: &elements::Element, parent: Option<&'static str>) -> Decision {
    let tag = element.name;
    let mathml = matches!(element.flow, Flow::Math | Flow::MathToken);
    match in_formula(parent) {
        Some(Flow::Math) if mathml => return Decision::Keep { tag, wrapper: None },
        // HTML inside a formula, a formula inside a formula, MathML inside a token element or
        // outside any formula: MathML 3 allows none of them, the text stays.
        Some(_) => return Decision::Unwrap,
        None if mathml => return Decision::Unwrap,
        None => {}
    }
    let parent_element = parent.and_then(elements::get);
    if matches!(parent, Some("ul" | "ol")) {
        return match tag {
            "li" => Decision::Keep { tag, wrapper: None },
            "br" | "hr" => Decision::Skip,
            _ => Decision::Keep {
                tag,
                wrapper: Some("li"),
            },
        };
    }
    if parent == Some("dl") && !matches!(tag, "dt" | "dd" | "div") {
        return if tag == "br" {
            Decision::Skip
        } else {
            Decision::Keep {
                tag,
                wrapper: Some("dd"),
            }
        };
    }
    if parent_element.is_some_and(|p| p.phrasing_only()) {
        if tag == "hr" {
            return Decision::Skip;
        }
        if element.flow != Flow::Phrasing || (tag == "a" && parent == Some("a")) {
            return Decision::Unwrap;
        }
    }
    let in_table = parent_element.is_some_and(|p| matches!(p.flow, Flow::Table | Flow::TablePart));
    match tag {
        "li" => Decision::Keep {
            tag: "div",
            wrapper: None,
        },
        "dt" | "dd" if parent != Some("dl") => Decision::Keep {
            tag: "div",
            wrapper: None,
        },
        _ if element.flow == Flow::TablePart && !in_table => Decision::Unwrap,
        _ => Decision::Keep { tag, wrapper: None },
    }
}

/// What the element `el` of the parsed tree is, by its namespace and name.
fn known(el: &scraper::node::Element) -> Option<&'static elements::Element> {
    if &*el.name.ns == elements::MATHML_NAMESPACE {
        elements::mathml(el.name())
    } else {
        elements::get(el.name())
    }
}

/// Inside a formula, whether the kept `parent` holds MathML elements (`Flow::Math`) or text
/// (`Flow::MathToken`); `None` outside any formula.
fn in_formula(parent: Option<&str>) -> Option<Flow> {
    match parent.and_then(elements::kept) {
        Some(p) if p.name == "math" => Some(Flow::Math),
        Some(p) if matches!(p.flow, Flow::Math | Flow::MathToken) => Some(p.flow),
        _ => None,
    }
}

/// The value a kept attribute keeps, or `None` to drop it.
fn clean_attribute(element: &str, attribute: &str, value: &str) -> Option<String> {
    if matches!(attribute, "href" | "src") && !allowed_url(value) {
        return None;
    }
    filter_attribute(element, attribute, value)
}

/// Whether a URL attribute may stay at all: a URL with a scheme the book knows, or a relative
/// one (checked as the URL parser reads it, so `java\tscript:` is still `javascript:`).
fn allowed_url(value: &str) -> bool {
    match url::Url::parse(value) {
        Ok(url) => matches!(url.scheme(), "http" | "https" | "mailto" | "data"),
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
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

/// Whether repeating `name` does not nest: void elements, and those whose end HTML implies.
fn is_void_or_implied_end(name: &str) -> bool {
    elements::get(name).is_some_and(|e| e.end != End::Explicit)
}

/// The value an attribute keeps, or `None` to drop it. `allowed_url` has already refused schemes
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
        // A code block's language, and nothing else: a class from the page could take on one of
        // the book's own.
        ("code", "class") => value
            .split_whitespace()
            .find(|c| {
                c.strip_prefix("language-").is_some_and(|l| {
                    !l.is_empty()
                        && l.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+#._-".contains(c))
                })
            })
            .map(str::to_owned),
        ("math", "display") => matches!(value, "block" | "inline").then(|| value.to_owned()),
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
    use crate::model;

    /// What `article` makes of `html`, written as XHTML, with each image stored under its own
    /// source.
    fn clean(html: &str) -> String {
        let mut nodes = article(html);
        for image in model::images_mut(&mut nodes) {
            image.image.stored = vec![image.image.src.clone()];
        }
        let mut w = crate::xhtml::Writer::new();
        w.nodes(&nodes, "");
        w.finish()
    }

    fn images(html: &str) -> Vec<String> {
        let mut nodes = article(html);
        model::images_mut(&mut nodes)
            .into_iter()
            .map(|i| i.image.src.clone())
            .collect()
    }

    #[test]
    fn scripts_styles_and_handlers_are_removed_text_kept() {
        let out =
            clean("<p onclick=\"alert(1)\">段落<script>alert('x')</script></p><style>p{}</style>");
        assert_eq!(out, "<p>段落</p>");
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
            let out = clean(&format!("<a href=\"{href}\">链接</a>"));
            assert_eq!(out, "<a>链接</a>", "{href}");
        }
        let out = clean("<a href=\"https://kubernetes.io/\">正常链接</a>");
        assert_eq!(out, "<a href=\"https://kubernetes.io/\">正常链接</a>");
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
            let out = clean(&format!("<a href=\"{href}\">链接</a>"));
            assert_eq!(out, format!("<a href=\"{written}\">链接</a>"), "{href}");
        }
        for no_url in ["https://", "mailto:", "https://e..com/"] {
            let out = clean(&format!("<a href=\"{no_url}\">无网址</a>"));
            assert_eq!(out, "<a>无网址</a>", "{no_url}");
        }
        let out = clean("<a href=\"https://e.com/#a#b\">片段</a>");
        assert_eq!(out, "<a href=\"https://e.com/#a%23b\">片段</a>");
    }

    #[test]
    fn raw_text_elements_go_with_their_content() {
        let out = clean(
            "<p>前</p><xmp><img src=x onerror=alert(1)></xmp><noembed><b onclick=x>y</b></noembed>\
             <textarea><script>alert(1)</script></textarea><plaintext><a href=\"javascript:x\">z",
        );
        assert_eq!(out, "<p>前</p>");
    }

    #[test]
    fn embedded_and_active_content_is_removed() {
        let out = clean(concat!(
            "<iframe src=\"https://evil.example/\"></iframe><object data=\"x.swf\">fallback</object>",
            "<embed src=\"y.swf\"><form action=\"https://evil.example/\"><input name=\"q\"><button>go</button></form>",
            "<svg><script>alert(1)</script><circle r=\"5\"/></svg>",
            "<meta http-equiv=\"refresh\" content=\"0\"><base href=\"https://evil.example/\">",
            "<link rel=\"stylesheet\" href=\"https://evil.example/a.css\"><p style=\"background:url(https://evil.example/bg.png)\">样式</p>",
        ));
        assert_eq!(out, "<p>样式</p>");
    }

    #[test]
    fn image_sources_are_collected_and_unsafe_ones_dropped() {
        let html = concat!(
            "<img src=\" https://a.org/1.png\" alt=\"图片\" srcset=\"https://a.org/2.png 2x\" onerror=\"x\">",
            "<img src=\"file:///etc/passwd\"><img src=\"javascript:alert(1)\">",
            "<img src=\"data:image/png;base64,AAAA\"><img src=\"images/a.png\">",
        );
        let out = clean(html);
        assert_eq!(
            images(html),
            [
                "https://a.org/1.png",
                "data:image/png;base64,AAAA",
                "images/a.png"
            ]
        );
        assert!(!out.contains("srcset") && !out.contains("onerror") && !out.contains("file:"));
    }

    #[test]
    fn code_keeps_its_characters() {
        let out = clean("<pre><code>if a &lt; b &amp;&amp; c &gt; d { return; }</code></pre>");
        assert_eq!(
            out,
            "<pre><code>if a &lt; b &amp;&amp; c &gt; d { return; }</code></pre>"
        );
    }

    #[test]
    fn code_keeps_only_its_language_as_a_class() {
        assert_eq!(
            clean("<pre><code class=\"hljs language-go\">a</code></pre>"),
            "<pre><code class=\"language-go\">a</code></pre>"
        );
        // A page's class never takes on one of the book's own.
        for class in ["hl-keyword", "line", "language-\" onclick=\"x", "language-"] {
            let out = clean(&format!(
                "<code class=\"{class}\">a</code><span class=\"line\">b</span>"
            ));
            assert_eq!(out, "<code>a</code><span>b</span>", "{class}");
        }
    }

    #[test]
    fn audio_and_video_leave_a_note_with_a_link() {
        let html = "<audio title=\"01 _ 开篇\" src=\"https://a.example/1.mp3\" controls=\"controls\"></audio> \
             <p>x<video poster=\"https://p.example/1.jpg\" preload=\"none\" controls=\"\"><source \
             src=\"https://m.example/1.mp4\" type=\"video/mp4\"><source src=\" https://m.example/1.m3u8\" \
             type=\"application/x-mpegURL\">不支持视频</video></p><!-- [[[read_end]]] -->";
        assert_eq!(
            clean(html),
            "<span class=\"media-note\">音频：<a href=\"https://a.example/1.mp3\" title=\"01 _ 开篇\">\
             在线收听</a></span> <p>x<span class=\"media-note\">视频：<a \
             href=\"https://m.example/1.mp4\">在线观看</a></span></p>"
        );
        assert!(images(html).is_empty(), "no poster is fetched");
    }

    #[test]
    fn a_media_note_without_a_usable_link_still_says_what_was_there() {
        assert_eq!(
            clean("<ul><video src=\"javascript:x\" poster=\"file:///p\"></video></ul>"),
            "<ul><li><span class=\"media-note\">视频（书中无法播放）</span></li></ul>"
        );
        assert_eq!(
            clean(
                "<a href=\"https://x.example/\">看<audio src=\"https://a.example/1.mp3\"></audio></a>"
            ),
            "<a href=\"https://x.example/\">看<span class=\"media-note\">音频（书中无法播放）</span></a>"
        );
    }

    #[test]
    fn mathml_is_kept_in_its_namespace_with_presentation_attributes_only() {
        let out = clean(
            "<p>设<math display=\"block\" alttext=\"x_1\" onclick=\"alert(1)\" style=\"color:red\">\
             <msub><mi mathvariant=\"normal\" xlink:href=\"javascript:alert(1)\" class=\"c\">x</mi>\
             <mn>1</mn></msub><maction actiontype=\"toggle\"><mo stretchy=\"false\">+</mo></maction>\
             <semantics><mi>y</mi><annotation encoding=\"application/x-tex\">y</annotation></semantics>\
             </math>。</p>",
        );
        assert_eq!(
            out,
            "<p>设<math xmlns=\"http://www.w3.org/1998/Math/MathML\" alttext=\"x_1\" display=\"block\">\
             <msub><mi mathvariant=\"normal\">x</mi><mn>1</mn></msub><mo stretchy=\"false\">+</mo>\
             <mi>y</mi></math>。</p>"
        );
    }

    #[test]
    fn a_formula_holds_only_what_mathml_allows_there() {
        // Text outside token elements gets one; HTML inside a formula and MathML outside one are
        // unwrapped, their text kept.
        assert_eq!(
            clean(
                "<math display=\"wide\"><mrow>a <mi>b</mi> </mrow><mtext><b>粗</b><img src=\"x.png\"></mtext></math>"
            ),
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mtext>a </mtext><mi>b</mi></mrow>\
             <mtext>粗</mtext></math>"
        );
        assert_eq!(clean("<p><mi>x</mi><mfrac>1</mfrac></p>"), "<p>x1</p>");
    }

    #[test]
    fn scripts_and_fractions_get_exactly_their_arguments() {
        assert_eq!(
            clean(
                "<math><msub><mspace width=\"1em\"/><mi>argmax</mi><mi>x</mi></msub><mfrac><mn>1</mn></mfrac></math>"
            ),
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><msub><mrow><mspace width=\"1em\">\
             </mspace><mi>argmax</mi></mrow><mi>x</mi></msub><mfrac><mn>1</mn><mrow></mrow></mfrac></math>"
        );
    }

    #[test]
    fn self_closing_tags_count_as_start_tags() {
        let deep = format!("{}<p>深层嵌套</p>", "<div/>".repeat(10_000));
        let limited = limit_nesting(&deep);
        assert_eq!(limited.matches("<div/>").count(), MAX_DEPTH);
        assert!(clean(&deep).contains("深层嵌套"));
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
        let out = clean(&deep);
        assert!(out.contains("深层"));
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
        let out = clean(
            "<ol start=\"3x\"><li>a</li></ol><ol start=\"4\"><li>b</li></ol><table><tr><td colspan=\"0\">c</td><td rowspan=\"2\">d</td></tr></table>",
        );
        assert!(
            out.contains("<ol><li>a</li></ol><ol start=\"4\">"),
            "{}",
            out
        );
        assert!(
            out.contains("<td>c</td><td rowspan=\"2\">d</td>"),
            "{}",
            out
        );
    }

    #[test]
    fn void_elements_are_closed_and_entities_are_xml() {
        let out = clean("<p>a<br>b&nbsp;c &amp; &lt;d&gt;</p><hr><img src=\"x.png\">");
        assert_eq!(
            out,
            "<p>a<br/>b\u{a0}c &amp; &lt;d&gt;</p><hr/><img src=\"x.png\" alt=\"\"/>"
        );
    }

    #[test]
    fn br_directly_inside_a_list_is_dropped() {
        let out = clean("<ul><li>a</li><br><li>b</li><br></ul>");
        assert_eq!(out, "<ul><li>a</li><li>b</li></ul>");
    }

    #[test]
    fn stray_list_content_is_wrapped_in_an_item() {
        let out = clean("<ol><p>para</p>text<li>b</li></ol>");
        assert_eq!(out, "<ol><li><p>para</p></li><li>text</li><li>b</li></ol>");
    }

    #[test]
    fn text_that_only_left_out_markup_separates_is_one_text() {
        let out = clean("<ul>a<!-- c --><font> </font><li>b</li></ul>");
        assert_eq!(out, "<ul><li>a </li><li>b</li></ul>");
    }

    #[test]
    fn blocks_inside_phrasing_are_unwrapped_keeping_text() {
        let out = clean("<span><div>x</div><ul><li>y</li></ul></span>");
        assert_eq!(out, "<span>xy</span>");
    }

    #[test]
    fn list_item_outside_a_list_becomes_a_div() {
        assert_eq!(clean("<li>x</li>"), "<div>x</div>");
    }

    #[test]
    fn unknown_elements_are_unwrapped() {
        assert_eq!(clean("<p>uuid:<uuid>abc</uuid></p>"), "<p>uuid:abc</p>");
    }

    #[test]
    fn forbidden_characters_from_character_references_are_dropped() {
        assert_eq!(clean("<p>a&#8;b&#x1;c</p>"), "<p>abc</p>");
    }

    #[test]
    fn images_without_a_usable_source_are_left_out() {
        assert_eq!(
            clean("<p>a<img>b<img src=\"javascript:x\">c<img src=\" \"></p>"),
            "<p>abc</p>"
        );
    }

    #[test]
    fn a_parsed_lesson_keeps_everything_but_its_article_html() {
        let parsed = ParsedLesson {
            source: "01.md".into(),
            title: "01 | 一".into(),
            article_html: "<p>正文<script>x</script></p>".into(),
            comments: vec![model::Comment::default()],
            comments_in_source: 3,
            likes_recorded: true,
        };
        let lesson = lesson(parsed.clone());
        assert_eq!(lesson.source, parsed.source);
        assert_eq!(lesson.title, parsed.title);
        assert_eq!(lesson.comments, Comments::Chosen(parsed.comments));
        assert_eq!(lesson.comments_in_source, 3);
        assert!(lesson.likes_recorded);
        assert_eq!(
            lesson.article,
            Article::Tree(vec![Node::Element(Element {
                tag: "p",
                attributes: Vec::new(),
                children: vec![Node::Text("正文".into())],
            })])
        );
    }
}
