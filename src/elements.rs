//! The one table of HTML elements: what each is, and what lessonpub does with it.
//!
//! Every module that needs a fact about an element reads it here: the parsers (which names are
//! elements at all, so a placeholder such as `<commit id="">` can be told from a tag), the nesting
//! limit (which elements cannot nest), the sanitizer (which elements an article keeps, which go
//! with their content, which attributes stay) and the XHTML writer (which elements are void,
//! which hold only phrasing content).
//!
//! HTML elements and MathML elements have a table each: a name means different things in the two
//! (HTML's parser puts an element in the MathML namespace only inside `<math>`). SVG is never
//! kept; only its element names are listed, so its children are not taken for placeholders.

use std::collections::HashMap;
use std::sync::LazyLock;

/// What an article does with an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Kept, with the attributes the table lists.
    Keep,
    /// Left out, its content kept.
    Unwrap,
    /// Left out together with its content. Besides scripts and styles these are fallbacks, form
    /// controls and drawings, whose text means nothing without them, and the elements whose
    /// content HTML reads as raw text (`xmp`, `plaintext`, `textarea`, `title`, `noembed`, …):
    /// kept, their content would show the markup inside them, attack strings included, as
    /// visible text. DOMPurify's `FORBID_CONTENTS` makes the same choice.
    Drop,
    /// Left out together with its content, and a visible note put in its place: media (`audio`,
    /// `video`) that a book cannot play, so the reader learns that it was there and where it is.
    Note,
}

/// How an element ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Never has content (`<br>`): written `<br/>`, and never nests.
    Void,
    /// HTML implies its end tag when a sibling starts (`<p>`, `<li>`, `<td>`), so repeating it
    /// does not nest.
    Implied,
    Explicit,
}

/// Where an element may stand, as the XHTML writer needs to know it (kept elements only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Flow content that may hold blocks (`div`, `blockquote`, `li`).
    Block,
    /// A block that holds only phrasing content (`p`, `h1`, `pre`, `dt`).
    PhrasingBlock,
    /// Phrasing (inline) content.
    Phrasing,
    /// `table` itself.
    Table,
    /// The parts of a table (`tr`, `td`, `caption`, …), valid only inside one.
    TablePart,
    /// A MathML element that holds other MathML elements only (`mrow`, `mfrac`, `mtable`).
    Math,
    /// A MathML token element, which holds text (`mi`, `mo`, `mtext`).
    MathToken,
    /// Not written by lessonpub.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    pub name: &'static str,
    pub policy: Policy,
    pub end: End,
    pub flow: Flow,
    /// The attributes an article keeps (for `Keep` elements).
    pub attributes: &'static [&'static str],
}

impl Element {
    pub fn is_void(&self) -> bool {
        self.end == End::Void
    }

    /// Whether the element holds phrasing content only, so a block inside it must be unwrapped.
    pub fn phrasing_only(&self) -> bool {
        matches!(self.flow, Flow::Phrasing | Flow::PhrasingBlock)
    }

    pub fn keeps_attribute(&self, name: &str) -> bool {
        self.attributes.contains(&name)
    }
}

/// The element named `name` (lowercase), when it is one of HTML's, current or obsolete.
pub fn get(name: &str) -> Option<&'static Element> {
    static BY_NAME: LazyLock<HashMap<&'static str, &'static Element>> =
        LazyLock::new(|| ELEMENTS.iter().map(|e| (e.name, e)).collect());
    BY_NAME.get(name).copied()
}

/// The MathML element named `name` (as HTML's parser spells it: lowercase), when lessonpub knows
/// it.
pub fn mathml(name: &str) -> Option<&'static Element> {
    MATHML.iter().find(|e| e.name == name)
}

/// The namespace of every MathML element, declared on each `<math>` a book holds.
pub const MATHML_NAMESPACE: &str = "http://www.w3.org/1998/Math/MathML";

/// The element a clean tree writes as `tag`: HTML's or MathML's (no name is both).
pub fn kept(tag: &str) -> Option<&'static Element> {
    get(tag).or_else(|| mathml(tag))
}

/// Whether `name` (lowercase) names an SVG element.
pub fn is_svg(name: &str) -> bool {
    SVG.contains(&name)
}

/// Whether the content of `name` is left out wherever lessonpub reads text (articles and
/// comments alike).
pub fn drops_content(name: &str) -> bool {
    get(name).is_some_and(|e| matches!(e.policy, Policy::Drop | Policy::Note))
}

use End::{Explicit, Implied, Void};
use Flow::{Block, Math, MathToken, Other, Phrasing, PhrasingBlock, Table, TablePart};
use Policy::{Drop, Keep, Note, Unwrap};

const fn e(name: &'static str, policy: Policy, end: End, flow: Flow) -> Element {
    Element {
        name,
        policy,
        end,
        flow,
        attributes: &[],
    }
}

const fn with(
    name: &'static str,
    policy: Policy,
    end: End,
    flow: Flow,
    attributes: &'static [&'static str],
) -> Element {
    Element {
        name,
        policy,
        end,
        flow,
        attributes,
    }
}

const CELL: &[&str] = &["colspan", "rowspan"];

/// Every element of the HTML standard, the obsolete ones still met in saved pages, and the SVG
/// root. (`math` is MathML's.)
const ELEMENTS: &[Element] = &[
    with("a", Keep, Explicit, Phrasing, &["href", "title"]),
    with("abbr", Keep, Explicit, Phrasing, &["title"]),
    e("acronym", Unwrap, Explicit, Other),
    e("address", Unwrap, Explicit, Other),
    e("applet", Drop, Explicit, Other),
    e("area", Unwrap, Void, Other),
    e("article", Unwrap, Explicit, Other),
    e("aside", Unwrap, Explicit, Other),
    e("audio", Note, Explicit, Other),
    e("b", Keep, Explicit, Phrasing),
    e("base", Unwrap, Void, Other),
    e("basefont", Unwrap, Void, Other),
    e("bdi", Unwrap, Explicit, Other),
    e("bdo", Unwrap, Explicit, Other),
    e("bgsound", Unwrap, Void, Other),
    e("big", Unwrap, Explicit, Other),
    e("blink", Unwrap, Explicit, Other),
    e("blockquote", Keep, Explicit, Block),
    e("body", Unwrap, Explicit, Other),
    e("br", Keep, Void, Phrasing),
    e("button", Drop, Explicit, Other),
    e("canvas", Drop, Explicit, Other),
    e("caption", Keep, Implied, TablePart),
    e("center", Unwrap, Explicit, Other),
    e("cite", Keep, Explicit, Phrasing),
    // `class` only as the language of a code block (`language-go`), which `highlight` reads.
    with("code", Keep, Explicit, Phrasing, &["class"]),
    e("col", Keep, Void, TablePart),
    e("colgroup", Keep, Implied, TablePart),
    e("data", Unwrap, Explicit, Other),
    e("datalist", Unwrap, Explicit, Other),
    e("dd", Keep, Implied, Block),
    e("del", Keep, Explicit, Phrasing),
    e("details", Unwrap, Explicit, Other),
    with("dfn", Keep, Explicit, Phrasing, &["title"]),
    e("dialog", Unwrap, Explicit, Other),
    e("dir", Unwrap, Explicit, Other),
    e("div", Keep, Explicit, Block),
    e("dl", Keep, Explicit, Block),
    e("dt", Keep, Implied, PhrasingBlock),
    e("em", Keep, Explicit, Phrasing),
    e("embed", Drop, Void, Other),
    e("fieldset", Unwrap, Explicit, Other),
    e("figcaption", Keep, Explicit, Block),
    e("figure", Keep, Explicit, Block),
    e("font", Unwrap, Explicit, Other),
    e("footer", Unwrap, Explicit, Other),
    e("form", Unwrap, Explicit, Other),
    e("frame", Unwrap, Void, Other),
    e("frameset", Drop, Explicit, Other),
    e("h1", Keep, Explicit, PhrasingBlock),
    e("h2", Keep, Explicit, PhrasingBlock),
    e("h3", Keep, Explicit, PhrasingBlock),
    e("h4", Keep, Explicit, PhrasingBlock),
    e("h5", Keep, Explicit, PhrasingBlock),
    e("h6", Keep, Explicit, PhrasingBlock),
    e("head", Drop, Explicit, Other),
    e("header", Unwrap, Explicit, Other),
    e("hgroup", Unwrap, Explicit, Other),
    e("hr", Keep, Void, Block),
    e("html", Unwrap, Explicit, Other),
    e("i", Keep, Explicit, Phrasing),
    e("iframe", Drop, Explicit, Other),
    e("image", Unwrap, Void, Other),
    with("img", Keep, Void, Phrasing, &["src", "alt", "title"]),
    e("input", Unwrap, Void, Other),
    e("ins", Keep, Explicit, Phrasing),
    e("isindex", Unwrap, Void, Other),
    e("kbd", Keep, Explicit, Phrasing),
    e("keygen", Unwrap, Void, Other),
    e("label", Unwrap, Explicit, Other),
    e("legend", Unwrap, Explicit, Other),
    e("li", Keep, Implied, Block),
    e("link", Unwrap, Void, Other),
    e("listing", Unwrap, Explicit, Other),
    e("main", Unwrap, Explicit, Other),
    e("map", Drop, Explicit, Other),
    e("mark", Keep, Explicit, Phrasing),
    e("marquee", Unwrap, Explicit, Other),
    e("menu", Unwrap, Explicit, Other),
    e("menuitem", Unwrap, Explicit, Other),
    e("meta", Unwrap, Void, Other),
    e("meter", Unwrap, Explicit, Other),
    e("nav", Unwrap, Explicit, Other),
    e("nobr", Unwrap, Explicit, Other),
    e("noembed", Drop, Explicit, Other),
    e("noframes", Drop, Explicit, Other),
    e("noscript", Drop, Explicit, Other),
    e("object", Drop, Explicit, Other),
    with("ol", Keep, Explicit, Block, &["start", "reversed"]),
    e("optgroup", Unwrap, Implied, Other),
    e("option", Unwrap, Implied, Other),
    e("output", Unwrap, Explicit, Other),
    e("p", Keep, Implied, PhrasingBlock),
    e("param", Unwrap, Void, Other),
    e("picture", Unwrap, Explicit, Other),
    e("plaintext", Drop, Explicit, Other),
    e("pre", Keep, Explicit, PhrasingBlock),
    e("progress", Unwrap, Explicit, Other),
    e("q", Keep, Explicit, Phrasing),
    e("rb", Unwrap, Implied, Other),
    e("rp", Keep, Implied, Phrasing),
    e("rt", Keep, Implied, Phrasing),
    e("rtc", Unwrap, Implied, Other),
    e("ruby", Keep, Explicit, Phrasing),
    e("s", Keep, Explicit, Phrasing),
    e("samp", Keep, Explicit, Phrasing),
    e("script", Drop, Explicit, Other),
    e("search", Unwrap, Explicit, Other),
    e("section", Unwrap, Explicit, Other),
    e("select", Drop, Explicit, Other),
    e("slot", Unwrap, Explicit, Other),
    e("small", Keep, Explicit, Phrasing),
    e("source", Unwrap, Void, Other),
    e("spacer", Unwrap, Explicit, Other),
    e("span", Keep, Explicit, Phrasing),
    e("strike", Unwrap, Explicit, Other),
    e("strong", Keep, Explicit, Phrasing),
    e("style", Drop, Explicit, Other),
    e("sub", Keep, Explicit, Phrasing),
    e("summary", Unwrap, Explicit, Other),
    e("sup", Keep, Explicit, Phrasing),
    e("svg", Drop, Explicit, Other),
    e("table", Keep, Explicit, Table),
    e("tbody", Keep, Implied, TablePart),
    with("td", Keep, Implied, TablePart, CELL),
    e("template", Drop, Explicit, Other),
    e("textarea", Drop, Explicit, Other),
    e("tfoot", Keep, Implied, TablePart),
    with("th", Keep, Implied, TablePart, CELL),
    e("thead", Keep, Implied, TablePart),
    e("time", Unwrap, Explicit, Other),
    e("title", Drop, Explicit, Other),
    e("tr", Keep, Implied, TablePart),
    e("track", Unwrap, Void, Other),
    e("tt", Unwrap, Explicit, Other),
    e("u", Keep, Explicit, Phrasing),
    e("ul", Keep, Explicit, Block),
    e("var", Keep, Explicit, Phrasing),
    e("video", Note, Explicit, Other),
    e("wbr", Unwrap, Void, Other),
    e("xmp", Drop, Explicit, Other),
];

/// Attributes of MathML operators (`mo`) that say how they stretch and space.
const OPERATOR: &[&str] = &[
    "mathvariant",
    "form",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "stretchy",
    "symmetric",
    "maxsize",
    "minsize",
    "largeop",
    "movablelimits",
    "accent",
];

/// Every element of presentation MathML, as MathML 3 (the version EPUB 3 validates) has it, and
/// what a formula keeps of it. Kept elements keep presentation attributes only: no links (`href`), no `style`,
/// no `class`, no actions (`maction` is unwrapped: its first child shows). Anything else in the
/// MathML namespace is unwrapped, its text kept.
const MATHML: &[Element] = &[
    with("math", Keep, Explicit, Phrasing, &["display", "alttext"]),
    e("annotation", Drop, Explicit, Other),
    e("annotation-xml", Drop, Explicit, Other),
    e("maction", Unwrap, Explicit, Other),
    with("menclose", Keep, Explicit, Math, &["notation"]),
    e("merror", Keep, Explicit, Math),
    with(
        "mfenced",
        Keep,
        Explicit,
        Math,
        &["open", "close", "separators"],
    ),
    with("mfrac", Keep, Explicit, Math, &["linethickness"]),
    e("mglyph", Drop, Void, Other),
    with("mi", Keep, Explicit, MathToken, &["mathvariant"]),
    e("mmultiscripts", Keep, Explicit, Math),
    with("mn", Keep, Explicit, MathToken, &["mathvariant"]),
    with("mo", Keep, Explicit, MathToken, OPERATOR),
    with("mover", Keep, Explicit, Math, &["accent"]),
    with(
        "mpadded",
        Keep,
        Explicit,
        Math,
        &["width", "height", "depth", "lspace", "voffset"],
    ),
    e("mphantom", Keep, Explicit, Math),
    e("mprescripts", Keep, Explicit, Math),
    e("mroot", Keep, Explicit, Math),
    e("mrow", Keep, Explicit, Math),
    with(
        "ms",
        Keep,
        Explicit,
        MathToken,
        &["mathvariant", "lquote", "rquote"],
    ),
    with(
        "mspace",
        Keep,
        Explicit,
        Math,
        &["width", "height", "depth"],
    ),
    e("msqrt", Keep, Explicit, Math),
    with(
        "mstyle",
        Keep,
        Explicit,
        Math,
        &["displaystyle", "scriptlevel", "mathvariant"],
    ),
    e("msub", Keep, Explicit, Math),
    e("msubsup", Keep, Explicit, Math),
    e("msup", Keep, Explicit, Math),
    with(
        "mtable",
        Keep,
        Explicit,
        Math,
        &[
            "columnalign",
            "rowalign",
            "columnlines",
            "rowlines",
            "frame",
            "columnspacing",
            "rowspacing",
            "displaystyle",
        ],
    ),
    with(
        "mtd",
        Keep,
        Explicit,
        Math,
        &["columnalign", "rowalign", "columnspan", "rowspan"],
    ),
    with("mtext", Keep, Explicit, MathToken, &["mathvariant"]),
    with("mtr", Keep, Explicit, Math, &["columnalign", "rowalign"]),
    with("munder", Keep, Explicit, Math, &["accentunder"]),
    with(
        "munderover",
        Keep,
        Explicit,
        Math,
        &["accent", "accentunder"],
    ),
    e("none", Keep, Explicit, Math),
    e("semantics", Unwrap, Explicit, Other),
    // Rarely written and not needed to read a formula: their children stay.
    e("maligngroup", Unwrap, Explicit, Other),
    e("malignmark", Unwrap, Explicit, Other),
    e("mlabeledtr", Unwrap, Explicit, Other),
    e("mlongdiv", Unwrap, Explicit, Other),
    e("mscarries", Unwrap, Explicit, Other),
    e("mscarry", Unwrap, Explicit, Other),
    e("msgroup", Unwrap, Explicit, Other),
    e("msline", Unwrap, Explicit, Other),
    e("msrow", Unwrap, Explicit, Other),
    e("mstack", Unwrap, Explicit, Other),
];

/// Every element name of SVG 1.1 and SVG 2, lowercase (as HTML's parser reads a tag).
const SVG: &[&str] = &[
    "a",
    "altglyph",
    "altglyphdef",
    "altglyphitem",
    "animate",
    "animatecolor",
    "animatemotion",
    "animatetransform",
    "circle",
    "clippath",
    "color-profile",
    "cursor",
    "defs",
    "desc",
    "discard",
    "ellipse",
    "feblend",
    "fecolormatrix",
    "fecomponenttransfer",
    "fecomposite",
    "feconvolvematrix",
    "fediffuselighting",
    "fedisplacementmap",
    "fedistantlight",
    "fedropshadow",
    "feflood",
    "fefunca",
    "fefuncb",
    "fefuncg",
    "fefuncr",
    "fegaussianblur",
    "feimage",
    "femerge",
    "femergenode",
    "femorphology",
    "feoffset",
    "fepointlight",
    "fespecularlighting",
    "fespotlight",
    "fetile",
    "feturbulence",
    "filter",
    "font",
    "font-face",
    "font-face-format",
    "font-face-name",
    "font-face-src",
    "font-face-uri",
    "foreignobject",
    "g",
    "glyph",
    "glyphref",
    "hatch",
    "hatchpath",
    "hkern",
    "image",
    "line",
    "lineargradient",
    "marker",
    "mask",
    "mesh",
    "meshgradient",
    "meshpatch",
    "meshrow",
    "metadata",
    "missing-glyph",
    "mpath",
    "path",
    "pattern",
    "polygon",
    "polyline",
    "radialgradient",
    "rect",
    "script",
    "set",
    "solidcolor",
    "stop",
    "style",
    "svg",
    "switch",
    "symbol",
    "text",
    "textpath",
    "title",
    "tref",
    "tspan",
    "unknown",
    "use",
    "view",
    "vkern",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut names: Vec<&str> = ELEMENTS.iter().chain(MATHML).map(|e| e.name).collect();
        assert!(names.iter().all(|n| *n == n.to_ascii_lowercase()));
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "an element is listed twice");
    }

    #[test]
    fn kept_elements_say_where_they_stand_and_others_do_not() {
        for element in ELEMENTS.iter().chain(MATHML) {
            assert_eq!(
                element.policy == Policy::Keep,
                element.flow != Flow::Other,
                "{}",
                element.name
            );
            assert!(
                element.attributes.is_empty() || element.policy == Policy::Keep,
                "{}",
                element.name
            );
        }
    }

    #[test]
    fn facts_other_modules_rely_on() {
        assert!(get("br").is_some_and(Element::is_void));
        assert!(get("param").is_some_and(Element::is_void));
        assert!(get("p").is_some_and(|p| p.end == End::Implied && p.phrasing_only()));
        assert!(drops_content("plaintext") && drops_content("script"));
        assert!(!drops_content("div") && !drops_content("commit"));
        assert_eq!(get("commit"), None);
        assert!(get("a").is_some_and(|a| a.keeps_attribute("href")));
        assert!(get("a").is_some_and(|a| !a.keeps_attribute("onclick")));
        assert!(drops_content("video") && drops_content("audio"));
    }

    #[test]
    fn mathml_is_kept_without_links_styles_or_actions() {
        assert_eq!(get("math"), None, "math is MathML's, not HTML's");
        assert!(kept("math").is_some_and(|m| m.flow == Flow::Phrasing));
        assert!(kept("mi").is_some_and(|m| m.flow == Flow::MathToken));
        assert!(kept("mfrac").is_some_and(|m| m.flow == Flow::Math));
        for element in MATHML {
            for forbidden in ["href", "style", "class", "src", "actiontype"] {
                assert!(!element.keeps_attribute(forbidden), "{}", element.name);
            }
            assert!(get(element.name).is_none(), "{} is HTML too", element.name);
        }
        assert!(mathml("maction").is_some_and(|m| m.policy == Policy::Unwrap));
        assert!(is_svg("circle") && is_svg("clippath") && !is_svg("commit"));
    }
}
