//! Test harness: run the real binary, open the EPUB it wrote, run EPUBCheck on it.

#![allow(dead_code)] // each test module uses a different part of the harness

pub mod server;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What the fuzz targets assert, and the renderers they assert it on.
#[path = "../../../fuzz/fuzz_targets/checks.rs"]
pub mod checks;

pub const BIN: &str = env!("CARGO_BIN_EXE_lessonpub");

/// The `lessonpub` binary as every test runs it: with an empty user-wide settings file of the
/// tests' own, never the user's (`~/.config/lessonpub/config.toml`).
pub fn command() -> Command {
    let mut command = Command::new(BIN);
    command.env("LESSONPUB_CONFIG", empty_user_config());
    command
}

/// An empty settings file in the tests' temporary folder.
pub fn empty_user_config() -> &'static Path {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("empty-user-config.toml");
        std::fs::write(&path, "").expect("write the tests' empty user-wide settings file");
        path
    })
}

/// Runs `lessonpub` with `args` and returns its output, whatever the exit status.
pub fn lessonpub<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    command()
        // The tests must never reach a real host; a build that forgets --offline would use the
        // user's cache, so point the cache at nowhere useful.
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .output()
        .expect("run the lessonpub binary")
}

/// `lessonpub build COLUMN -o OUT --offline EXTRA...`, whatever the outcome.
pub fn build_offline(column: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "build".as_ref(),
        column.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    lessonpub(args)
}

/// The lesson files of a corpus column and their text, counted as the corpus README counts
/// them: every file of the column but `index.md` and the introduction page (`source_intro`).
pub fn source_lessons(column: &Path) -> Vec<(PathBuf, String)> {
    let (files, intro) = source_files(column);
    files
        .into_iter()
        .filter(|p| p.file_name().unwrap() != "index.md" && Some(p) != intro.as_ref())
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The introduction page of a corpus column, if its layout has one.
pub fn source_intro(column: &Path) -> Option<PathBuf> {
    source_files(column).1
}

/// Every file of a corpus column, and which is the introduction page, by the corpus README's
/// descriptions of the layouts: an MkDocs column's is `docs/<site_name>.md`; without
/// `mkdocs.yml`, `docs/<the name index.md holds>.md`; in a built site, the page whose `<title>`
/// is its folder's name (the folder named after the column).
fn source_files(column: &Path) -> (Vec<PathBuf>, Option<PathBuf>) {
    let list = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let docs = column.join("docs");
    if let Ok(yml) = std::fs::read_to_string(column.join("mkdocs.yml")) {
        let site = yml
            .lines()
            .find_map(|l| l.strip_prefix("site_name:"))
            .unwrap()
            .trim()
            .to_owned();
        return (list(&docs), Some(docs.join(format!("{site}.md"))));
    }
    if docs.is_dir() {
        let name = std::fs::read_to_string(docs.join("index.md")).unwrap();
        return (list(&docs), Some(docs.join(format!("{}.md", name.trim()))));
    }
    let pages: Vec<PathBuf> = list(column)
        .into_iter()
        .map(|p| p.join("index.html"))
        .filter(|p| p.is_file())
        .collect();
    if pages.is_empty() {
        return (list(column), None);
    }
    let intro = pages
        .iter()
        .find(|page| {
            let folder = page
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap();
            std::fs::read_to_string(page)
                .unwrap()
                .contains(&format!("<title>{folder} - 极客时间文档</title>"))
        })
        .cloned();
    (pages, intro)
}

/// Panics with the command's output unless it exited 0.
#[track_caller]
pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Panics unless the command failed, and returns its stderr.
#[track_caller]
pub fn assert_failure(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "{what}: expected failure, got exit 0\n--- stderr\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: panicked\n{stderr}");
    stderr
}

/// `../shared` beside the project, or `LESSONPUB_SHARED`, as build.rs saw it.
pub const SHARED: &str = env!("LESSONPUB_SHARED_DIR");

/// A folder of `../shared`. The tests that need one are compiled as ignored when it is missing
/// (build.rs), unless `LESSONPUB_REQUIRE_CORPUS=1` asks for them to fail instead: here.
#[track_caller]
fn shared(folder: &str) -> PathBuf {
    let dir = Path::new(SHARED).join(folder);
    assert!(
        dir.is_dir(),
        "`{}` is missing, and LESSONPUB_REQUIRE_CORPUS is set: clone ../shared beside the project \
         (or point LESSONPUB_SHARED at a copy)",
        dir.display()
    );
    dir
}

/// The real columns (`../shared/corpus`).
#[track_caller]
pub fn corpus() -> PathBuf {
    shared("corpus")
}

/// The sample images of the acceptance check (`../shared/checks/images`).
#[track_caller]
pub fn image_samples() -> PathBuf {
    shared("checks/images")
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of a fixture column in a temporary folder, so a test can add files to it.
pub fn column_copy(name: &str, tmp: &Path) -> PathBuf {
    let to = tmp.join(name);
    copy_dir(&fixture(name), &to);
    to
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// An EPUB opened for inspection.
pub struct Book {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Names in archive order.
    pub order: Vec<String>,
    pub opf_path: String,
}

pub struct NavEntry {
    pub label: String,
    pub href: String,
}

impl Book {
    pub fn open(path: &Path) -> Book {
        let file =
            std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let mut zip = zip::ZipArchive::new(file).expect("a zip archive");
        let mut files = BTreeMap::new();
        let mut order = Vec::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).expect("zip entry");
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read zip entry");
            let name = entry.name().expect("UTF-8 entry name").into_owned();
            order.push(name.clone());
            files.insert(name, bytes);
        }
        let container = String::from_utf8(files["META-INF/container.xml"].clone()).unwrap();
        let doc = parse_xml(&container);
        let opf_path = doc
            .descendants()
            .find(|n| n.has_tag_name("rootfile"))
            .and_then(|n| n.attribute("full-path"))
            .expect("rootfile")
            .to_owned();
        Book {
            files,
            order,
            opf_path,
        }
    }

    pub fn text(&self, name: &str) -> String {
        String::from_utf8(
            self.files
                .get(name)
                .unwrap_or_else(|| panic!("no {name} in book"))
                .clone(),
        )
        .expect("UTF-8")
    }

    fn content_dir(&self) -> String {
        match self.opf_path.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/"),
            None => String::new(),
        }
    }

    /// Manifest items: id -> (href relative to the archive root, media type, properties).
    pub fn manifest(&self) -> BTreeMap<String, (String, String, String)> {
        let opf = self.text(&self.opf_path);
        let doc = parse_xml(&opf);
        doc.descendants()
            .filter(|n| n.has_tag_name("item"))
            .map(|n| {
                let href = format!("{}{}", self.content_dir(), n.attribute("href").unwrap());
                let media = n.attribute("media-type").unwrap().to_owned();
                let props = n.attribute("properties").unwrap_or("").to_owned();
                (n.attribute("id").unwrap().to_owned(), (href, media, props))
            })
            .collect()
    }

    /// Archive paths of the spine documents, in reading order.
    pub fn spine(&self) -> Vec<String> {
        let manifest = self.manifest();
        let opf = self.text(&self.opf_path);
        let doc = parse_xml(&opf);
        doc.descendants()
            .filter(|n| n.has_tag_name("itemref"))
            .map(|n| manifest[n.attribute("idref").unwrap()].0.clone())
            .collect()
    }

    /// The `toc` navigation entries, in order, with hrefs resolved to archive paths.
    pub fn nav(&self) -> Vec<NavEntry> {
        let (nav_path, _, _) = self
            .manifest()
            .into_values()
            .find(|(_, _, p)| p.split_whitespace().any(|p| p == "nav"))
            .expect("nav item");
        let nav_dir = nav_path
            .rsplit_once('/')
            .map(|(d, _)| format!("{d}/"))
            .unwrap_or_default();
        let text = self.text(&nav_path);
        let doc = parse_xml(&text);
        let toc = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("nav")
                    && n.attributes()
                        .any(|a| a.name() == "type" && a.value() == "toc")
            })
            .expect("toc nav");
        toc.descendants()
            .filter(|n| n.has_tag_name("a"))
            .map(|a| NavEntry {
                label: a
                    .descendants()
                    .filter(|t| t.is_text())
                    .filter_map(|t| t.text())
                    .collect::<String>()
                    .trim()
                    .to_owned(),
                href: format!("{nav_dir}{}", a.attribute("href").unwrap()),
            })
            .collect()
    }

    /// All XHTML documents: (archive path, text).
    pub fn xhtml(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .filter(|(name, _)| name.ends_with(".xhtml"))
            .map(|(name, bytes)| {
                (
                    name.clone(),
                    String::from_utf8(bytes.clone()).expect("UTF-8 XHTML"),
                )
            })
            .collect()
    }

    /// Elements whose class list holds `class`, over all XHTML documents.
    pub fn count_class(&self, class: &str) -> usize {
        self.xhtml()
            .iter()
            .map(|(_, text)| {
                let doc = parse_xml(text);
                doc.descendants()
                    .filter(|n| {
                        n.attribute("class")
                            .is_some_and(|c| c.split_whitespace().any(|c| c == class))
                    })
                    .count()
            })
            .sum()
    }

    /// `src`, `href`, `poster` values anywhere in the markup that point off the book.
    pub fn remote_references(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, text) in self.xhtml() {
            let doc = parse_xml(&text);
            for node in doc.descendants().filter(|n| n.is_element()) {
                for attr in node.attributes() {
                    let v = attr.value().trim().to_ascii_lowercase();
                    let resource = matches!(attr.name(), "src" | "poster" | "srcset" | "data")
                        || (node.has_tag_name("link") && attr.name() == "href");
                    if resource && (v.contains("://") || v.starts_with("//")) {
                        out.push(format!("{name}: {}={}", attr.name(), attr.value()));
                    }
                }
            }
        }
        out
    }
}

pub fn parse_xml(text: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, options)
        .unwrap_or_else(|e| panic!("not well-formed XML: {e}"))
}

/// Runs EPUBCheck through the library's runner (`lessonpub check` uses the same one) and
/// panics unless it finds nothing at all, warnings included. Never skips: without EPUBCheck the
/// test fails and the runner's message says how to install it.
#[track_caller]
pub fn assert_epubcheck_clean(book: &Path) {
    let r = lessonpub::validate::epubcheck(book)
        .unwrap_or_else(|e| panic!("EPUBCheck on {}: {e:#}", book.display()));
    assert!(
        r.fatal == 0 && r.errors == 0 && r.warnings == 0,
        "EPUBCheck {} on {}: {} fatal, {} errors, {} warnings\n{}",
        r.version,
        book.display(),
        r.fatal,
        r.errors,
        r.warnings,
        r.findings
            .iter()
            .take(10)
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
