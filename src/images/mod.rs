//! Every image a book needs (article images and comment avatars) -> files embedded in the book.
//!
//! `embed` takes the book and writes, into each of its image references, where the book stores
//! that image; the image files go into `Book::images`. Steps, one file each:
//!
//! 1. `plan`: the distinct sources in reading order (one per URL, however many lessons or uses
//!    share it);
//! 2. `work`: the original bytes of each, from the persistent cache (`cache`), a download
//!    (`fetch`, on `--jobs` threads), a local file inside the column (`local`) or a `data:` URL
//!    (`source`), made into book-ready files (`convert`, on every core through rayon, as many
//!    at once as fit in a memory `budget`), or taken from the cache of processed images;
//! 3. `store`: each file named by the hash of its bytes, so identical images are stored once, and
//!    its name written into every reference to it.
//!
//! An image that cannot be had is replaced by a placeholder, embedded only when used, so no
//! chapter ever refers to anything remote. This stage never prints; it moves the build's progress
//! line on as images are made (`store::Files`), and `warnings` says what went wrong.

mod budget;
mod cache;
pub mod convert;
mod fetch;
mod local;
mod original;
mod placeholder;
mod plan;
mod source;
mod store;
mod warnings;
mod work;

use std::path::{Path, PathBuf};

// Discovery decodes the percent-encoded folder names of a built site's links.
pub(crate) use source::percent_decode;

use crate::config::ImageOptions;
use crate::diagnostics::Warning;
use crate::model::Book;
use crate::progress::Progress;

/// What the image is for; it decides how the image is processed and which placeholder stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Article,
    Avatar,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageStats {
    /// Distinct image sources the book refers to.
    pub sources: usize,
    /// Sources downloaded in this build, and the bytes the servers sent for them.
    pub downloaded: usize,
    pub downloaded_bytes: u64,
    /// Sources taken from the persistent cache.
    pub from_cache: usize,
    /// Local files and `data:` URLs.
    pub local: usize,
    /// Sources replaced by a placeholder: `unconverted + not_cached` and those that could not be
    /// had at all.
    pub failed: usize,
    /// Sources had (downloaded, from the cache or local) that failed to convert, so that
    /// `downloaded + from_cache + local` = converted + `unconverted`.
    pub unconverted: usize,
    /// Remote sources an `--offline` build did not find in the cache (not failures of theirs).
    pub not_cached: usize,
    /// Image files stored in the book (placeholders included), and their size.
    pub files: usize,
    pub file_bytes: u64,
}

/// An image that could not be had; a placeholder stands in for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The source as written in the lesson.
    pub src: String,
    /// What it was for (the first use, when it serves as both).
    pub kind: Kind,
    /// The lesson files that use it, in reading order.
    pub lessons: Vec<PathBuf>,
    pub reason: String,
    /// Only missing because `--offline` forbade the download.
    pub offline: bool,
}

impl Failure {
    pub fn warning(&self) -> Warning {
        let others = match self.lessons.len() {
            0 | 1 => String::new(),
            n => format!(
                " (also used in {})",
                crate::diagnostics::count(n - 1, "other lesson")
            ),
        };
        let message = format!(
            "image `{}`{others}: {}; shown as a placeholder",
            warnings::shown(&self.src),
            self.reason
        );
        match self.lessons.first() {
            Some(lesson) => Warning::in_file(lesson, None, message),
            None => Warning::new(message),
        }
    }
}

/// What embedding did: counts, the images that fell back to placeholders, and what to tell the
/// user about them.
#[derive(Debug, Default)]
pub struct Embedded {
    pub stats: ImageStats,
    /// The images replaced by placeholders, in reading order.
    pub failures: Vec<Failure>,
    pub warnings: Vec<Warning>,
}

/// Embeds the images of `book`, whose lessons come from the `column` folder: every image
/// reference gets the files the book stores it in, and `book.images` holds those files.
/// `progress` counts each image made for each of its uses.
pub fn embed(
    book: &mut Book,
    column: &Path,
    options: &ImageOptions,
    progress: &mut Progress,
) -> Embedded {
    let mut uses = plan::uses(book);
    let (origins, of_use) = plan::origins(&uses);
    progress.images(origins.iter().map(|o| o.kinds.len()).sum());
    let context = work::Context::new(column, options);
    let files = store::Files::new(progress.clone());
    let outcomes = work::run(&context, &origins, &files);
    let stored = store::store(&origins, outcomes, files, &mut uses, &of_use);
    drop(uses);
    let warnings = warnings::warnings(&stored, &context);
    book.images = stored.assets;
    Embedded {
        stats: stored.stats,
        failures: stored.failures,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CacheMode;
    use crate::model::{Article, Comment, Image, ImageRef, Lesson, Node};

    fn lesson(source: &str, images: &[&str], avatars: &[&str]) -> Lesson {
        let image = |src: &&str| {
            Node::Image(Box::new(Image {
                image: ImageRef::new(*src),
                alt: String::new(),
                title: None,
            }))
        };
        let comment = |src: &&str| Comment {
            avatar: Some(ImageRef::new(*src)),
            ..Comment::default()
        };
        Lesson {
            source: source.into(),
            title: "t".into(),
            article: Article::Tree(images.iter().map(image).collect()),
            comments: crate::model::Comments::Chosen(avatars.iter().map(comment).collect()),
            comments_in_source: avatars.len(),
            likes_recorded: false,
        }
    }

    fn book(lessons: Vec<Lesson>) -> Book {
        Book {
            title: "b".into(),
            author: None,
            language: "zh-CN".into(),
            front: None,
            lessons,
            parts: Vec::new(),
            images: Vec::new(),
        }
    }

    /// The files stored for the images of lesson `i`, article images first, then avatars.
    fn stored(book: &Book, i: usize) -> Vec<Vec<String>> {
        let lesson = &book.lessons[i];
        let article = (lesson.article.images().into_iter()).map(|i| i.image.stored.clone());
        let avatars = (lesson.comments.avatars().into_iter()).map(|a| a.stored.clone());
        article.chain(avatars).collect()
    }

    #[test]
    fn offline_without_cache_gives_placeholders_and_one_warning() {
        let mut b = book(vec![
            lesson(
                "/c/1.md",
                &["https://h/a.png", "https://h/b.png"],
                &["https://h/c.jpg", ""],
            ),
            lesson("/c/2.md", &["ftp://h/x.png"], &[]),
        ]);
        let options = ImageOptions {
            offline: true,
            cache_mode: CacheMode::Off,
            ..Default::default()
        };
        let embedded = embed(&mut b, Path::new("."), &options, &mut Progress::hidden());
        assert_eq!(embedded.stats.failed, 4);
        let article = vec!["images/placeholder.png".to_owned()];
        let avatar = vec!["images/avatar.png".to_owned()];
        assert_eq!(
            stored(&b, 0),
            [article.clone(), article.clone(), avatar.clone(), avatar]
        );
        assert_eq!(stored(&b, 1), [article]);
        let names: Vec<&str> = b.images.iter().map(|a| a.book_path.as_str()).collect();
        assert_eq!(names, ["images/placeholder.png", "images/avatar.png"]);
        let warnings = &embedded.warnings;
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].message.contains("ftp:"), "{}", warnings[0]);
        assert!(
            warnings[1].message.starts_with("3 remote images"),
            "{}",
            warnings[1]
        );
    }

    #[test]
    fn a_failed_source_is_named_as_first_written_with_every_lesson_that_uses_it() {
        let mut b = book(vec![
            lesson("/c/1.md", &["//h/a.png"], &[]),
            lesson("/c/2.md", &["https://h/b.png"], &["https://h/a.png"]),
            lesson("/c/3.md", &["https://h/a.png", "https://h/a.png"], &[]),
        ]);
        let options = ImageOptions {
            offline: true,
            cache_mode: CacheMode::Off,
            ..Default::default()
        };
        let embedded = embed(&mut b, Path::new("."), &options, &mut Progress::hidden());
        let failures = &embedded.failures;
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert_eq!(failures[0].src, "//h/a.png");
        assert_eq!(failures[0].kind, Kind::Article);
        let lessons = ["/c/1.md", "/c/2.md", "/c/3.md"].map(PathBuf::from);
        assert_eq!(failures[0].lessons, lessons);
        assert_eq!(failures[1].src, "https://h/b.png");
        assert_eq!(failures[1].lessons, [PathBuf::from("/c/2.md")]);
        let warning = failures[0].warning().to_string();
        assert!(
            warning.contains("(also used in 2 other lessons)"),
            "{warning}"
        );
    }

    #[test]
    fn identical_images_are_stored_once_and_placeholders_only_when_used() {
        let dir = tempfile::tempdir().unwrap();
        let png = placeholder::avatar_png();
        std::fs::write(dir.path().join("a.png"), &png).unwrap();
        std::fs::write(dir.path().join("b.png"), &png).unwrap();
        let lesson_file = dir.path().join("1.md");
        let lesson_name = lesson_file.to_str().unwrap();
        let mut b = book(vec![lesson(lesson_name, &["a.png", "b.png"], &[])]);
        let options = ImageOptions {
            offline: true,
            cache_mode: CacheMode::Off,
            ..Default::default()
        };
        let embedded = embed(&mut b, dir.path(), &options, &mut Progress::hidden());
        assert!(embedded.warnings.is_empty(), "{:?}", embedded.warnings);
        assert_eq!(b.images.len(), 1);
        let files = stored(&b, 0);
        assert_eq!(files[0], files[1]);
        assert_eq!(files[0], [b.images[0].book_path.clone()]);
        assert!(b.images[0].book_path.ends_with(".png"));
        assert_eq!(embedded.stats.local, 2);
    }
}
