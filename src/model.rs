//! The book as plain data: what each stage hands the next.
//!
//! Nothing here knows about EPUB or the network. A parser makes a `ParsedLesson`, whose article
//! is untrusted HTML; `sanitize` turns it into a `Lesson`, whose article is a clean tree (`Node`)
//! that only holds what the book may show; once the lesson is read, `render` writes its article
//! and comments out ahead but for their images (`Article::Written`, `Comments::Written`, markup
//! it treats as opaque); `images::embed` writes into every `ImageRef` where the book stores
//! that image; `render` writes each lesson as XHTML. Text fields hold plain text (already decoded from entities).

use std::path::PathBuf;

use crate::spool::{Spool, Stretch};

/// One column, ready to be rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    pub title: String,
    pub author: Option<String>,
    /// BCP 47 tag written to `dc:language` and every `xml:lang`.
    pub language: String,
    /// The column's own introduction page (MkDocs columns), shown before the lessons.
    pub front: Option<Lesson>,
    pub lessons: Vec<Lesson>,
    /// The column's parts, in order, for the contents' second level; empty when it has none.
    pub parts: Vec<Part>,
    /// The image files the chapters refer to (set by `images::embed`).
    pub images: Vec<Asset>,
}

/// A part of a column (基础篇, a section of MkDocs `nav:`): its name and the lessons in it, as
/// indices into `Book::lessons`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub lessons: std::ops::Range<usize>,
}

impl Book {
    /// Every chapter in reading order: the introduction page, then the lessons.
    pub fn chapters(&self) -> impl Iterator<Item = &Lesson> {
        self.front.iter().chain(&self.lessons)
    }

    pub fn chapters_mut(&mut self) -> impl Iterator<Item = &mut Lesson> {
        self.front.iter_mut().chain(&mut self.lessons)
    }
}

/// One lesson file as a parser read it: the article still untrusted HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedLesson {
    pub source: PathBuf,
    pub title: String,
    /// Untrusted HTML, as the lesson file holds it.
    pub article_html: String,
    pub comments: Vec<Comment>,
    /// How many comments the source holds, before selection.
    pub comments_in_source: usize,
    /// Whether the comments in the source record their likes (the md-comments format does),
    /// whichever are chosen.
    pub likes_recorded: bool,
}

/// One lesson, clean: the article followed by the chosen comments.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub source: PathBuf,
    pub title: String,
    pub article: Article,
    pub comments: Comments,
    pub comments_in_source: usize,
    pub likes_recorded: bool,
}

/// A lesson's article, which holds only what the book may show, in a shape XHTML allows.
#[derive(Debug, Clone, PartialEq)]
pub enum Article {
    /// As a tree, from sanitizing until its lesson is read.
    Tree(Vec<Node>),
    /// Written out (`render::write_ahead`) once its lesson is read, while the other lessons
    /// are read, the pictures converted and the book packaged: a column's lessons are all held
    /// until the book is packaged, and written out they wait on disk (a tree takes two to three
    /// times the memory of its markup).
    Written(Written),
}

/// Markup written out ahead but for some pieces (images, avatars), which are written into
/// their slots once `images::embed` has said where the book stores them.
#[derive(Debug, Clone, PartialEq)]
pub struct Slotted<T> {
    /// The markup without those pieces.
    pub markup: Bytes,
    /// Each piece and the byte offset in `markup` where it goes, in document order.
    pub slots: Vec<(usize, T)>,
}

/// An article written out ahead, images in slots.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub body: Slotted<Image>,
    /// Whether it holds a formula (MathML).
    pub math: bool,
}

impl Article {
    /// Every image of the article, in document order.
    pub fn images(&self) -> Vec<&Image> {
        match self {
            Article::Tree(nodes) => images(nodes),
            Article::Written(written) => written.body.slots.iter().map(|(_, i)| i).collect(),
        }
    }

    pub fn images_mut(&mut self) -> Vec<&mut Image> {
        match self {
            Article::Tree(nodes) => images_mut(nodes),
            Article::Written(written) => (written.body.slots.iter_mut()).map(|(_, i)| i).collect(),
        }
    }

    /// Whether the article holds a formula (MathML).
    pub fn has_math(&self) -> bool {
        match self {
            Article::Tree(nodes) => contains_element(nodes, "math"),
            Article::Written(written) => written.math,
        }
    }
}

/// A lesson's chosen comments.
#[derive(Debug, Clone, PartialEq)]
pub enum Comments {
    /// As chosen, until their lesson is read.
    Chosen(Vec<Comment>),
    /// Written out with the article (`render::write_ahead`), for the same reason.
    Written(WrittenComments),
}

/// Comments written out ahead: the comments section (heading and comments; empty without
/// comments), avatars in slots.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenComments {
    pub section: Slotted<ImageRef>,
    /// How many comments it holds.
    pub count: usize,
}

impl Comments {
    pub fn len(&self) -> usize {
        match self {
            Comments::Chosen(comments) => comments.len(),
            Comments::Written(written) => written.count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The avatar of every comment that has one, in order.
    pub fn avatars(&self) -> Vec<&ImageRef> {
        match self {
            Comments::Chosen(comments) => {
                comments.iter().filter_map(|c| c.avatar.as_ref()).collect()
            }
            Comments::Written(written) => written.section.slots.iter().map(|(_, a)| a).collect(),
        }
    }

    pub fn avatars_mut(&mut self) -> Vec<&mut ImageRef> {
        match self {
            Comments::Chosen(comments) => comments
                .iter_mut()
                .filter_map(|c| c.avatar.as_mut())
                .collect(),
            Comments::Written(written) => {
                (written.section.slots.iter_mut()).map(|(_, a)| a).collect()
            }
        }
    }
}

/// A piece of a clean article.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
    /// Boxed: images are few, and every node is as large as the largest kind.
    Image(Box<Image>),
}

/// Every image of an article tree, in document order. The tree is walked without recursion.
pub fn images_mut(article: &mut [Node]) -> Vec<&mut Image> {
    let mut images = Vec::new();
    let mut open = vec![article.iter_mut()];
    while let Some(nodes) = open.last_mut() {
        match nodes.next() {
            None => {
                open.pop();
            }
            Some(Node::Image(image)) => images.push(&mut **image),
            Some(Node::Element(element)) => open.push(element.children.iter_mut()),
            Some(Node::Text(_)) => {}
        }
    }
    images
}

/// Every image of an article tree, in document order, to read. The tree is walked without
/// recursion.
pub fn images(article: &[Node]) -> Vec<&Image> {
    let mut images = Vec::new();
    let mut open = vec![article.iter()];
    while let Some(nodes) = open.last_mut() {
        match nodes.next() {
            None => {
                open.pop();
            }
            Some(Node::Image(image)) => images.push(&**image),
            Some(Node::Element(element)) => open.push(element.children.iter()),
            Some(Node::Text(_)) => {}
        }
    }
    images
}

/// Whether an article tree holds an element written as `tag`. The tree is walked without
/// recursion.
pub fn contains_element(article: &[Node], tag: &str) -> bool {
    let mut open = vec![article.iter()];
    while let Some(nodes) = open.last_mut() {
        match nodes.next() {
            None => {
                open.pop();
            }
            Some(Node::Element(element)) if element.tag == tag => return true,
            Some(Node::Element(element)) => open.push(element.children.iter()),
            Some(Node::Text(_) | Node::Image(_)) => {}
        }
    }
    false
}

/// An element the book may hold, with its allowed attributes and their cleaned values.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub tag: &'static str,
    pub attributes: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
}

/// An `<img>` of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub image: ImageRef,
    pub alt: String,
    pub title: Option<String>,
}

/// A picture the book shows: where the lesson takes it from, and where the book stores it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageRef {
    /// As written in the lesson (trimmed): a URL, a `data:` URL or a path relative to the lesson.
    pub src: String,
    /// The files inside the book (relative to its content folder), top to bottom: one, or
    /// several for a tall image cut into slices; a placeholder's when the image could not be
    /// had. Empty until `images::embed` has run.
    pub stored: Vec<String>,
}

impl ImageRef {
    pub fn new(src: impl Into<String>) -> ImageRef {
        ImageRef {
            src: src.into(),
            stored: Vec::new(),
        }
    }
}

/// One reader's comment. Formats differ in what they record, hence the options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comment {
    pub author: String,
    /// `None` where the format has no avatars; an empty `src` where it has one with an empty
    /// `src` (shown as the placeholder, so names line up).
    pub avatar: Option<ImageRef>,
    /// `None` in formats that do not record likes.
    pub likes: Option<u32>,
    /// When the comment was written, as the source shows it (`2019-01-02` or `2019-01-02 14:46:22`).
    pub date: String,
    /// Plain text; `\n` separates lines.
    pub text: String,
    pub reply: Option<Reply>,
    /// Whether someone answered, when the format records only that (md-comments keeps a count).
    pub reply_count: Option<i32>,
}

/// The author's (or editor's) answer to a comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub by: ReplyBy,
    /// Plain text; `\n` separates lines.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyBy {
    Author,
    Editor,
}

impl ReplyBy {
    /// The label GeekTime shows before the reply.
    pub fn label(self) -> &'static str {
        match self {
            ReplyBy::Author => "作者回复",
            ReplyBy::Editor => "编辑回复",
        }
    }
}

impl Comment {
    /// Whether the author or editor answered this comment, by whatever the format records.
    pub fn has_reply(&self) -> bool {
        self.reply.is_some() || self.reply_count.is_some_and(|n| n > 0)
    }
}

/// A file stored inside the EPUB besides the chapters (images, the cover).
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    /// Path inside the EPUB's content folder, e.g. `images/3f2a….jpg`.
    pub book_path: String,
    pub media_type: &'static str,
    pub bytes: Bytes,
}

/// What a stored file or a written-out lesson holds: a few bytes made at hand (the cover,
/// placeholders), or bytes waiting on disk (a converted picture, a lesson's markup).
#[derive(Debug, Clone, PartialEq)]
pub enum Bytes {
    Memory(Vec<u8>),
    Spooled(Stretch),
}

impl Bytes {
    /// `bytes` kept in `spool`, or in memory without one or when writing to it fails (a full
    /// disk costs memory, not the build).
    pub fn kept(bytes: Vec<u8>, spool: Option<&Spool>) -> Bytes {
        match spool.and_then(|s| s.append(&bytes).ok()) {
            Some(stretch) => Bytes::Spooled(stretch),
            None => Bytes::Memory(bytes),
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Bytes::Memory(bytes) => bytes.len() as u64,
            Bytes::Spooled(stretch) => stretch.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn copy_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self {
            Bytes::Memory(bytes) => out.write_all(bytes),
            Bytes::Spooled(stretch) => stretch.copy_to(out),
        }
    }

    /// All of the bytes, in memory.
    pub fn to_vec(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(usize::try_from(self.len()).unwrap_or(0));
        self.copy_to(&mut out)?;
        Ok(out)
    }

    /// All of the bytes, in memory, as the text they were made from.
    pub fn to_text(&self) -> std::io::Result<String> {
        String::from_utf8(self.to_vec()?)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::Memory(bytes)
    }
}
