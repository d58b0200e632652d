//! Every image a book needs (article images and comment avatars) -> files embedded in the book.
//!
//! Each distinct source is handled once, however many lessons use it, and the chapters refer to
//! the resulting in-book path. An image that cannot be had is replaced by a placeholder, embedded
//! once, so no chapter ever refers to anything remote.

mod placeholder;

use std::collections::HashMap;

use crate::model::{Asset, Book};
use crate::report::Warning;

/// What the image is for; it decides how the image is processed and which placeholder stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Article,
    Avatar,
}

#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    /// Make no network request.
    pub offline: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageStats {
    /// Distinct image sources the book refers to.
    pub sources: usize,
    /// Sources replaced by a placeholder.
    pub placeholders: usize,
}

/// The images of a book: the files to store and, for each source, where the chapters find it.
#[derive(Debug, Default)]
pub struct Embedded {
    pub assets: Vec<Asset>,
    paths: HashMap<(Kind, String), String>,
    pub stats: ImageStats,
}

const ARTICLE_PLACEHOLDER: &str = "images/placeholder.png";
const AVATAR_PLACEHOLDER: &str = "images/avatar.png";

impl Embedded {
    /// The in-book path (relative to the content folder) of the image embedded for `src`.
    pub fn path(&self, kind: Kind, src: &str) -> &str {
        self.paths
            .get(&(kind, src.to_owned()))
            .map(String::as_str)
            .unwrap_or(match kind {
                Kind::Article => ARTICLE_PLACEHOLDER,
                Kind::Avatar => AVATAR_PLACEHOLDER,
            })
    }
}

/// Embeds the images of `book`. Downloading is not part of this stage yet: every remote image
/// gets its placeholder, and the warning says so once.
pub fn embed(book: &Book, options: &ImageOptions) -> (Embedded, Vec<Warning>) {
    let sources = distinct_sources(book);
    let mut embedded = Embedded::default();
    embedded.stats.sources = sources.len();
    embedded.stats.placeholders = sources.len();
    let needs = |kind| {
        sources.iter().any(|(k, _)| *k == kind) || (kind == Kind::Avatar && has_empty_avatar(book))
    };
    if needs(Kind::Article) {
        embedded.assets.push(Asset {
            book_path: ARTICLE_PLACEHOLDER.into(),
            media_type: "image/png",
            bytes: placeholder::article_png(),
        });
    }
    if needs(Kind::Avatar) {
        embedded.assets.push(Asset {
            book_path: AVATAR_PLACEHOLDER.into(),
            media_type: "image/png",
            bytes: placeholder::avatar_png(),
        });
    }
    let mut warnings = Vec::new();
    if embedded.stats.placeholders > 0 {
        let why = if options.offline {
            "--offline makes no network request"
        } else {
            "images are not downloaded"
        };
        warnings.push(Warning::new(format!(
            "{} images shown as placeholders: {why}",
            embedded.stats.placeholders
        )));
    }
    (embedded, warnings)
}

fn has_empty_avatar(book: &Book) -> bool {
    book.lessons
        .iter()
        .chain(&book.front)
        .flat_map(|l| &l.comments)
        .any(|c| c.avatar.as_deref() == Some(""))
}

/// Every (kind, source) pair of the book, once, in reading order.
fn distinct_sources(book: &Book) -> Vec<(Kind, String)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for lesson in book.front.iter().chain(&book.lessons) {
        let article = lesson.article_images.iter().map(|s| (Kind::Article, s));
        let avatars = lesson
            .comments
            .iter()
            .filter_map(|c| c.avatar.as_ref())
            .map(|s| (Kind::Avatar, s));
        for (kind, src) in article.chain(avatars) {
            if seen.insert((kind, src.as_str())) {
                out.push((kind, src.clone()));
            }
        }
    }
    out
}
