//! The only place that writes markup: a small XHTML writer, and a serializer that turns
//! (sanitized) HTML fragments into well-formed XHTML that EPUB readers accept.
//!
//! HTML parsers accept markup that is not valid XHTML 5: `<br>` directly inside `<ul>`, a `<div>`
//! inside a `<span>`, a `<li>` outside any list. The serializer repairs those while it writes, so
//! the output is valid by construction: void elements closed, only the five XML entities,
//! attribute values quoted and escaped, no character XML forbids. It walks the tree without
//! recursion, so thousands of nested elements cannot overflow the stack.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

use crate::text::is_xml_char;

/// Builds an XHTML document or fragment as a string.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Self {
        Writer::default()
    }

    pub fn finish(self) -> String {
        self.out
    }

    /// Writes raw, already well-formed markup (the document prologue).
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.start_tag(tag, attrs.iter().copied());
        self.out.push('>');
    }

    pub fn close(&mut self, tag: &str) {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
    }

    /// An element without content: `<img …/>`.
    pub fn void(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.start_tag(tag, attrs.iter().copied());
        self.out.push_str("/>");
    }

    /// `<tag attrs>text</tag>` with the text escaped.
    pub fn element(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(tag, attrs);
        self.text(text);
        self.close(tag);
    }

    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text, false);
    }

    /// Plain text whose `\n` become `<br/>`, for comments.
    pub fn text_with_breaks(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.out.push_str("<br/>");
            }
            self.text(line);
        }
    }

    fn start_tag<'a>(&mut self, tag: &str, attrs: impl Iterator<Item = (&'a str, &'a str)>) {
        self.out.push('<');
        self.out.push_str(tag);
        for (name, value) in attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    /// Writes an HTML fragment as XHTML, repairing what XHTML does not allow (see module doc).
    /// `image_src` maps each `<img src>` to the path(s) the book stores it under: one `<img>`
    /// is written per path, each with the original `alt` (several for a tall image cut into
    /// slices, marked with class `slice`); an `<img>` it maps to no path is left out.
    pub fn fragment(&mut self, html: &str, image_src: &dyn Fn(&str) -> Vec<String>) {
        let doc = Html::parse_fragment(html);
        let root = doc.root_element();
        // What the serializer did with each open element, innermost last.
        let mut stack: Vec<Frame> = Vec::new();
        let mut skip: Option<ego_tree::NodeId> = None;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) if node.id() == root.id() => {}
                Edge::Close(node) if node.id() == root.id() => {}
                Edge::Open(node) => {
                    if skip.is_some() {
                        continue;
                    }
                    let parent = stack.iter().rev().find_map(|f| f.written);
                    match node.value() {
                        Node::Text(text) => self.fragment_text(&text.text, parent),
                        Node::Element(el) => {
                            let name = el.name();
                            let frame = match decide(name, parent) {
                                Decision::Skip => {
                                    skip = Some(node.id());
                                    continue;
                                }
                                Decision::Unwrap => Frame {
                                    written: None,
                                    wrapper: None,
                                },
                                Decision::Write { tag, wrapper } => {
                                    if let Some(w) = wrapper {
                                        self.open(w, &[]);
                                    }
                                    self.write_element(tag, el, image_src);
                                    Frame {
                                        written: Some(tag),
                                        wrapper,
                                    }
                                }
                            };
                            stack.push(frame);
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if let Some(id) = skip {
                        if id == node.id() {
                            skip = None;
                        }
                        continue;
                    }
                    if !node.value().is_element() {
                        continue;
                    }
                    if let Some(frame) = stack.pop() {
                        if let Some(tag) = frame.written.filter(|t| !is_void(t)) {
                            self.close(tag);
                        }
                        if let Some(w) = frame.wrapper {
                            self.close(w);
                        }
                    }
                }
            }
        }
    }

    fn fragment_text(&mut self, text: &str, parent: Option<&'static str>) {
        match parent {
            // Text may not sit directly in these; whitespace between items is dropped, words are
            // kept in an item of their own.
            Some("ul" | "ol") | Some("dl") | Some("table" | "thead" | "tbody" | "tfoot" | "tr") => {
                if text.trim().is_empty() {
                    return;
                }
                let item = match parent {
                    Some("dl") => "dd",
                    Some("ul" | "ol") => "li",
                    _ => return, // table text is foster-parented by the HTML parser already
                };
                self.open(item, &[]);
                self.text(text);
                self.close(item);
            }
            _ => self.text(text),
        }
    }

    fn write_element(
        &mut self,
        tag: &'static str,
        el: &scraper::node::Element,
        image_src: &dyn Fn(&str) -> Vec<String>,
    ) {
        if tag == "img" {
            let paths = el.attr("src").map(image_src).unwrap_or_default();
            let alt = el.attr("alt").unwrap_or("");
            for src in &paths {
                let mut attrs = vec![("src", src.as_str()), ("alt", alt)];
                if let Some(title) = el.attr("title") {
                    attrs.push(("title", title));
                }
                if paths.len() > 1 {
                    attrs.push(("class", "slice"));
                }
                self.void("img", &attrs);
            }
            return;
        }
        let attrs = el.attrs().filter(|(name, _)| is_allowed_attr(tag, name));
        self.start_tag(tag, attrs);
        self.out.push_str(if is_void(tag) { "/>" } else { ">" });
    }
}

struct Frame {
    /// The tag written for this element, or `None` when only its children are written.
    written: Option<&'static str>,
    /// An element opened around this one to make it valid (`<li>` around a stray list child).
    wrapper: Option<&'static str>,
}

enum Decision {
    /// Leave out the element and everything in it.
    Skip,
    /// Leave out the element but write its children.
    Unwrap,
    Write {
        tag: &'static str,
        wrapper: Option<&'static str>,
    },
}

/// Decides how an element is written inside `parent` (the nearest written element).
fn decide(name: &str, parent: Option<&'static str>) -> Decision {
    let Some(tag) = known_tag(name) else {
        return Decision::Unwrap;
    };
    let in_list = matches!(parent, Some("ul" | "ol"));
    let phrasing_parent = parent.is_some_and(is_phrasing_only);
    if in_list {
        return match tag {
            "li" => Decision::Write { tag, wrapper: None },
            "br" | "hr" => Decision::Skip,
            _ => Decision::Write {
                tag,
                wrapper: Some("li"),
            },
        };
    }
    if parent == Some("dl") && !matches!(tag, "dt" | "dd" | "div") {
        return if tag == "br" {
            Decision::Skip
        } else {
            Decision::Write {
                tag,
                wrapper: Some("dd"),
            }
        };
    }
    if phrasing_parent {
        if tag == "hr" {
            return Decision::Skip;
        }
        if !is_phrasing(tag) || (tag == "a" && parent == Some("a")) {
            return Decision::Unwrap;
        }
    }
    match tag {
        "li" => Decision::Write {
            tag: "div",
            wrapper: None,
        },
        "dt" | "dd" if parent != Some("dl") => Decision::Write {
            tag: "div",
            wrapper: None,
        },
        "tr" | "td" | "th" | "thead" | "tbody" | "tfoot" | "caption" | "col" | "colgroup"
            if !parent.is_some_and(is_table_part) =>
        {
            Decision::Unwrap
        }
        _ => Decision::Write { tag, wrapper: None },
    }
}

/// Elements the serializer writes (the sanitizer allows no others); `None` for anything else.
fn known_tag(name: &str) -> Option<&'static str> {
    BLOCK
        .iter()
        .chain(PHRASING)
        .chain(TABLE_PARTS)
        .find(|t| **t == name)
        .copied()
}

const BLOCK: &[&str] = &[
    "div",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "table",
    "section",
];
const PHRASING: &[&str] = &[
    "a", "abbr", "b", "br", "cite", "code", "del", "dfn", "em", "i", "img", "ins", "kbd", "mark",
    "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "sup", "u", "var",
    "wbr",
];
const TABLE_PARTS: &[&str] = &[
    "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th",
];

fn is_phrasing(tag: &str) -> bool {
    PHRASING.contains(&tag)
}

fn is_table_part(tag: &str) -> bool {
    tag == "table" || TABLE_PARTS.contains(&tag)
}

/// Elements whose content model is phrasing content only.
fn is_phrasing_only(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "pre" | "dt"
    ) || is_phrasing(tag)
}

fn is_void(tag: &str) -> bool {
    matches!(tag, "br" | "hr" | "img" | "wbr" | "col")
}

fn is_allowed_attr(tag: &str, attr: &str) -> bool {
    matches!(
        (tag, attr),
        ("a", "href" | "title")
            | ("abbr" | "dfn", "title")
            | ("ol", "start" | "reversed")
            | ("td" | "th", "colspan" | "rowspan")
    )
}

/// Escapes `text` for XML into `out`, dropping characters XML forbids. Attribute values also
/// escape `"`; `>` is escaped everywhere so `]]>` can never appear.
pub fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            // A newline in an attribute would be normalized to a space by XML parsers anyway.
            '\n' | '\r' | '\t' if attribute => out.push(' '),
            '\r' => {}
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// `text` escaped for XML, as a new string.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, true);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serialize(html: &str) -> String {
        let mut w = Writer::new();
        w.fragment(html, &|src| vec![format!("img/{src}")]);
        w.finish()
    }

    /// Parses `fragment` as XML inside a wrapper and panics with the text if it is not well-formed.
    fn assert_well_formed(fragment: &str) {
        let doc = format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{fragment}</div>");
        if let Err(e) = roxmltree::Document::parse(&doc) {
            panic!("not well-formed XML ({e}): {fragment}");
        }
    }

    #[test]
    fn void_elements_are_closed_and_entities_are_xml() {
        let out = serialize("<p>a<br>b&nbsp;c &amp; &lt;d&gt;</p><hr><img src=\"x.png\">");
        assert_eq!(
            out,
            "<p>a<br/>b\u{a0}c &amp; &lt;d&gt;</p><hr/><img src=\"img/x.png\" alt=\"\"/>"
        );
        assert_well_formed(&out);
    }

    #[test]
    fn br_directly_inside_a_list_is_dropped() {
        let out = serialize("<ul><li>a</li><br><li>b</li><br></ul>");
        assert_eq!(out, "<ul><li>a</li><li>b</li></ul>");
    }

    #[test]
    fn stray_list_content_is_wrapped_in_an_item() {
        let out = serialize("<ol><p>para</p>text<li>b</li></ol>");
        assert_eq!(out, "<ol><li><p>para</p></li><li>text</li><li>b</li></ol>");
    }

    #[test]
    fn blocks_inside_phrasing_are_unwrapped_keeping_text() {
        let out = serialize("<span><div>x</div><ul><li>y</li></ul></span>");
        assert_eq!(out, "<span>xy</span>");
        assert_well_formed(&out);
    }

    #[test]
    fn list_item_outside_a_list_becomes_a_div() {
        assert_eq!(serialize("<li>x</li>"), "<div>x</div>");
    }

    #[test]
    fn unknown_elements_are_unwrapped() {
        assert_eq!(serialize("<p>uuid:<uuid>abc</uuid></p>"), "<p>uuid:abc</p>");
    }

    #[test]
    fn attribute_values_are_escaped() {
        let out =
            serialize("<a href=\"https://x.org/?a=1&amp;b=&quot;2&quot;\" title=\"<t>\">l</a>");
        assert_eq!(
            out,
            "<a href=\"https://x.org/?a=1&amp;b=&quot;2&quot;\" title=\"&lt;t&gt;\">l</a>"
        );
        assert_well_formed(&out);
    }

    #[test]
    fn forbidden_characters_from_character_references_are_dropped() {
        let out = serialize("<p>a&#8;b&#x1;c</p>");
        assert_eq!(out, "<p>abc</p>");
    }

    #[test]
    fn images_without_a_mapped_source_are_left_out() {
        let mut w = Writer::new();
        w.fragment("<p>a<img src=\"x\">b<img></p>", &|_| Vec::new());
        assert_eq!(w.finish(), "<p>ab</p>");
    }

    #[test]
    fn an_image_with_several_paths_becomes_consecutive_slices_with_the_alt() {
        let mut w = Writer::new();
        w.fragment("<p><img src=\"x\" alt=\"图\"></p>", &|_| {
            vec!["a.png".to_owned(), "b.png".to_owned()]
        });
        let out = w.finish();
        assert_eq!(
            out,
            "<p><img src=\"a.png\" alt=\"图\" class=\"slice\"/><img src=\"b.png\" alt=\"图\" \
             class=\"slice\"/></p>"
        );
        assert_well_formed(&out);
    }

    #[test]
    fn thousands_of_nested_elements_do_not_overflow_the_stack() {
        let html = format!("{}deep{}", "<div>".repeat(5_000), "</div>".repeat(5_000));
        let out = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || serialize(&html))
            .unwrap()
            .join()
            .unwrap();
        assert!(out.contains("deep"));
        assert_well_formed(&out);
    }

    #[test]
    fn text_with_breaks_escapes_each_line() {
        let mut w = Writer::new();
        w.text_with_breaks("a < b\nc & d");
        assert_eq!(w.finish(), "a &lt; b<br/>c &amp; d");
    }
}
