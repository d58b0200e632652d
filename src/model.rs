//! The book as plain data: what the parsers produce and every later stage reads.
//!
//! Nothing here knows about XHTML, EPUB or the network. Text fields hold plain text (already
//! decoded from entities); `article_html` holds HTML that is untrusted until `sanitize` has run.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One column, ready to be rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    pub title: String,
    pub author: Option<String>,
    /// BCP 47 tag written to `dc:language` and every `xml:lang`.
    pub language: String,
    /// The column's own introduction page (MkDocs columns), shown before the lessons.
    pub front: Option<LessonOutline>,
    pub lessons: Vec<LessonOutline>,
}

/// What the stages between parsing and rendering need of a lesson: its place, its title and
/// the images it uses. Lessons themselves (their text is most of a column's size) wait on disk
/// until their chapter is rendered, so memory does not grow with the column.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonOutline {
    pub source: PathBuf,
    pub title: String,
    /// As `Lesson::article_images`.
    pub article_images: Vec<String>,
    /// The avatar of every chosen comment that has one, each once, in page order; `""` where
    /// a comment's avatar has an empty `src`.
    pub avatars: Vec<String>,
    /// Comments chosen for the book.
    pub comments: usize,
    pub comments_in_source: usize,
    /// Whether the comments in the source record their likes (the md-comments format does),
    /// whichever were chosen.
    pub likes_recorded: bool,
}

impl LessonOutline {
    /// The outline of `lesson`, whose comments before selection did or did not record likes.
    pub fn of(lesson: &Lesson, likes_recorded: bool) -> LessonOutline {
        let mut seen = HashSet::new();
        let avatars = (lesson.comments.iter())
            .filter_map(|c| c.avatar.as_deref())
            .filter(|a| seen.insert(*a))
            .map(str::to_owned)
            .collect();
        LessonOutline {
            source: lesson.source.clone(),
            title: lesson.title.clone(),
            article_images: lesson.article_images.clone(),
            avatars,
            comments: lesson.comments.len(),
            comments_in_source: lesson.comments_in_source,
            likes_recorded,
        }
    }
}

/// One lesson file: the article followed by the readers' comments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lesson {
    #[serde(with = "os_path")]
    pub source: PathBuf,
    pub title: String,
    /// Untrusted HTML from the parser; clean HTML once `sanitize` has run.
    pub article_html: String,
    /// Every image the (sanitized) article refers to, as written in the source, in order.
    pub article_images: Vec<String>,
    pub comments: Vec<Comment>,
    /// How many comments the source holds, before selection.
    pub comments_in_source: usize,
}

/// One reader's comment. Formats differ in what they record, hence the options.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Comment {
    pub author: String,
    /// Avatar URL as found in the source: `None` where the format has no avatars, `Some("")`
    /// where it has one with an empty `src` (shown as the placeholder, so names line up).
    pub avatar: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub by: ReplyBy,
    /// Plain text; `\n` separates lines.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    pub bytes: Vec<u8>,
}

/// A path in serde's form for OS strings, so that a lesson whose file name is not UTF-8 (saved
/// on a GBK system, say) survives the spool: serde's form for `PathBuf` refuses such names.
mod os_path {
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
        path.as_os_str().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
        OsString::deserialize(deserializer).map(PathBuf::from)
    }
}
