//! Lessons -> XHTML chapter documents, using the one XHTML writer in `xhtml`.
//!
//! Rendering is a pure function of a lesson whose images are embedded: nothing is looked up.
//! Chapters live in `text/` inside the book, so every stylesheet and image path starts with
//! `../`. The class names written here are the ones `styles/book.css` styles; every comment is
//! an element whose class list holds `comment`, and no other element has that class.

use std::io;

use rayon::prelude::*;

use crate::model::{
    self, Article, Book, Bytes, Comment, Comments, ImageRef, Lesson, Slotted, Written,
    WrittenComments,
};
use crate::spool::Spool;
use crate::xhtml::Writer;

/// Where the book's files sit, seen from a chapter.
const UP: &str = "../";

/// Chapters rendered at a time: enough to keep every core busy, few enough that a large column
/// never has all its chapters in memory at once.
const RENDER_BATCH: usize = 8;

/// Every chapter of `book`, in reading order, rendered a batch at a time (in parallel) as the
/// caller takes them; `Err` when a lesson written ahead cannot be read back.
pub fn chapters(book: &Book) -> impl Iterator<Item = io::Result<String>> + '_ {
    let lessons: Vec<&Lesson> = book.chapters().collect();
    let language = book.language.as_str();
    (0..lessons.len())
        .step_by(RENDER_BATCH)
        .flat_map(move |start| {
            let end = (start + RENDER_BATCH).min(lessons.len());
            lessons[start..end]
                .par_iter()
                .map(|lesson| chapter(lesson, language))
                .collect::<Vec<_>>()
        })
}

/// Writes the article and the comments of `lesson` out ahead (`Article::Written`,
/// `Comments::Written`), but for their images, into `spool` (in memory without one, or when
/// writing to it fails): then a column's lessons take no memory while its pictures are
/// converted. linux-perf's articles took 1.1 MB and its comments 0.9 MB; four times as many
/// lessons took four times that, and their trees and highlighted code, before articles were
/// written out, 12 MB.
pub fn write_ahead(lesson: &mut Lesson, spool: Option<&Spool>) {
    if let Article::Tree(nodes) = &lesson.article {
        let mut w = Writer::new();
        let images = w.nodes_but_images(nodes);
        lesson.article = Article::Written(Written {
            math: model::contains_element(nodes, "math"),
            body: kept(w, images, spool),
        });
    }
    if let Comments::Chosen(chosen) = &lesson.comments {
        let mut w = Writer::new();
        let mut avatars = Vec::new();
        comments(&mut w, chosen, lesson.comments_in_source, |w, avatar| {
            avatars.push((w.offset(), avatar.clone()));
        });
        lesson.comments = Comments::Written(WrittenComments {
            section: kept(w, avatars, spool),
            count: chosen.len(),
        });
    }
}

/// What `w` wrote, with `slots`, kept in `spool` (see `Bytes::kept`).
fn kept<T>(w: Writer, mut slots: Vec<(usize, T)>, spool: Option<&Spool>) -> Slotted<T> {
    // Held until the book is packaged, every lesson's: no room to grow is left.
    slots.shrink_to_fit();
    Slotted {
        markup: Bytes::kept(w.finish().into_bytes(), spool),
        slots,
    }
}

/// `slotted` with its slots filled, `write` writing each piece.
fn filled<T>(slotted: &Slotted<T>, write: impl FnMut(&mut Writer, &T)) -> io::Result<Writer> {
    let mut w = Writer::new();
    w.filled(&slotted.markup.to_text()?, &slotted.slots, write);
    Ok(w)
}

/// Where the stylesheet sits, seen from a chapter.
const CSS_HREF: &str = "../styles/book.css";

/// Writes a complete XHTML document around `body`.
pub fn document(
    title: &str,
    language: &str,
    body_class: &str,
    body: impl FnOnce(&mut Writer),
) -> String {
    let mut w = Writer::new();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n");
    w.open(
        "html",
        &[
            ("xmlns", "http://www.w3.org/1999/xhtml"),
            ("xmlns:epub", "http://www.idpf.org/2007/ops"),
            ("xml:lang", language),
            ("lang", language),
        ],
    );
    w.raw("\n");
    w.open("head", &[]);
    w.element(
        "title",
        &[],
        if title.trim().is_empty() { "-" } else { title },
    );
    w.void(
        "link",
        &[
            ("rel", "stylesheet"),
            ("type", "text/css"),
            ("href", CSS_HREF),
        ],
    );
    w.close("head");
    w.raw("\n");
    w.open("body", &[("class", body_class)]);
    w.raw("\n");
    body(&mut w);
    w.raw("\n");
    w.close("body");
    w.raw("\n");
    w.close("html");
    w.raw("\n");
    w.finish()
}

/// One lesson as a chapter: title, article, then the chosen comments. `Err` when what was
/// written ahead cannot be read back.
pub fn chapter(lesson: &Lesson, language: &str) -> io::Result<String> {
    let article = match &lesson.article {
        Article::Tree(nodes) => {
            let mut w = Writer::new();
            w.nodes(nodes, UP);
            w
        }
        Article::Written(written) => filled(&written.body, |w, image| w.image(image, UP))?,
    };
    let comments = match &lesson.comments {
        Comments::Chosen(chosen) => {
            let mut w = Writer::new();
            self::comments(&mut w, chosen, lesson.comments_in_source, avatar);
            w
        }
        Comments::Written(written) => filled(&written.section, avatar)?,
    };
    let (article, comments) = (article.finish(), comments.finish());
    Ok(document(&lesson.title, language, "lesson", |w| {
        w.open("section", &[("epub:type", "chapter"), ("class", "lesson")]);
        w.element("h1", &[("class", "lesson-title")], &lesson.title);
        w.raw("\n");
        w.open("div", &[("class", "article")]);
        w.raw(&article);
        w.close("div");
        w.raw("\n");
        w.raw(&comments);
        w.close("section");
    }))
}

/// The comments section: heading, then each comment, `avatar` writing each avatar; nothing
/// when none is chosen.
fn comments(
    w: &mut Writer,
    chosen: &[Comment],
    in_source: usize,
    mut avatar: impl FnMut(&mut Writer, &ImageRef),
) {
    if chosen.is_empty() {
        return;
    }
    w.open("section", &[("class", "comments")]);
    w.element(
        "h2",
        &[("class", "comments-title")],
        &comments_heading(chosen.len(), in_source),
    );
    w.raw("\n");
    for comment in chosen {
        self::comment(w, comment, &mut avatar);
        w.raw("\n");
    }
    w.close("section");
    w.raw("\n");
}

/// `精选留言（42）` when every comment is shown, `精选留言（10 / 42）` when some were chosen.
pub fn comments_heading(shown: usize, total: usize) -> String {
    if shown == total {
        format!("精选留言（{total}）")
    } else {
        format!("精选留言（{shown} / {total}）")
    }
}

fn comment(w: &mut Writer, comment: &Comment, avatar: &mut impl FnMut(&mut Writer, &ImageRef)) {
    w.open("div", &[("class", "comment")]);
    w.open("p", &[("class", "comment-meta")]);
    if let Some(image) = &comment.avatar {
        avatar(w, image);
    }
    w.element("span", &[("class", "comment-author")], &comment.author);
    if let Some(likes) = comment.likes {
        w.element(
            "span",
            &[("class", "comment-likes")],
            &format!("赞 {likes}"),
        );
    }
    if !comment.date.is_empty() {
        w.element(
            "span",
            &[("class", "comment-date")],
            shown_date(&comment.date),
        );
    }
    w.close("p");
    w.open("p", &[("class", "comment-text")]);
    w.text_with_breaks(&crate::emoji::with_words(&comment.text));
    w.close("p");
    if let Some(reply) = &comment.reply {
        w.open("div", &[("class", "comment-reply")]);
        w.open("p", &[]);
        w.element("span", &[("class", "reply-label")], reply.by.label());
        w.text(" ");
        w.text_with_breaks(&crate::emoji::with_words(&reply.text));
        w.close("p");
        w.close("div");
    }
    w.close("div");
}

/// Writes an avatar where the book stores it. An avatar is never sliced: it is one file (or the
/// placeholder's).
fn avatar(w: &mut Writer, avatar: &ImageRef) {
    if let Some(file) = avatar.stored.first() {
        let src = format!("{UP}{file}");
        w.void("img", &[("class", "avatar"), ("src", &src), ("alt", "")]);
    }
}

/// A comment's date as GeekTime's page shows it: to the minute. html-comments files record the
/// second too (`2019-01-02 14:46:22`), which the page never shows.
fn shown_date(date: &str) -> &str {
    let bytes = date.as_bytes();
    let with_seconds = bytes.len() == 19
        && bytes[10] == b' '
        && bytes[16] == b':'
        && bytes[17..].iter().all(u8::is_ascii_digit);
    if with_seconds { &date[..16] } else { date }
}

/// The cover page: the cover image, `width` x `height` pixels, scaled to fit one screen whatever
/// its shape. An SVG wrapper does that on every engine (`max-height` on an `<img>` is ignored
/// by calibre's PDF and by Kindles, which then spill the cover onto a second page); the title
/// is its text alternative.
pub fn cover(title: &str, language: &str, image_path: &str, (width, height): (u32, u32)) -> String {
    document(title, language, "cover", |w| {
        w.open("section", &[("epub:type", "cover"), ("class", "cover")]);
        let view_box = format!("0 0 {width} {height}");
        w.open(
            "svg",
            &[
                ("xmlns", "http://www.w3.org/2000/svg"),
                ("xmlns:xlink", "http://www.w3.org/1999/xlink"),
                ("version", "1.1"),
                ("class", "cover-image"),
                ("width", "100%"),
                ("height", "100%"),
                ("viewBox", &view_box),
                ("preserveAspectRatio", "xMidYMid meet"),
                ("role", "img"),
                ("aria-label", title),
            ],
        );
        w.element("title", &[], title);
        w.void(
            "image",
            &[
                ("width", &width.to_string()),
                ("height", &height.to_string()),
                ("xlink:href", &format!("{UP}{image_path}")),
            ],
        );
        w.close("svg");
        w.close("section");
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ImageRef, Reply, ReplyBy};

    fn lesson() -> Lesson {
        let mut article = crate::sanitize::article(
            "<p>正文<br>二</p><ul><li>a</li><br></ul><img src=\"https://x/1.png\" alt=\"图\">",
        );
        if let Some(crate::model::Node::Image(image)) = article.last_mut() {
            image.image.stored = vec!["images/1.png".into()];
        }
        Lesson {
            source: "x.md".into(),
            title: "01 | A & B".into(),
            article: Article::Tree(article),
            comments: Comments::Chosen(vec![Comment {
                author: "张三".into(),
                avatar: Some(ImageRef {
                    src: "https://x/a.jpg".into(),
                    stored: vec!["images/avatar.png".into()],
                }),
                likes: Some(3),
                date: "2019-01-01".into(),
                text: "a < b\nc".into(),
                reply: Some(Reply {
                    by: ReplyBy::Editor,
                    text: "好".into(),
                }),
                reply_count: None,
            }]),
            comments_in_source: 5,
            likes_recorded: true,
        }
    }

    /// The comments of a lesson not written ahead.
    fn chosen(lesson: &mut Lesson) -> &mut Vec<Comment> {
        match &mut lesson.comments {
            Comments::Chosen(chosen) => chosen,
            Comments::Written(_) => panic!("written ahead"),
        }
    }

    #[test]
    fn a_lesson_written_ahead_renders_as_it_was_read_with_the_images_stored_later() {
        let html = "<p>一<img src=\"https://x/1.png\" alt=\"图\">二</p>\
                    <pre><code class=\"language-go\">x := 1</code></pre>\
                    <p><img src=\"https://x/tall.png\"><math><mi>x</mi></math></p>";
        let mut read = lesson();
        read.article = Article::Tree(crate::sanitize::article(html));
        let read = crate::highlight::Highlighter::default().lesson(read);
        let spool = Spool::new().unwrap();
        for spool in [Some(&spool), None] {
            let (mut tree, mut written) = (read.clone(), read.clone());
            write_ahead(&mut written, spool);
            let Article::Written(ahead) = &written.article else {
                panic!("not written out: {:?}", written.article);
            };
            let Comments::Written(comments) = &written.comments else {
                panic!("not written out: {:?}", written.comments);
            };
            // On disk when there is a spool, in memory without.
            for markup in [&ahead.body.markup, &comments.section.markup] {
                assert_eq!(matches!(markup, Bytes::Spooled(_)), spool.is_some());
                let markup = markup.to_text().unwrap();
                assert!(!markup.contains("<img"), "{markup}");
            }
            assert!(written.article.has_math());
            assert_eq!(written.comments.len(), 1);
            // Stored only now, as `images::embed` does after the lessons are written.
            for lesson in [&mut tree, &mut written] {
                let images = lesson.article.images_mut();
                assert_eq!(images.len(), 2);
                let [one, tall] = <[_; 2]>::try_from(images).unwrap();
                one.image.stored = vec!["images/1.png".into()];
                tall.image.stored = vec!["images/t-1.png".into(), "images/t-2.png".into()];
                for avatar in lesson.comments.avatars_mut() {
                    avatar.stored = vec!["images/later.png".into()];
                }
            }
            let chapter = chapter(&written, "zh-CN").unwrap();
            assert_eq!(chapter, super::chapter(&tree, "zh-CN").unwrap());
            assert!(
                chapter.contains("一<img src=\"../images/1.png\" alt=\"图\"/>二"),
                "{chapter}"
            );
            assert!(chapter.contains("class=\"slice\""), "{chapter}");
            assert!(
                chapter.contains("class=\"avatar\" src=\"../images/later.png\""),
                "{chapter}"
            );
            assert!(chapter.contains("精选留言（1 / 5）"), "{chapter}");
        }
    }

    #[test]
    fn chapter_is_well_formed_xhtml_with_one_element_per_comment() {
        let xhtml = chapter(&lesson(), "zh-CN").unwrap();
        let doc = roxmltree::Document::parse_with_options(
            &xhtml,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}\n{xhtml}"));
        let comments = doc
            .descendants()
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|c| c.split_whitespace().any(|c| c == "comment"))
            })
            .count();
        assert_eq!(comments, 1);
        assert!(xhtml.contains("<h1 class=\"lesson-title\">01 | A &amp; B</h1>"));
        assert!(xhtml.contains("精选留言（1 / 5）"));
        assert!(xhtml.contains("a &lt; b<br/>c"));
        assert!(xhtml.contains("<span class=\"reply-label\">编辑回复</span>"));
        assert!(xhtml.contains("<img src=\"../images/1.png\" alt=\"图\"/>"));
        assert!(xhtml.contains("class=\"avatar\" src=\"../images/avatar.png\""));
        assert!(!xhtml.contains("https://x/"));
    }

    #[test]
    fn the_cover_is_an_svg_that_fits_the_screen_with_the_title_as_its_text() {
        let page = cover("A & B", "zh-CN", "images/cover.png", (1000, 1600));
        roxmltree::Document::parse_with_options(
            &page,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}\n{page}"));
        assert!(page.contains("viewBox=\"0 0 1000 1600\" preserveAspectRatio=\"xMidYMid meet\""));
        assert!(page.contains(
            "<image width=\"1000\" height=\"1600\" xlink:href=\"../images/cover.png\"/>"
        ));
        assert!(page.contains("<title>A &amp; B</title>"));
    }

    #[test]
    fn an_emoji_only_reply_is_never_empty_where_emoji_do_not_show() {
        let mut l = lesson();
        chosen(&mut l)[0].reply.as_mut().unwrap().text = "👍".into();
        let xhtml = chapter(&l, "zh-CN").unwrap();
        assert!(
            xhtml.contains("<span class=\"reply-label\">编辑回复</span> 👍（赞）</p>"),
            "{xhtml}"
        );
    }

    #[test]
    fn dates_are_shown_to_the_minute_as_the_page_shows_them() {
        assert_eq!(shown_date("2019-01-02 14:46:22"), "2019-01-02 14:46");
        assert_eq!(shown_date("2019-01-02"), "2019-01-02");
        assert_eq!(shown_date("昨天 14:46:22"), "昨天 14:46:22");
        let mut l = lesson();
        chosen(&mut l)[0].date = "2019-01-02 14:46:22".into();
        assert!(
            chapter(&l, "zh-CN")
                .unwrap()
                .contains("<span class=\"comment-date\">2019-01-02 14:46</span>")
        );
    }

    #[test]
    fn lesson_without_chosen_comments_has_no_comment_section() {
        let mut l = lesson();
        chosen(&mut l).clear();
        assert!(!chapter(&l, "zh-CN").unwrap().contains("comments"));
    }

    #[test]
    fn chapters_come_in_reading_order() {
        let mut book = Book {
            title: "b".into(),
            author: None,
            language: "zh-CN".into(),
            front: Some(lesson()),
            lessons: Vec::new(),
            parts: Vec::new(),
            images: Vec::new(),
        };
        for n in 0..40 {
            let mut l = lesson();
            l.title = format!("第{n}讲");
            book.lessons.push(l);
        }
        let titles: Vec<String> = chapters(&book)
            .map(|xhtml| {
                let xhtml = xhtml.unwrap();
                let start = xhtml.find("<title>").unwrap() + "<title>".len();
                xhtml[start..xhtml.find("</title>").unwrap()].to_owned()
            })
            .collect();
        let expected: Vec<String> = book
            .chapters()
            .map(|l| l.title.replace('&', "&amp;"))
            .collect();
        assert_eq!(titles, expected);
    }
}
