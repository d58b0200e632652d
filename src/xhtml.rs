//! The only place that writes markup: a small XHTML writer, for the documents `render` and
//! `package` make and for the clean article trees `sanitize` makes.
//!
//! What it writes is well-formed by construction: void elements closed, only the five XML
//! entities, attribute values quoted and escaped, no character XML forbids.

use crate::elements;
use crate::model::{Image, Node};
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

    /// Writes a clean article tree (see `sanitize`). Each image is written as the file(s) the
    /// book stores it in, seen from the chapter through `prefix` (`../`): one `<img>` per file,
    /// each with the original `alt` (several for a tall image cut into slices, marked with class
    /// `slice`); an image stored nowhere is left out.
    pub fn nodes(&mut self, nodes: &[Node], prefix: &str) {
        self.walk(nodes, |w, image| w.image(image, prefix));
    }

    /// Writes a clean article tree but for its images, and returns each image with the place
    /// in the output where `written` will write it.
    pub fn nodes_but_images(&mut self, nodes: &[Node]) -> Vec<(usize, Image)> {
        let mut images = Vec::new();
        self.walk(nodes, |w, image| images.push((w.out.len(), image.clone())));
        images
    }

    /// Where the next markup goes: the byte offset of a slot (see `filled`).
    pub fn offset(&self) -> usize {
        self.out.len()
    }

    /// Writes `markup` written ahead with its slots filled: at each slot's byte offset, `write`
    /// writes what goes there.
    pub fn filled<T>(
        &mut self,
        markup: &str,
        slots: &[(usize, T)],
        mut write: impl FnMut(&mut Self, &T),
    ) {
        let mut done = 0;
        for (at, slot) in slots {
            self.out.push_str(&markup[done..*at]);
            write(self, slot);
            done = *at;
        }
        self.out.push_str(&markup[done..]);
    }

    /// Writes `nodes`, each image as `image` says. The tree is walked without recursion.
    fn walk(&mut self, nodes: &[Node], mut image: impl FnMut(&mut Self, &Image)) {
        let mut open: Vec<(std::slice::Iter<'_, Node>, Option<&'static str>)> =
            vec![(nodes.iter(), None)];
        while let Some((children, _)) = open.last_mut() {
            match children.next() {
                None => {
                    if let Some((_, Some(tag))) = open.pop() {
                        self.close(tag);
                    }
                }
                Some(Node::Text(text)) => self.text(text),
                Some(Node::Image(img)) => image(self, img),
                Some(Node::Element(el)) => {
                    let attrs = el.attributes.iter().map(|(n, v)| (*n, v.as_str()));
                    self.start_tag(el.tag, attrs);
                    if elements::get(el.tag).is_some_and(elements::Element::is_void) {
                        self.out.push_str("/>");
                    } else {
                        self.out.push('>');
                        open.push((el.children.iter(), Some(el.tag)));
                    }
                }
            }
        }
    }

    /// Writes an article's image, one `<img>` for each file stored (the slices of a tall one).
    pub fn image(&mut self, image: &Image, prefix: &str) {
        let files = &image.image.stored;
        for file in files {
            let src = format!("{prefix}{file}");
            let mut attrs = vec![("src", src.as_str()), ("alt", image.alt.as_str())];
            if let Some(title) = &image.title {
                attrs.push(("title", title));
            }
            if files.len() > 1 {
                attrs.push(("class", "slice"));
            }
            self.void("img", &attrs);
        }
    }
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
    use crate::model::{Element, ImageRef};

    fn element(tag: &'static str, children: Vec<Node>) -> Node {
        Node::Element(Element {
            tag,
            attributes: Vec::new(),
            children,
        })
    }

    fn image(stored: &[&str]) -> Node {
        Node::Image(Box::new(Image {
            image: ImageRef {
                src: "https://x/1.png".into(),
                stored: stored.iter().map(|s| s.to_string()).collect(),
            },
            alt: "图 \"一\"".into(),
            title: None,
        }))
    }

    fn write(nodes: &[Node]) -> String {
        let mut w = Writer::new();
        w.nodes(nodes, "../");
        w.finish()
    }

    #[test]
    fn void_elements_are_closed_and_text_and_attributes_escaped() {
        let link = Node::Element(Element {
            tag: "a",
            attributes: vec![("href", "https://x.org/?a=1&b=\"2\"".into())],
            children: vec![Node::Text("<t> & \u{8}".into())],
        });
        let out = write(&[
            element("p", vec![link, element("br", vec![])]),
            element("hr", vec![]),
        ]);
        assert_eq!(
            out,
            "<p><a href=\"https://x.org/?a=1&amp;b=&quot;2&quot;\">&lt;t&gt; &amp; </a><br/></p><hr/>"
        );
    }

    #[test]
    fn an_image_is_written_once_per_stored_file_and_left_out_when_stored_nowhere() {
        assert_eq!(
            write(&[image(&["images/a.png"])]),
            "<img src=\"../images/a.png\" alt=\"图 &quot;一&quot;\"/>"
        );
        assert_eq!(
            write(&[image(&["a.png", "b.png"])]),
            "<img src=\"../a.png\" alt=\"图 &quot;一&quot;\" class=\"slice\"/><img \
             src=\"../b.png\" alt=\"图 &quot;一&quot;\" class=\"slice\"/>"
        );
        assert_eq!(write(&[image(&[])]), "");
    }

    #[test]
    fn deep_trees_are_written_without_recursion() {
        let mut node = Node::Text("deep".into());
        for _ in 0..5_000 {
            node = element("div", vec![node]);
        }
        let tree = vec![node];
        let out = std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn_scoped(s, || write(&tree))
                .unwrap()
                .join()
                .unwrap()
        });
        assert!(out.contains("deep"));
        assert_eq!(out.matches("<div>").count(), 5_000);
        // Dropping a tree this deep recurses; it is dropped here, on a full-size stack.
    }

    #[test]
    fn text_with_breaks_escapes_each_line() {
        let mut w = Writer::new();
        w.text_with_breaks("a < b\nc & d");
        assert_eq!(w.finish(), "a &lt; b<br/>c &amp; d");
    }
}
