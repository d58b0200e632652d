//! What every fuzz target asserts, shared with the test suite (`tests/testsuite/common/mod.rs`
//! includes this file): the regression test replays old crashes through it, and the property
//! tests use its renderers.

use lessonpub::discover::LessonFile;
use lessonpub::parse::{self, Format};
use lessonpub::xhtml::Writer;

/// Bytes -> decode -> parse as `format` -> sanitize -> render a chapter, which must be safe XML.
pub fn lesson(data: &[u8], format: Format) {
    if let Ok(decoded) = lessonpub::text::decode(data) {
        assert_safe_xml(&chapter_xhtml(&decoded.text, format));
    }
}

/// Any string -> sanitize -> serialize as XHTML, which must be safe XML.
pub fn fragment(data: &[u8]) {
    assert_safe_xml(&fragment_xhtml(&String::from_utf8_lossy(data)));
}

/// A whole chapter from lesson text, through the real parser, sanitizer and renderer, with every
/// image stored as `images::embed` would store it.
pub fn chapter_xhtml(text: &str, format: Format) -> String {
    let file = LessonFile {
        path: "01 | fuzz.md".into(),
        title: "01 | fuzz".into(),
    };
    let (parsed, _warnings) = parse::from_text(text, format, &file);
    let mut lesson = lessonpub::sanitize::lesson(parsed);
    // In the order a build takes: written out ahead (to a temporary file, as a build does when
    // it can make one), then the images embedded.
    let spool = lessonpub::spool::Spool::new().ok();
    lessonpub::render::write_ahead(&mut lesson, spool.as_ref());
    for image in lesson.article.images_mut() {
        image.image.stored = vec!["images/x.png".to_owned()];
    }
    for avatar in lesson.comments.avatars_mut() {
        avatar.stored = vec!["images/a.png".to_owned()];
    }
    lessonpub::render::chapter(&lesson, "zh-CN").expect("the lesson is read back")
}

/// An HTML fragment, sanitized and written as XHTML inside a `<div>`, images under `img/`.
pub fn fragment_xhtml(html: &str) -> String {
    let mut article = lessonpub::sanitize::article(html);
    for image in lessonpub::model::images_mut(&mut article) {
        image.image.stored = vec!["img/x.png".to_owned()];
    }
    let mut w = Writer::new();
    w.raw("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
    w.nodes(&article, "");
    w.raw("</div>");
    w.finish()
}

fn assert_safe_xml(xhtml: &str) {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = match roxmltree::Document::parse_with_options(xhtml, options) {
        Ok(doc) => doc,
        Err(e) => panic!("not well-formed XML ({e}):\n{xhtml}"),
    };
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !matches!(
                name,
                "script" | "style" | "iframe" | "object" | "embed" | "form" | "base" | "meta"
            ),
            "<{name}>"
        );
        for attr in node.attributes() {
            assert!(
                !attr.name().starts_with("on"),
                "event handler {}",
                attr.name()
            );
            if attr.name() == "src" {
                let v = attr.value();
                assert!(
                    v.starts_with("img/") || v.starts_with("../images/"),
                    "src={v}"
                );
            }
        }
    }
}
