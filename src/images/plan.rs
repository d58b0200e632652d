//! What to get: every image reference of the book, and the distinct sources behind them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Kind;
use super::source::Source;
use crate::model::{Book, ImageRef, Lesson};

/// One image reference of the book, in reading order.
pub(super) struct Use<'b> {
    pub kind: Kind,
    /// The lesson file that holds it.
    pub lesson: &'b Path,
    pub image: &'b mut ImageRef,
}

/// One distinct source and what it is used as, in the order of first use. Kept while every
/// picture is had and converted, so no more than that: which lessons use it, and how it is
/// written there, are asked of its uses when it fails.
#[derive(Debug)]
pub(super) struct Origin {
    pub source: Source,
    pub kinds: Vec<Kind>,
}

/// Every image reference of `book` in reading order: per chapter, the article's images in
/// document order, then the avatars of the chosen comments.
pub(super) fn uses(book: &mut Book) -> Vec<Use<'_>> {
    let mut uses = Vec::new();
    for lesson in book.chapters_mut() {
        let Lesson {
            source,
            article,
            comments,
            ..
        } = lesson;
        let lesson: &Path = source;
        uses.extend(article.images_mut().into_iter().map(|image| Use {
            kind: Kind::Article,
            lesson,
            image: &mut image.image,
        }));
        uses.extend(comments.avatars_mut().into_iter().map(|image| Use {
            kind: Kind::Avatar,
            lesson,
            image,
        }));
    }
    uses
}

/// Whether `image` has a source at all: an avatar slot with an empty `src` has nothing to fetch
/// and nothing to warn about, but shows the placeholder avatar.
pub(super) fn has_source(image: &ImageRef) -> bool {
    !image.src.is_empty()
}

/// The distinct sources of `uses`, in reading order, with the index of each use's source
/// (`None` for a use without a source).
pub(super) fn origins(uses: &[Use<'_>]) -> (Vec<Origin>, Vec<Option<usize>>) {
    let mut origins: Vec<Origin> = Vec::new();
    // Refused sources carry only a reason; their text keeps them apart.
    let mut index: HashMap<(Source, Option<String>), usize> = HashMap::new();
    let mut of_use = Vec::with_capacity(uses.len());
    for u in uses {
        if !has_source(u.image) {
            of_use.push(None);
            continue;
        }
        let src = &u.image.src;
        let source = Source::classify(src, &lesson_dir(u.lesson));
        let refused = matches!(source, Source::Refused(_)).then(|| src.clone());
        let i = *index.entry((source.clone(), refused)).or_insert_with(|| {
            origins.push(Origin {
                source,
                kinds: Vec::new(),
            });
            origins.len() - 1
        });
        let origin = &mut origins[i];
        if !origin.kinds.contains(&u.kind) {
            origin.kinds.push(u.kind);
        }
        of_use.push(Some(i));
    }
    origins.shrink_to_fit();
    (origins, of_use)
}

/// The folder relative sources of `lesson` are read from.
fn lesson_dir(lesson: &Path) -> PathBuf {
    lesson.parent().unwrap_or(Path::new(".")).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Article, Comment, Image, Node};

    fn lesson(source: &str, images: &[&str], avatars: &[&str]) -> Lesson {
        Lesson {
            source: source.into(),
            title: "t".into(),
            article: Article::Tree(vec![Node::Element(crate::model::Element {
                tag: "p",
                attributes: Vec::new(),
                children: (images.iter())
                    .map(|src| {
                        Node::Image(Box::new(Image {
                            image: ImageRef::new(*src),
                            alt: String::new(),
                            title: None,
                        }))
                    })
                    .collect(),
            })]),
            comments: crate::model::Comments::Chosen(
                (avatars.iter())
                    .map(|src| Comment {
                        avatar: Some(ImageRef::new(*src)),
                        ..Comment::default()
                    })
                    .collect(),
            ),
            comments_in_source: avatars.len(),
            likes_recorded: false,
        }
    }

    #[test]
    fn each_source_is_collected_once_with_all_its_uses() {
        let mut book = Book {
            title: "b".into(),
            author: None,
            language: "zh-CN".into(),
            front: None,
            lessons: vec![
                lesson(
                    "/c/1.md",
                    &["https://h/a.png", "img/x.png"],
                    &["https://h/a.png", ""],
                ),
                lesson("/c/sub/2.md", &["https://h/a.png", "img/x.png"], &[]),
            ],
            parts: Vec::new(),
            images: Vec::new(),
        };
        let uses = uses(&mut book);
        assert_eq!(uses.len(), 6);
        let (origins, of_use) = origins(&uses);
        assert_eq!(origins.len(), 3, "{origins:?}");
        assert_eq!(origins[0].kinds, vec![Kind::Article, Kind::Avatar]);
        // The same relative path in two folders is two files.
        assert_eq!(origins[1].source, Source::Local("/c/img/x.png".into()));
        assert_eq!(origins[2].source, Source::Local("/c/sub/img/x.png".into()));
        assert_eq!(of_use, [Some(0), Some(1), Some(0), None, Some(0), Some(2)]);
    }
}
