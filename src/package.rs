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
use rayon::prelude::*;
use time::OffsetDateTime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::model::Asset;
use crate::xhtml::{Writer, escape};

/// The stylesheet of every book, compiled in.
pub const BOOK_CSS: &str = include_str!("../styles/book.css");

/// Everything the package needs, in reading order.
pub struct Package<'a> {
    pub title: &'a str,
    pub author: Option<&'a str>,
    pub language: &'a str,
    /// `urn:uuid:…`, stable for a column so a rebuild replaces the book on a device.
    pub identifier: String,
    /// `dcterms:modified`, and the timestamp of every zip entry.
    pub modified: OffsetDateTime,
    pub cover_image: &'a Asset,
    /// The cover page XHTML.
    pub cover_page: String,
    pub chapters: Vec<Chapter>,
    /// The XHTML of chapter `i`. Chapters are rendered as they are written, a few at a time in
    /// parallel, so a large column never has all its chapters in memory at once.
    pub render: &'a (dyn Fn(usize) -> Result<String> + Sync),
    pub assets: &'a [Asset],
}

/// One XHTML document of the spine.
#[derive(Debug, Clone)]
pub struct Chapter {
    /// Manifest id and file stem, ASCII: `lesson-001`.
    pub id: String,
    pub title: String,
}

/// Chapters rendered at a time: enough to keep every core busy, few enough to bound memory.
const RENDER_BATCH: usize = 16;

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

    pub fn size(&self) -> u64 {
        self.size
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

/// Writes the book into a temporary file beside `out` (see `Staged`).
pub fn stage(package: &Package, out: &Path) -> Result<Staged> {
    let dir = destination_dir(out)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".lessonpub-").suffix(".part.epub");
    // A book is an ordinary document, readable by all like a file the user saved; temporary
    // files are owner-only by default.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let temp = builder.tempfile_in(dir).with_context(|| {
        format!(
            "cannot create a file in `{}`; is it writable?",
            dir.display()
        )
    })?;
    let path = temp.path().to_path_buf();
    crate::interrupt::guard(&path);
    let mut staged = Staged {
        temp: Some(temp),
        path,
        out: out.to_path_buf(),
        size: 0,
    };
    let file = staged.temp.as_mut().expect("just created").as_file_mut();
    let written = write_zip(package, BufWriter::new(&mut *file)).and_then(|()| {
        file.sync_all()?;
        Ok(file.metadata()?.len())
    });
    staged.size = written.with_context(|| format!("cannot write `{}`", out.display()))?;
    Ok(staged)
}

/// Writes the book to `out` atomically and returns its size in bytes.
pub fn write(package: &Package, out: &Path) -> Result<u64> {
    stage(package, out)?.commit()
}

/// The folder `out` goes into, after checking that `out` can be a book file there.
fn destination_dir(out: &Path) -> Result<&Path> {
    if out.is_dir() {
        bail!(
            "the output path `{}` is a folder; give a file name such as `book.epub`",
            out.display()
        );
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "the output folder `{}` does not exist; create it first",
            dir.display()
        );
    }
    Ok(dir)
}

fn write_zip<W: Write + Seek>(package: &Package, sink: W) -> Result<()> {
    let mut zip = ZipWriter::new(sink);
    let time = zip_time(package.modified);
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let deflated = stored.compression_method(CompressionMethod::Deflated);

    // The mimetype must come first, uncompressed and without extra fields (OCF 3.3, 4.2.4).
    zip.start_file("mimetype", stored)?;
    zip.write_all(b"application/epub+zip")?;
    zip.start_file("META-INF/container.xml", deflated)?;
    zip.write_all(container_xml().as_bytes())?;
    zip.start_file(format!("{ROOT}/package.opf"), deflated)?;
    zip.write_all(package_opf(package).as_bytes())?;
    zip.start_file(format!("{ROOT}/text/nav.xhtml"), deflated)?;
    zip.write_all(nav_xhtml(package).as_bytes())?;
    zip.start_file(format!("{ROOT}/toc.ncx"), deflated)?;
    zip.write_all(toc_ncx(package).as_bytes())?;
    zip.start_file(format!("{ROOT}/styles/book.css"), deflated)?;
    zip.write_all(BOOK_CSS.as_bytes())?;
    zip.start_file(format!("{ROOT}/text/cover.xhtml"), deflated)?;
    zip.write_all(package.cover_page.as_bytes())?;
    let indices: Vec<usize> = (0..package.chapters.len()).collect();
    for batch in indices.chunks(RENDER_BATCH) {
        let documents: Vec<String> = batch
            .par_iter()
            .map(|&i| (package.render)(i))
            .collect::<Result<_>>()?;
        for (&i, xhtml) in batch.iter().zip(documents) {
            zip.start_file(format!("{ROOT}/{}", package.chapters[i].href()), deflated)?;
            zip.write_all(xhtml.as_bytes())?;
        }
    }
    // Images are compressed already; deflating them again costs time and saves nothing.
    for asset in std::iter::once(package.cover_image).chain(package.assets) {
        zip.start_file(format!("{ROOT}/{}", asset.book_path), stored)?;
        zip.write_all(&asset.bytes)?;
    }
    zip.finish()?.flush()?;
    Ok(())
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

fn package_opf(p: &Package) -> String {
    let mut o = String::new();
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str(&format!(
        "<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"book-id\" xml:lang=\"{}\">\n",
        escape(p.language)
    ));
    o.push_str("  <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n");
    o.push_str(&format!(
        "    <dc:identifier id=\"book-id\">{}</dc:identifier>\n",
        escape(&p.identifier)
    ));
    o.push_str(&format!("    <dc:title>{}</dc:title>\n", escape(p.title)));
    o.push_str(&format!(
        "    <dc:language>{}</dc:language>\n",
        escape(p.language)
    ));
    if let Some(author) = p.author {
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
        &p.cover_image.book_path,
        p.cover_image.media_type,
        Some("cover-image"),
    );
    item(
        &mut o,
        "cover",
        "text/cover.xhtml",
        "application/xhtml+xml",
        None,
    );
    for chapter in &p.chapters {
        item(
            &mut o,
            &chapter.id,
            &chapter.href(),
            "application/xhtml+xml",
            None,
        );
    }
    for (i, asset) in p.assets.iter().enumerate() {
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
    o.push_str("  </spine>\n</package>\n");
    o
}

/// The navigation document; it sits in `text/` beside the chapters it links to.
fn nav_xhtml(p: &Package) -> String {
    crate::render::document("目录", p.language, "nav", |w: &mut Writer| {
        w.open("nav", &[("epub:type", "toc"), ("id", "toc")]);
        w.element("h1", &[], "目录");
        w.open("ol", &[]);
        for chapter in &p.chapters {
            w.open("li", &[]);
            w.element(
                "a",
                &[("href", &format!("{}.xhtml", chapter.id))],
                &chapter.title,
            );
            w.close("li");
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

fn toc_ncx(p: &Package) -> String {
    let mut o = String::new();
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str(
        "<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\">\n  <head>\n",
    );
    o.push_str(&format!(
        "    <meta name=\"dtb:uid\" content=\"{}\"/>\n",
        escape(&p.identifier)
    ));
    o.push_str("    <meta name=\"dtb:depth\" content=\"1\"/>\n    <meta name=\"dtb:totalPageCount\" content=\"0\"/>\n    <meta name=\"dtb:maxPageNumber\" content=\"0\"/>\n  </head>\n");
    o.push_str(&format!(
        "  <docTitle><text>{}</text></docTitle>\n  <navMap>\n",
        escape(p.title)
    ));
    for (i, chapter) in p.chapters.iter().enumerate() {
        o.push_str(&format!(
            "    <navPoint id=\"nav-{}\" playOrder=\"{}\"><navLabel><text>{}</text></navLabel><content src=\"{}\"/></navPoint>\n",
            i + 1,
            i + 1,
            escape(&chapter.title),
            chapter.href()
        ));
    }
    o.push_str("  </navMap>\n</ncx>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn package<'a>(cover: &'a Asset, assets: &'a [Asset]) -> Package<'a> {
        Package {
            title: "标题 & <副标题>",
            author: Some("作者"),
            language: "zh-CN",
            identifier: "urn:uuid:00000000-0000-5000-8000-000000000000".into(),
            modified: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            cover_image: cover,
            cover_page: crate::render::cover("t", "zh-CN", &cover.book_path),
            chapters: vec![Chapter {
                id: "lesson-001".into(),
                title: "01 | 一".into(),
            }],
            render: &|_| {
                Ok(crate::render::document("01", "zh-CN", "lesson", |w| {
                    w.text("x")
                }))
            },
            assets,
        }
    }

    fn cover() -> Asset {
        Asset {
            book_path: "images/cover.png".into(),
            media_type: "image/png",
            bytes: vec![1, 2, 3],
        }
    }

    #[test]
    fn package_documents_are_well_formed_and_agree() {
        let c = cover();
        let p = package(&c, &[]);
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
    }

    #[test]
    fn mimetype_comes_first_and_stored() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.epub");
        let c = cover();
        write(&package(&c, &[]), &out).unwrap();
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
    fn same_input_gives_identical_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let c = cover();
        let (a, b) = (dir.path().join("a.epub"), dir.path().join("b.epub"));
        write(&package(&c, &[]), &a).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write(&package(&c, &[]), &b).unwrap();
        assert_eq!(fs::read(a).unwrap(), fs::read(b).unwrap());
    }

    #[test]
    fn output_errors_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let c = cover();
        let err = write(&package(&c, &[]), dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a folder"), "{err}");
        let err = write(&package(&c, &[]), &dir.path().join("missing/b.epub"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
    }
}
