//! Chapters, images and metadata -> an EPUB 3 file (with an EPUB 2 NCX for older readers),
//! written atomically.
//!
//! The package is written here with the `zip` crate rather than with epub-builder 0.8.3, which
//! gives every book with an author duplicate ids (`epub-creator-0` on both `dc:language` and
//! `dc:creator`, EPUBCheck RSC-005), writes an empty landmarks `<nav>` (RSC-005, RSC-017), stamps
//! the current time on every zip entry (so no two builds are byte-identical), and cannot set
//! manifest properties besides `nav` and `cover-image`.
//!
//! The archive is streamed into a temporary file beside the destination (`stage`) and renamed
//! into place only once it is complete (and, with `build --check`, valid): a failed build never
//! leaves a partial book, and an existing book at that path stays untouched until the new one
//! is whole.

use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use time::OffsetDateTime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::model::{Asset, Book};
use crate::parts::{self, Entry};
use crate::render;
use crate::xhtml::{Writer, escape};

/// The stylesheet of every book, compiled in.
pub const BOOK_CSS: &str = include_str!("../styles/book.css");

/// Text is deflated at the highest level: 2.5% smaller than the default for linux-perf's 2 MB
/// of pages, in a few milliseconds. Pictures are stored as they are (already compressed).
const TEXT_LEVEL: i64 = 9;

/// What goes into a package besides the book and its cover.
#[derive(Debug, Clone, Copy)]
pub struct Extras<'a> {
    /// The book's stylesheet (`stylesheet::assemble`).
    pub css: &'a str,
    /// Which volume of a column this book is, when the column was cut into several.
    pub volume: Option<Volume<'a>>,
}

impl Default for Extras<'_> {
    fn default() -> Self {
        Extras {
            css: BOOK_CSS,
            volume: None,
        }
    }
}

/// One of several books a column was cut into, for the readers that group a series.
#[derive(Debug, Clone, Copy)]
pub struct Volume<'a> {
    /// The column's title, which names the series.
    pub series: &'a str,
    /// From 1.
    pub number: usize,
}

/// What the package documents describe: the book, its cover, and the name of each chapter.
struct Contents<'a> {
    book: &'a Book,
    cover: &'a Asset,
    extras: Extras<'a>,
    /// `urn:uuid:…`, stable for a column so a rebuild replaces the book on a device.
    identifier: String,
    /// `dcterms:modified`, and the timestamp of every zip entry.
    modified: OffsetDateTime,
    chapters: Vec<Chapter>,
    /// The first level of the contents: parts (see `parts`) and chapters outside any.
    entries: Vec<Entry>,
}

impl<'a> Contents<'a> {
    fn new(book: &'a Book, cover: &'a Asset, extras: Extras<'a>, modified: OffsetDateTime) -> Self {
        let front = book.front.iter().map(|l| ("front".to_owned(), l));
        let lessons =
            (book.lessons.iter().enumerate()).map(|(i, l)| (format!("lesson-{:03}", i + 1), l));
        let chapters = front
            .chain(lessons)
            .map(|(id, lesson)| Chapter {
                id,
                title: lesson.title.clone(),
                mathml: lesson.article.has_math(),
            })
            .collect::<Vec<Chapter>>();
        // The introduction page is no lesson of a part.
        let front = usize::from(book.front.is_some());
        let entries = (0..front)
            .map(Entry::Chapter)
            .chain(
                parts::entries(&book.parts, book.lessons.len())
                    .into_iter()
                    .map(|e| match e {
                        Entry::Chapter(i) => Entry::Chapter(i + front),
                        Entry::Part { name, chapters } => Entry::Part {
                            name,
                            chapters: chapters.start + front..chapters.end + front,
                        },
                    }),
            )
            .collect();
        Contents {
            book,
            cover,
            extras,
            identifier: identifier(&book.title),
            modified,
            chapters,
            entries,
        }
    }
}

/// The same column always gets the same identifier, so a rebuilt book replaces the old one on a
/// device instead of appearing twice.
fn identifier(title: &str) -> String {
    let name = format!("lessonpub:{title}");
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes())
    )
}

/// One XHTML document of the spine.
#[derive(Debug, Clone)]
struct Chapter {
    /// Manifest id and file stem, ASCII: `lesson-001`.
    id: String,
    title: String,
    /// Whether it holds MathML, which its manifest item must declare.
    mathml: bool,
}

impl Chapter {
    fn href(&self) -> String {
        format!("text/{}.xhtml", self.id)
    }
}

/// The folder inside the archive that holds the package document and content.
const ROOT: &str = "EPUB";

/// A complete book in a temporary file beside its destination, not yet in place: check it,
/// then `commit` it. Dropping it removes the file.
#[derive(Debug)]
pub struct Staged {
    temp: Option<tempfile::NamedTempFile>,
    path: PathBuf,
    out: PathBuf,
    size: u64,
}

impl Staged {
    /// Where the finished book sits until it is committed (its name ends in `.epub`, so
    /// validators recognize it).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the book into place, replacing any file at the destination.
    pub fn commit(mut self) -> Result<u64> {
        let temp = self.temp.take().expect("a staged book is committed once");
        temp.persist(&self.out)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write `{}`", self.out.display()))?;
        crate::interrupt::unguard(&self.path);
        Ok(self.size)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Remove the file first: an interrupt in between must still find it registered.
        drop(self.temp.take());
        crate::interrupt::unguard(&self.path);
    }
}

/// Writes `book` into a temporary file beside `out` (see `Staged`): the package documents, the
/// cover, the stylesheet, the `chapters` (the XHTML of `book.chapters()`, in that order, taken
/// one at a time) and the book's images. `modified` stamps the metadata and every zip entry.
pub fn stage(
    book: &Book,
    cover: &Asset,
    extras: Extras,
    chapters: impl Iterator<Item = std::io::Result<String>>,
    modified: OffsetDateTime,
    out: &Path,
) -> Result<Staged> {
    let contents = Contents::new(book, cover, extras, modified);
    let dir = destination_dir(out)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".lessonpub-").suffix(".part.epub");
    // A book is an ordinary document, readable by all like a file the user saved; temporary
    // files are owner-only by default.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let temp = crate::interrupt::create_guarded(|| builder.tempfile_in(dir), |t| t.path())
        .with_context(|| {
            format!(
                "cannot create a file in `{}`; is it writable?",
                dir.display()
            )
        })?;
    let path = temp.path().to_path_buf();
    let mut staged = Staged {
        temp: Some(temp),
        path,
        out: out.to_path_buf(),
        size: 0,
    };
    let file = staged.temp.as_mut().expect("just created").as_file_mut();
    let written = write_zip(&contents, chapters, BufWriter::new(&mut *file))
        .map_err(io_error_alone)
        .and_then(|()| {
            file.sync_all()?;
            Ok(file.metadata()?.len())
        });
    staged.size = written.with_context(|| format!("cannot write `{}`", out.display()))?;
    Ok(staged)
}

/// What went wrong when a lesson's markup (`render::write_ahead`) cannot be read back.
pub const READ_BACK: &str = "cannot read a lesson back from the temporary file it waited in";

/// The size in bytes of the file `stage` would write for the same arguments, without writing it.
pub fn measure(
    book: &Book,
    cover: &Asset,
    extras: Extras,
    chapters: impl Iterator<Item = std::io::Result<String>>,
    modified: OffsetDateTime,
) -> Result<u64> {
    let contents = Contents::new(book, cover, extras, modified);
    let mut counter = Counter::default();
    write_zip(&contents, chapters, &mut counter)?;
    Ok(counter.len)
}

/// The bytes one file adds to a book: its zip entry (compressed as `stage` compresses a file of
/// that kind) and its line in the archive's directory.
pub fn entry_size(name: &str, bytes: &[u8], compressed: bool) -> u64 {
    let method = if compressed {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(compressed.then_some(TEXT_LEVEL))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Counter::default());
    let written = zip
        .start_file(format!("{ROOT}/{name}"), options)
        .map_err(std::io::Error::other)
        .and_then(|()| zip.write_all(bytes))
        .and_then(|()| zip.finish().map_err(std::io::Error::other));
    // The end-of-directory record every archive has once.
    written.map_or(0, |c| c.len.saturating_sub(22))
}

/// A sink that keeps only the size of what is written to it (the zip writer seeks back to patch
/// headers, which does not make the file longer).
#[derive(Debug, Default)]
struct Counter {
    position: u64,
    len: u64,
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.position += buf.len() as u64;
        self.len = self.len.max(self.position);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for Counter {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let base = match to {
            std::io::SeekFrom::Start(n) => {
                self.position = n;
                return Ok(n);
            }
            std::io::SeekFrom::End(d) => (self.len, d),
            std::io::SeekFrom::Current(d) => (self.position, d),
        };
        self.position = base
            .0
            .checked_add_signed(base.1)
            .ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.position)
    }
}

/// The zip crate's I/O error says "i/o error: …" and then gives the same error as its cause, so
/// the message would name it twice ("No space left on device" twice): keep the I/O error alone.
fn io_error_alone(error: anyhow::Error) -> anyhow::Error {
    match error.downcast::<zip::result::ZipError>() {
        Ok(zip::result::ZipError::Io(io)) => io.into(),
        Ok(other) => other.into(),
        Err(error) => error,
    }
}

/// The folder `out` goes into, after checking that a book may be written to `out`: nothing is
/// there, or an earlier book is. Anything else at that path (a document, a device, a FIFO) is
/// the user's and is never replaced; the rename that puts a book in place would replace it.
pub fn destination_dir(out: &Path) -> Result<&Path> {
    if out.is_dir() {
        bail!(
            "the output path `{}` is a folder; give a file name such as `book.epub`",
            out.display()
        );
    }
    if let Ok(meta) = std::fs::metadata(out) {
        if !meta.is_file() {
            bail!(
                "the output path `{}` is not a regular file (a device, FIFO or socket); give the \
                 name of a new file, or of an earlier book to replace",
                out.display()
            );
        }
        if !is_epub(out) {
            bail!(
                "`{}` exists and is not an EPUB book; lessonpub replaces only an earlier book, \
                 so choose another name or move that file away",
                out.display()
            );
        }
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if dir.exists() && !dir.is_dir() {
        bail!(
            "the output folder `{}` is a file, not a folder; give a folder (or, with `-o`, a \
             path inside one)",
            dir.display()
        );
    }
    if !dir.is_dir() {
        bail!(
            "the output folder `{}` does not exist; create it first",
            dir.display()
        );
    }
    Ok(dir)
}

/// Whether the regular file at `path` starts as every EPUB does: a zip whose first entry is an
/// uncompressed `mimetype` of `application/epub+zip` (OCF 3.3, 4.2.4).
fn is_epub(path: &Path) -> bool {
    let mut head = [0u8; 58];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head.starts_with(b"PK\x03\x04")
        && &head[30..38] == b"mimetype"
        && &head[38..58] == b"application/epub+zip"
}

fn write_zip<W: Write + Seek>(
    p: &Contents,
    chapters: impl Iterator<Item = std::io::Result<String>>,
    sink: W,
) -> Result<()> {
    let mut zip = ZipWriter::new(sink);
    let time = zip_time(p.modified);
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let deflated = stored
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(TEXT_LEVEL));

    // The mimetype must come first, uncompressed and without extra fields (OCF 3.3, 4.2.4).
    zip.start_file("mimetype", stored)?;
    zip.write_all(b"application/epub+zip")?;
    zip.start_file("META-INF/container.xml", deflated)?;
    zip.write_all(container_xml().as_bytes())?;
    zip.start_file(format!("{ROOT}/package.opf"), deflated)?;
    zip.write_all(package_opf(p).as_bytes())?;
    zip.start_file(format!("{ROOT}/text/nav.xhtml"), deflated)?;
    zip.write_all(nav_xhtml(p).as_bytes())?;
    zip.start_file(format!("{ROOT}/toc.ncx"), deflated)?;
    zip.write_all(toc_ncx(p).as_bytes())?;
    zip.start_file(format!("{ROOT}/styles/book.css"), deflated)?;
    zip.write_all(p.extras.css.as_bytes())?;
    zip.start_file(format!("{ROOT}/text/cover.xhtml"), deflated)?;
    let cover_page = render::cover(
        &p.book.title,
        &p.book.language,
        &p.cover.book_path,
        image_size(p.cover)?,
    );
    zip.write_all(cover_page.as_bytes())?;
    let mut written = 0;
    for (chapter, xhtml) in p.chapters.iter().zip(chapters) {
        let xhtml = xhtml.context(READ_BACK)?;
        zip.start_file(format!("{ROOT}/{}", chapter.href()), deflated)?;
        zip.write_all(xhtml.as_bytes())?;
        written += 1;
    }
    if written != p.chapters.len() {
        bail!(
            "{written} chapters were rendered for a book of {}",
            p.chapters.len()
        );
    }
    // Images are compressed already; deflating them again costs time and saves nothing.
    for asset in std::iter::once(p.cover).chain(&p.book.images) {
        zip.start_file(format!("{ROOT}/{}", asset.book_path), stored)?;
        asset.bytes.copy_to(&mut zip)?;
    }
    zip.finish()?.flush()?;
    Ok(())
}

/// The width and height of an image the book holds, read from its header.
fn image_size(asset: &Asset) -> Result<(u32, u32)> {
    image::ImageReader::new(std::io::Cursor::new(asset.bytes.to_vec()?))
        .with_guessed_format()?
        .into_dimensions()
        .with_context(|| format!("cannot read the size of the cover `{}`", asset.book_path))
}

fn zip_time(t: OffsetDateTime) -> zip::DateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let year = t.year().clamp(1980, 2107) as u16;
    zip::DateTime::from_date_and_time(
        year,
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .unwrap_or_default()
}

/// `CCYY-MM-DDThh:mm:ssZ`, the only form `dcterms:modified` allows.
fn w3c_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn container_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n  <rootfiles>\n    <rootfile full-path=\"{ROOT}/package.opf\" media-type=\"application/oebps-package+xml\"/>\n  </rootfiles>\n</container>\n"
    )
}

fn package_opf(p: &Contents) -> String {
    let mut o = String::new();
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str(&format!(
        "<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"book-id\" xml:lang=\"{}\">\n",
        escape(&p.book.language)
    ));
    o.push_str("  <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n");
    o.push_str(&format!(
        "    <dc:identifier id=\"book-id\">{}</dc:identifier>\n",
        escape(&p.identifier)
    ));
    o.push_str(&format!(
        "    <dc:title>{}</dc:title>\n",
        escape(&p.book.title)
    ));
    o.push_str(&format!(
        "    <dc:language>{}</dc:language>\n",
        escape(&p.book.language)
    ));
    if let Some(author) = &p.book.author {
        o.push_str(&format!(
            "    <dc:creator id=\"creator\">{}</dc:creator>\n",
            escape(author)
        ));
        o.push_str("    <meta refines=\"#creator\" property=\"role\" scheme=\"marc:relators\">aut</meta>\n");
    }
    o.push_str(&format!(
        "    <meta property=\"dcterms:modified\">{}</meta>\n",
        w3c_date(p.modified)
    ));
    if let Some(volume) = &p.extras.volume {
        // EPUB 3 readers (Apple Books, Kobo, KOReader) group the volumes as a series; calibre
        // and the Kobo firmware read calibre's own two.
        o.push_str(&format!(
            "    <meta property=\"belongs-to-collection\" id=\"series\">{}</meta>\n",
            escape(volume.series)
        ));
        o.push_str("    <meta refines=\"#series\" property=\"collection-type\">series</meta>\n");
        o.push_str(&format!(
            "    <meta refines=\"#series\" property=\"group-position\">{}</meta>\n",
            volume.number
        ));
        o.push_str(&format!(
            "    <meta name=\"calibre:series\" content=\"{}\"/>\n",
            escape(volume.series)
        ));
        o.push_str(&format!(
            "    <meta name=\"calibre:series_index\" content=\"{}\"/>\n",
            volume.number
        ));
    }
    // EPUB 2 readers (older Kindles, Adobe RMSDK) find the cover through this element.
    o.push_str("    <meta name=\"cover\" content=\"cover-image\"/>\n");
    o.push_str("  </metadata>\n  <manifest>\n");
    let item = |o: &mut String, id: &str, href: &str, media: &str, props: Option<&str>| {
        let props = props
            .map(|p| format!(" properties=\"{p}\""))
            .unwrap_or_default();
        o.push_str(&format!(
            "    <item id=\"{id}\" href=\"{}\" media-type=\"{media}\"{props}/>\n",
            escape(href)
        ));
    };
    item(
        &mut o,
        "nav",
        "text/nav.xhtml",
        "application/xhtml+xml",
        Some("nav"),
    );
    item(&mut o, "ncx", "toc.ncx", "application/x-dtbncx+xml", None);
    item(&mut o, "css", "styles/book.css", "text/css", None);
    item(
        &mut o,
        "cover-image",
        &p.cover.book_path,
        p.cover.media_type,
        Some("cover-image"),
    );
    item(
        &mut o,
        "cover",
        "text/cover.xhtml",
        "application/xhtml+xml",
        Some("svg"),
    );
    for chapter in &p.chapters {
        item(
            &mut o,
            &chapter.id,
            &chapter.href(),
            "application/xhtml+xml",
            chapter.mathml.then_some("mathml"),
        );
    }
    for (i, asset) in p.book.images.iter().enumerate() {
        item(
            &mut o,
            &format!("img-{:04}", i + 1),
            &asset.book_path,
            asset.media_type,
            None,
        );
    }
    o.push_str("  </manifest>\n  <spine toc=\"ncx\">\n    <itemref idref=\"cover\"/>\n    <itemref idref=\"nav\"/>\n");
    for chapter in &p.chapters {
        o.push_str(&format!("    <itemref idref=\"{}\"/>\n", chapter.id));
    }
    o.push_str("  </spine>\n");
    // EPUB 2's guide: calibre and Kindles find the cover page here; without it calibre makes a
    // cover page of its own and the book opens on two covers.
    o.push_str(
        "  <guide>\n    <reference type=\"cover\" title=\"封面\" href=\"text/cover.xhtml\"/>\n",
    );
    o.push_str("    <reference type=\"toc\" title=\"目录\" href=\"text/nav.xhtml\"/>\n");
    if let Some(first) = p.chapters.first() {
        o.push_str(&format!(
            "    <reference type=\"text\" title=\"正文\" href=\"{}\"/>\n",
            first.href()
        ));
    }
    o.push_str("  </guide>\n</package>\n");
    o
}

/// The navigation document; it sits in `text/` beside the chapters it links to.
fn nav_xhtml(p: &Contents) -> String {
    render::document("目录", &p.book.language, "nav", |w: &mut Writer| {
        w.open("nav", &[("epub:type", "toc"), ("id", "toc")]);
        w.element("h1", &[], "目录");
        w.open("ol", &[]);
        let link = |w: &mut Writer, chapter: &Chapter| {
            w.element(
                "a",
                &[("href", &format!("{}.xhtml", chapter.id))],
                &chapter.title,
            );
        };
        for entry in &p.entries {
            match entry {
                Entry::Chapter(i) => {
                    w.open("li", &[]);
                    link(w, &p.chapters[*i]);
                    w.close("li");
                }
                // The part's name leads to its first lesson, so it is a place to go as well.
                Entry::Part { name, chapters } => {
                    w.open("li", &[("class", "part")]);
                    let first = &p.chapters[chapters.start];
                    w.element("a", &[("href", &format!("{}.xhtml", first.id))], name);
                    w.open("ol", &[]);
                    for chapter in &p.chapters[chapters.clone()] {
                        w.open("li", &[]);
                        link(w, chapter);
                        w.close("li");
                    }
                    w.close("ol");
                    w.close("li");
                }
            }
        }
        w.close("ol");
        w.close("nav");
        w.open("nav", &[("epub:type", "landmarks"), ("hidden", "hidden")]);
        w.open("ol", &[]);
        let mut landmarks = vec![
            ("cover", "cover.xhtml".to_owned(), "封面"),
            ("toc", "nav.xhtml#toc".to_owned(), "目录"),
        ];
        if let Some(first) = p.chapters.first() {
            landmarks.push(("bodymatter", format!("{}.xhtml", first.id), "正文"));
        }
        for (kind, href, label) in &landmarks {
            w.open("li", &[]);
            w.element("a", &[("epub:type", kind), ("href", href)], label);
            w.close("li");
        }
        w.close("ol");
        w.close("nav");
    })
}

fn toc_ncx(p: &Contents) -> String {
    let mut o = String::new();
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str(
        "<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\">\n  <head>\n",
    );
    o.push_str(&format!(
        "    <meta name=\"dtb:uid\" content=\"{}\"/>\n",
        escape(&p.identifier)
    ));
    let parts = p.entries.iter().any(|e| matches!(e, Entry::Part { .. }));
    let depth = if parts { 2 } else { 1 };
    o.push_str(&format!("    <meta name=\"dtb:depth\" content=\"{depth}\"/>\n    <meta name=\"dtb:totalPageCount\" content=\"0\"/>\n    <meta name=\"dtb:maxPageNumber\" content=\"0\"/>\n  </head>\n"));
    o.push_str(&format!(
        "  <docTitle><text>{}</text></docTitle>\n  <navMap>\n",
        escape(&p.book.title)
    ));
    // NCX wants one playOrder per target: a part shares its first lesson's, ids stay unique.
    let mut id = 0;
    let mut point = |o: &mut String, label: &str, i: usize, indent: &str| {
        id += 1;
        o.push_str(&format!(
            "{indent}<navPoint id=\"nav-{id}\" playOrder=\"{}\"><navLabel><text>{}</text></navLabel><content src=\"{}\"/>",
            i + 1,
            escape(label),
            p.chapters[i].href()
        ));
    };
    for entry in &p.entries {
        match entry {
            Entry::Chapter(i) => {
                point(&mut o, &p.chapters[*i].title, *i, "    ");
                o.push_str("</navPoint>\n");
            }
            Entry::Part { name, chapters } => {
                point(&mut o, name, chapters.start, "    ");
                o.push('\n');
                for i in chapters.clone() {
                    point(&mut o, &p.chapters[i].title, i, "      ");
                    o.push_str("</navPoint>\n");
                }
                o.push_str("    </navPoint>\n");
            }
        }
    }
    o.push_str("  </navMap>\n</ncx>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn book() -> Book {
        let lesson = crate::model::Lesson {
            source: "01.md".into(),
            title: "01 | 一".into(),
            article: crate::model::Article::Tree(Vec::new()),
            comments: crate::model::Comments::Chosen(Vec::new()),
            comments_in_source: 0,
            likes_recorded: false,
        };
        Book {
            title: "标题 & <副标题>".into(),
            author: Some("作者".into()),
            language: "zh-CN".into(),
            front: None,
            lessons: vec![lesson],
            parts: Vec::new(),
            images: Vec::new(),
        }
    }

    fn cover() -> Asset {
        let mut bytes = Vec::new();
        image::RgbImage::new(2, 3)
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        Asset {
            book_path: "images/cover.png".into(),
            media_type: "image/png",
            bytes: bytes.into(),
        }
    }

    fn modified() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
    }

    fn write_book(out: &Path) -> Result<u64> {
        let book = book();
        stage(
            &book,
            &cover(),
            Extras::default(),
            render::chapters(&book),
            modified(),
            out,
        )?
        .commit()
    }

    #[test]
    fn package_documents_are_well_formed_and_agree() {
        let (b, c) = (book(), cover());
        let p = Contents::new(&b, &c, Extras::default(), modified());
        for doc in [package_opf(&p), nav_xhtml(&p), toc_ncx(&p), container_xml()] {
            roxmltree::Document::parse_with_options(
                &doc,
                roxmltree::ParsingOptions {
                    allow_dtd: true,
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{e}\n{doc}"));
        }
        let opf = package_opf(&p);
        assert!(opf.contains("<dc:title>标题 &amp; &lt;副标题&gt;</dc:title>"));
        assert!(opf.contains("<meta property=\"dcterms:modified\">2023-11-14T22:13:20Z</meta>"));
        assert!(toc_ncx(&p).contains(&p.identifier));
        assert!(opf.contains(
            "<item id=\"cover\" href=\"text/cover.xhtml\" media-type=\"application/xhtml+xml\" \
             properties=\"svg\"/>"
        ));
        assert!(
            opf.contains("<reference type=\"cover\" title=\"封面\" href=\"text/cover.xhtml\"/>")
        );
    }

    #[test]
    fn contents_group_lessons_into_the_parts_their_titles_name() {
        let mut b = book();
        let lesson = b.lessons[0].clone();
        b.front = Some(lesson.clone());
        b.lessons = [
            "01 | 基础篇：一",
            "02 | 基础篇：二",
            "03 | 案例篇：三",
            "结束语 | 完",
        ]
        .iter()
        .map(|t| crate::model::Lesson {
            title: (*t).into(),
            ..lesson.clone()
        })
        .collect();
        let titles: Vec<&str> = b.lessons.iter().map(|l| l.title.as_str()).collect();
        b.parts = parts::from_titles(&titles);
        let c = cover();
        let p = Contents::new(&b, &c, Extras::default(), modified());
        let nav = nav_xhtml(&p);
        assert!(
            nav.contains(
                "<li class=\"part\"><a href=\"lesson-001.xhtml\">基础篇</a><ol><li><a \
                 href=\"lesson-001.xhtml\">01 | 基础篇：一</a></li><li><a \
                 href=\"lesson-002.xhtml\">02 | 基础篇：二</a></li></ol></li>"
            ),
            "{nav}"
        );
        assert!(nav.contains("<li><a href=\"front.xhtml\">"), "{nav}");
        assert!(
            nav.contains("</ol></li><li><a href=\"lesson-004.xhtml\">结束语 | 完</a></li></ol>")
        );
        let ncx = toc_ncx(&p);
        let doc = roxmltree::Document::parse(&ncx).unwrap_or_else(|e| panic!("{e}\n{ncx}"));
        let points: Vec<(String, usize)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("navPoint"))
            .map(|n| {
                let label = n.descendants().find(|d| d.has_tag_name("text")).unwrap();
                let depth = n.ancestors().filter(|a| a.has_tag_name("navPoint")).count();
                (label.text().unwrap().to_owned(), depth)
            })
            .collect();
        let expected = [
            ("01 | 一", 1),
            ("基础篇", 1),
            ("01 | 基础篇：一", 2),
            ("02 | 基础篇：二", 2),
            ("案例篇", 1),
            ("03 | 案例篇：三", 2),
            ("结束语 | 完", 1),
        ];
        let expected: Vec<(String, usize)> = expected
            .iter()
            .map(|(t, d)| ((*t).to_owned(), *d))
            .collect();
        assert_eq!(points, expected);
        assert!(ncx.contains("dtb:depth\" content=\"2\""));
    }

    #[test]
    fn chapters_with_mathml_declare_it_and_only_they() {
        let mut b = book();
        let mut with_math = b.lessons[0].clone();
        with_math.article =
            crate::model::Article::Tree(crate::sanitize::article("<p><math><mi>x</mi></math></p>"));
        b.lessons.push(with_math);
        let c = cover();
        let opf = package_opf(&Contents::new(&b, &c, Extras::default(), modified()));
        assert!(opf.contains(
            "<item id=\"lesson-002\" href=\"text/lesson-002.xhtml\" \
             media-type=\"application/xhtml+xml\" properties=\"mathml\"/>"
        ));
        assert_eq!(opf.matches("mathml").count(), 1, "{opf}");
    }

    #[test]
    fn measure_gives_the_size_stage_writes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.epub");
        let b = book();
        let extras = Extras {
            css: "p {}",
            volume: Some(Volume {
                series: "标题",
                number: 2,
            }),
        };
        let measured = measure(&b, &cover(), extras, render::chapters(&b), modified()).unwrap();
        let staged = stage(&b, &cover(), extras, render::chapters(&b), modified(), &out).unwrap();
        assert_eq!(staged.commit().unwrap(), measured);
        assert_eq!(fs::metadata(&out).unwrap().len(), measured);
    }

    #[test]
    fn a_volume_names_its_series_and_place() {
        let (b, c) = (book(), cover());
        let extras = Extras {
            volume: Some(Volume {
                series: "专栏 & 书",
                number: 3,
            }),
            ..Extras::default()
        };
        let opf = package_opf(&Contents::new(&b, &c, extras, modified()));
        roxmltree::Document::parse(&opf).unwrap();
        assert!(opf.contains("id=\"series\">专栏 &amp; 书</meta>"), "{opf}");
        assert!(
            opf.contains("property=\"group-position\">3</meta>"),
            "{opf}"
        );
    }

    #[test]
    fn entry_sizes_add_up_to_an_archive() {
        let text = "<p>课</p>".repeat(500);
        let deflated = entry_size("text/lesson-001.xhtml", text.as_bytes(), true);
        let stored = entry_size("images/a.png", &[7; 1000], false);
        assert!(deflated < text.len() as u64 / 10, "{deflated}");
        assert!((1000..1200).contains(&stored), "{stored}");
    }

    #[test]
    fn mimetype_comes_first_and_stored() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.epub");
        write_book(&out).unwrap();
        let bytes = fs::read(&out).unwrap();
        assert_eq!(&bytes[30..38], b"mimetype");
        assert_eq!(&bytes[38..58], b"application/epub+zip");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["b.epub"]);
    }

    #[test]
    fn a_write_error_is_named_once() {
        let full = std::io::Error::from_raw_os_error(28);
        let error = io_error_alone(zip::result::ZipError::Io(full).into()).context("cannot write");
        let shown = format!("{error:#}");
        assert_eq!(
            shown.matches("No space left on device").count(),
            1,
            "{shown}"
        );
    }

    #[test]
    fn same_input_gives_identical_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.epub"), dir.path().join("b.epub"));
        write_book(&a).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write_book(&b).unwrap();
        assert_eq!(fs::read(a).unwrap(), fs::read(b).unwrap());
    }

    #[test]
    fn a_chapter_missing_is_an_error_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.epub");
        let err = stage(
            &book(),
            &cover(),
            Extras::default(),
            std::iter::empty(),
            modified(),
            &out,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("0 chapters"), "{err:#}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn output_errors_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_book(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is a folder"), "{err}");
        let err = write_book(&dir.path().join("missing/b.epub"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        let err = write_book(&file.join("b.epub")).unwrap_err().to_string();
        assert!(err.contains("is a file, not a folder"), "{err}");
    }
}
