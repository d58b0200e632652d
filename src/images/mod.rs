//! Every image a book needs (article images and comment avatars) -> files embedded in the book.
//!
//! Takes the book and the column folder; gives the image files to store, the in-book path(s)
//! of each source, counts, and the images that could not be had. Steps:
//!
//! 1. collect the distinct sources in reading order (one per URL, however many lessons or uses
//!    share it);
//! 2. get the original bytes of each: from the persistent cache, a download (`fetch`, on
//!    `--jobs` threads), a local file inside the column (`local`) or a `data:` URL;
//! 3. make book-ready files (`convert`, on every core through rayon), or take them from the
//!    cache of processed images;
//! 4. name each file by the hash of its bytes, so identical images are stored once.
//!
//! An image that cannot be had is replaced by a placeholder, embedded only when used, so no
//! chapter ever refers to anything remote. This stage never prints, except for the progress bar.

mod cache;
pub mod convert;
mod fetch;
mod local;
mod placeholder;
mod source;

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

pub use cache::CacheMode;

use crate::config::{DEFAULT_JOBS, DEFAULT_MAX_WIDTH};
use crate::model::{Asset, Book};
use crate::diagnostics::Warning;
use cache::{Cache, ProcessedKey};
use convert::{Part, Settings};
use fetch::Fetcher;
use source::Source;

/// What the image is for; it decides how the image is processed and which placeholder stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Article,
    Avatar,
}

#[derive(Debug, Clone)]
pub struct ImageOptions {
    /// Make no network request.
    pub offline: bool,
    /// Downloads at a time.
    pub jobs: usize,
    /// The persistent cache folder; `None` when none could be found.
    pub cache_dir: Option<PathBuf>,
    pub cache_mode: CacheMode,
    pub max_width: u32,
    pub grayscale: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Warn about each uncached image of an `--offline` build, not just their number.
    pub verbose: bool,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions {
            offline: false,
            jobs: usize::from(DEFAULT_JOBS),
            cache_dir: None,
            cache_mode: CacheMode::Use,
            max_width: DEFAULT_MAX_WIDTH,
            grayscale: false,
            progress: false,
            verbose: false,
        }
    }
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
    /// Sources replaced by a placeholder.
    pub failed: usize,
    /// Image files stored in the book (placeholders included), and their size.
    pub files: usize,
    pub file_bytes: u64,
}

/// An image that could not be had; a placeholder stands in for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The source as written in the lesson.
    pub src: String,
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
            2 => " (also used in 1 other lesson)".to_owned(),
            n => format!(" (also used in {} other lessons)", n - 1),
        };
        let message = format!(
            "image `{}`{others}: {}; shown as a placeholder",
            shown(&self.src),
            self.reason
        );
        match self.lessons.first() {
            Some(lesson) => Warning::in_file(lesson, None, message),
            None => Warning::new(message),
        }
    }
}

/// The images of a book: the files to store and, for each source, where the chapters find it.
#[derive(Debug, Default)]
pub struct Embedded {
    pub assets: Vec<Asset>,
    paths: HashMap<RefKey, Vec<String>>,
    pub stats: ImageStats,
    /// The images replaced by placeholders, in reading order.
    pub failures: Vec<Failure>,
}

/// A use of a source: its kind, the lesson folder when the source is a relative path (the same
/// text means different files in different folders), and the source as written.
type RefKey = (Kind, Option<PathBuf>, String);

fn ref_key(kind: Kind, lesson: &Path, src: &str) -> RefKey {
    let dir = Source::is_relative(src).then(|| lesson_dir(lesson));
    (kind, dir, src.to_owned())
}

fn lesson_dir(lesson: &Path) -> PathBuf {
    lesson.parent().unwrap_or(Path::new(".")).to_path_buf()
}

const ARTICLE_PLACEHOLDER: &str = "images/placeholder.png";
const AVATAR_PLACEHOLDER: &str = "images/avatar.png";

fn placeholder_path(kind: Kind) -> &'static str {
    match kind {
        Kind::Article => ARTICLE_PLACEHOLDER,
        Kind::Avatar => AVATAR_PLACEHOLDER,
    }
}

impl Embedded {
    /// The in-book paths (relative to the content folder) of the image(s) embedded for `src` as
    /// used in `lesson`: several for a tall image cut into slices, top to bottom.
    pub fn paths(&self, kind: Kind, lesson: &Path, src: &str) -> Vec<&str> {
        match self.paths.get(&ref_key(kind, lesson, src)) {
            Some(paths) => paths.iter().map(String::as_str).collect(),
            None => vec![placeholder_path(kind)],
        }
    }

    /// Stores the placeholder for `kind`, once.
    fn add_placeholder(&mut self, kind: Kind) {
        let path = placeholder_path(kind);
        if self.assets.iter().any(|a| a.book_path == path) {
            return;
        }
        let bytes = match kind {
            Kind::Article => placeholder::article_png(),
            Kind::Avatar => placeholder::avatar_png(),
        };
        self.stats.files += 1;
        self.stats.file_bytes += bytes.len() as u64;
        self.assets.push(Asset {
            book_path: path.to_owned(),
            media_type: "image/png",
            bytes,
        });
    }

    /// The in-book path of an image that is never sliced (avatars).
    pub fn path(&self, kind: Kind, lesson: &Path, src: &str) -> &str {
        self.paths
            .get(&ref_key(kind, lesson, src))
            .and_then(|p| p.first())
            .map_or(placeholder_path(kind), String::as_str)
    }
}

/// One distinct source and everything that uses it.
#[derive(Debug)]
struct Origin {
    source: Source,
    /// As written where first seen, for messages.
    src: String,
    kinds: Vec<Kind>,
    lessons: Vec<PathBuf>,
}

/// How the original bytes were had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Downloaded,
    Cached,
    Local,
}

/// What one use (kind) of an origin became: book-ready parts, or why there are none.
type KindParts = (Kind, Result<Vec<Part>, String>);

#[derive(Debug)]
enum Outcome {
    Got {
        how: How,
        size: u64,
        parts: Vec<KindParts>,
    },
    Missing {
        reason: String,
        offline: bool,
    },
}

/// Everything the workers share.
struct Context<'a> {
    options: &'a ImageOptions,
    /// The canonical column folder; `Err` says why local images cannot be read.
    column: Result<PathBuf, String>,
    cache: Cache,
    fetcher: Option<Fetcher>,
    settings: Settings,
    max_bytes: u64,
    /// The first error writing the cache, reported once.
    cache_error: Mutex<Option<String>>,
}

/// Embeds the images of `book`, whose lessons come from the `column` folder.
pub fn embed(book: &Book, column: &Path, options: &ImageOptions) -> (Embedded, Vec<Warning>) {
    let (origins, refs) = collect(book);
    let cache = Cache::new(options.cache_dir.as_deref(), options.cache_mode);
    let limits = fetch::Limits::default();
    let context = Context {
        options,
        column: column
            .canonicalize()
            .map_err(|e| format!("cannot resolve the column folder: {e}")),
        fetcher: (!options.offline).then(|| Fetcher::new(limits)),
        cache,
        settings: Settings {
            max_width: options.max_width,
            grayscale: options.grayscale,
        },
        max_bytes: limits.max_bytes,
        cache_error: Mutex::new(None),
    };
    if !origins.is_empty()
        && let Err(e) = context.cache.tag()
    {
        note_cache_error(&context, e);
    }
    let outcomes = run(&context, &origins);
    let mut embedded = assemble(&origins, outcomes, &refs);
    if has_empty_avatar(book) {
        embedded.add_placeholder(Kind::Avatar);
    }
    let warnings = warnings(&embedded, &context);
    (embedded, warnings)
}

/// Whether a comment has an avatar slot with an empty `src`: nothing to fetch and nothing to
/// warn about, but it is shown as the placeholder avatar.
fn has_empty_avatar(book: &Book) -> bool {
    book.front
        .iter()
        .chain(&book.lessons)
        .flat_map(|l| &l.avatars)
        .any(|a| a.is_empty())
}

/// The distinct sources of the book in reading order, and every use of each.
fn collect(book: &Book) -> (Vec<Origin>, Vec<(RefKey, usize)>) {
    let mut origins: Vec<Origin> = Vec::new();
    // Refused sources carry only a reason; their text keeps them apart.
    let mut index: HashMap<(Source, Option<String>), usize> = HashMap::new();
    let mut refs = Vec::new();
    let mut seen: HashSet<RefKey> = HashSet::new();
    for lesson in book.front.iter().chain(&book.lessons) {
        let dir = lesson_dir(&lesson.source);
        let article = lesson.article_images.iter().map(|s| (Kind::Article, s));
        let avatars = (lesson.avatars.iter())
            .filter(|s| !s.is_empty())
            .map(|s| (Kind::Avatar, s));
        for (kind, src) in article.chain(avatars) {
            let source = Source::classify(src, &dir);
            let refused = matches!(source, Source::Refused(_)).then(|| src.clone());
            let i = *index.entry((source.clone(), refused)).or_insert_with(|| {
                origins.push(Origin {
                    source,
                    src: src.clone(),
                    kinds: Vec::new(),
                    lessons: Vec::new(),
                });
                origins.len() - 1
            });
            let origin = &mut origins[i];
            if !origin.kinds.contains(&kind) {
                origin.kinds.push(kind);
            }
            if !origin.lessons.contains(&lesson.source) {
                origin.lessons.push(lesson.source.clone());
            }
            let key = ref_key(kind, &lesson.source, src);
            if seen.insert(key.clone()) {
                refs.push((key, i));
            }
        }
    }
    (origins, refs)
}

/// Gets and processes every origin: `jobs` threads get the bytes (downloads overlap), and each
/// image is then decoded and encoded on the rayon pool, so every core works while downloads
/// wait on the network. Only encoded bytes are kept; each decoded image lives in one task.
fn run(context: &Context, origins: &[Origin]) -> Vec<Outcome> {
    let results: Vec<Mutex<Option<Outcome>>> = origins.iter().map(|_| Mutex::new(None)).collect();
    let progress = progress_bar(context.options, origins.len());
    let next = AtomicUsize::new(0);
    let jobs = context.options.jobs.clamp(1, origins.len().max(1));
    let (results_ref, progress_ref) = (&results, &progress);
    let finish = move |i: usize, outcome: Outcome| {
        *results_ref[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        progress_ref.inc(1);
    };
    let finish = &finish;
    rayon::in_place_scope(|scope| {
        std::thread::scope(|threads| {
            for _ in 0..jobs {
                threads.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(origin) = origins.get(i) else { break };
                        if let Some(parts) = processed_before(context, origin) {
                            let how = How::Cached;
                            finish(
                                i,
                                Outcome::Got {
                                    how,
                                    size: 0,
                                    parts,
                                },
                            );
                            continue;
                        }
                        match obtain(context, origin) {
                            Err((reason, offline)) => {
                                finish(i, Outcome::Missing { reason, offline });
                            }
                            Ok((bytes, how)) => scope.spawn(move |_| {
                                let parts = process(context, origin, &bytes);
                                let size = bytes.len() as u64;
                                finish(i, Outcome::Got { how, size, parts });
                            }),
                        }
                    }
                });
            }
        });
    });
    progress.finish_and_clear();
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every origin gets an outcome before the scopes end")
        })
        .collect()
}

fn progress_bar(options: &ImageOptions, len: usize) -> ProgressBar {
    if !options.progress || len == 0 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("images {bar:30} {pos}/{len} ({elapsed})")
            .expect("the progress template is valid"),
    );
    bar
}

/// The original bytes of one origin, or why they cannot be had (and whether only `--offline`
/// is to blame).
fn obtain(context: &Context, origin: &Origin) -> Result<(Vec<u8>, How), (String, bool)> {
    match &origin.source {
        Source::Remote(url) => {
            if let Some(bytes) = context.cache.original(url) {
                return Ok((bytes, How::Cached));
            }
            if let Some(reason) = context.cache.missing(url) {
                return Err((
                    format!("{reason} (remembered from an earlier build; --refresh asks again)"),
                    false,
                ));
            }
            let Some(fetcher) = &context.fetcher else {
                return Err((
                    "not in the image cache, and --offline makes no network request".to_owned(),
                    true,
                ));
            };
            let bytes = fetcher.get(url).map_err(|e| {
                if e.permanent
                    && let Err(io) = context.cache.store_missing(url, &e.reason)
                {
                    note_cache_error(context, io);
                }
                (e.reason, false)
            })?;
            if let Err(e) = context.cache.store_original(url, &bytes) {
                note_cache_error(context, e);
            }
            Ok((bytes, How::Downloaded))
        }
        Source::Data(url) => source::decode_data_url(url, context.max_bytes)
            .map(|b| (b, How::Local))
            .map_err(|e| (format!("{e:#}"), false)),
        Source::Local(path) => {
            let column = context.column.as_ref().map_err(|e| (e.clone(), false))?;
            local::read(column, path, context.max_bytes)
                .map(|b| (b, How::Local))
                .map_err(|e| (format!("{e:#}"), false))
        }
        Source::Refused(reason) => Err((reason.clone(), false)),
    }
}

/// Every use of a remote origin as a previous build processed it, when the cache links its URL
/// to all of them: then the original is not even read.
fn processed_before(context: &Context, origin: &Origin) -> Option<Vec<KindParts>> {
    let Source::Remote(url) = &origin.source else {
        return None;
    };
    origin
        .kinds
        .iter()
        .map(|&kind| {
            let parts = context
                .cache
                .processed_for_url(url, kind, &context.settings)?;
            Some((kind, Ok(parts)))
        })
        .collect()
}

/// Book-ready parts of `bytes` for each use of the origin, from the cache when it has them.
fn process(context: &Context, origin: &Origin, bytes: &[u8]) -> Vec<KindParts> {
    origin
        .kinds
        .iter()
        .map(|&kind| {
            let key = ProcessedKey::new(bytes, kind, &context.settings);
            let parts = match context.cache.processed(&key) {
                Some(parts) => Ok(parts),
                None => {
                    let parts = convert::process(bytes, kind, &context.settings);
                    if let Ok(parts) = &parts
                        && let Err(e) = context.cache.store_processed(&key, parts)
                    {
                        note_cache_error(context, e);
                    }
                    parts
                }
            };
            if parts.is_ok()
                && let Source::Remote(url) = &origin.source
                && let Err(e) = context
                    .cache
                    .store_url_link(url, kind, &context.settings, &key)
            {
                note_cache_error(context, e);
            }
            (kind, parts.map_err(|e| format!("{e:#}")))
        })
        .collect()
}

fn note_cache_error(context: &Context, error: std::io::Error) {
    let mut first = context
        .cache_error
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    first.get_or_insert_with(|| error.to_string());
}

/// Names and stores the files, maps every use to its paths, and counts.
fn assemble(origins: &[Origin], outcomes: Vec<Outcome>, refs: &[(RefKey, usize)]) -> Embedded {
    let mut embedded = Embedded::default();
    embedded.stats.sources = origins.len();
    let mut stored: HashSet<String> = HashSet::new();
    let mut made: Vec<HashMap<Kind, Vec<String>>> = Vec::with_capacity(origins.len());
    for (origin, outcome) in origins.iter().zip(outcomes) {
        let mut paths = HashMap::new();
        let failure = |reason: String, offline: bool| Failure {
            src: origin.src.clone(),
            lessons: origin.lessons.clone(),
            reason,
            offline,
        };
        match outcome {
            Outcome::Missing { reason, offline } => {
                embedded.failures.push(failure(reason, offline));
            }
            Outcome::Got { how, size, parts } => {
                let stats = &mut embedded.stats;
                match how {
                    How::Downloaded => {
                        stats.downloaded += 1;
                        stats.downloaded_bytes += size;
                    }
                    How::Cached => stats.from_cache += 1,
                    How::Local => stats.local += 1,
                }
                let mut reason = None;
                for (kind, result) in parts {
                    match result {
                        Ok(parts) => {
                            let names = parts
                                .into_iter()
                                .map(|p| store(&mut embedded.assets, &mut stored, p))
                                .collect();
                            paths.insert(kind, names);
                        }
                        Err(why) => reason = Some(why),
                    }
                }
                if let Some(reason) = reason {
                    embedded.failures.push(failure(reason, false));
                }
            }
        }
        made.push(paths);
    }
    embedded.stats.failed = embedded.failures.len();
    let mut placeholders = Vec::new();
    for (key, i) in refs {
        match made[*i].get(&key.0) {
            Some(paths) => {
                embedded.paths.insert(key.clone(), paths.clone());
            }
            None if !placeholders.contains(&key.0) => placeholders.push(key.0),
            None => {}
        }
    }
    for kind in placeholders {
        embedded.add_placeholder(kind);
    }
    embedded.stats.files = embedded.assets.len();
    embedded.stats.file_bytes = embedded.assets.iter().map(|a| a.bytes.len() as u64).sum();
    embedded
}

/// Stores `part` once under a name made from its content, and returns that name.
fn store(assets: &mut Vec<Asset>, stored: &mut HashSet<String>, part: Part) -> String {
    let hash = cache::hex(&Sha256::digest(&part.bytes));
    let name = format!("images/{}.{}", &hash[..16], part.format.extension());
    if stored.insert(name.clone()) {
        assets.push(Asset {
            book_path: name.clone(),
            media_type: part.format.media_type(),
            bytes: part.bytes,
        });
    }
    name
}

/// One warning per image that failed; images missing only because of `--offline` are expected,
/// so they get one warning in all (one each with `-v`).
fn warnings(embedded: &Embedded, context: &Context) -> Vec<Warning> {
    let (offline, failed): (Vec<&Failure>, Vec<&Failure>) =
        embedded.failures.iter().partition(|f| f.offline);
    let mut warnings: Vec<Warning> = failed.iter().map(|f| f.warning()).collect();
    if !offline.is_empty() {
        let n = offline.len();
        let list = if context.options.verbose {
            ""
        } else {
            " (-v lists them)"
        };
        warnings.push(Warning::new(format!(
            "{n} remote image{} not in the image cache{list}: --offline downloads nothing, so \
             placeholders stand in; build once without --offline to download them",
            if n == 1 { " is" } else { "s are" }
        )));
        if context.options.verbose {
            warnings.extend(offline.iter().map(|f| f.warning()));
        }
    }
    let remote = embedded
        .failures
        .iter()
        .any(|f| f.src.to_ascii_lowercase().starts_with("http"));
    if context.options.cache_dir.is_none()
        && context.options.cache_mode != CacheMode::Off
        && (embedded.stats.downloaded > 0 || remote)
    {
        warnings.push(Warning::new(
            "no folder for the image cache was found, so images are downloaded again on every \
             build; set one with --cache-dir or LESSONPUB_CACHE_DIR",
        ));
    }
    let cache_error = context
        .cache_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let Some(error) = cache_error {
        let dir = context
            .options
            .cache_dir
            .as_deref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        warnings.push(Warning::new(format!(
            "cannot write to the image cache `{dir}` ({error}); the next build downloads again"
        )));
    }
    warnings
}

/// `src` made safe and short for a terminal: control and bidi characters escaped, long
/// `data:` URLs cut.
fn shown(src: &str) -> String {
    let mut out = String::new();
    for (i, c) in src.chars().enumerate() {
        if i == 80 && src.len() > 120 && src.starts_with("data:") {
            out.push('…');
            break;
        }
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LessonOutline;

    fn lesson(source: &str, images: &[&str], avatars: &[&str]) -> LessonOutline {
        LessonOutline {
            source: source.into(),
            title: "t".into(),
            article_images: images.iter().map(|s| s.to_string()).collect(),
            avatars: avatars.iter().map(|s| s.to_string()).collect(),
            comments: avatars.len(),
            comments_in_source: avatars.len(),
            likes_recorded: false,
        }
    }

    fn book(lessons: Vec<LessonOutline>) -> Book {
        Book {
            title: "b".into(),
            author: None,
            language: "zh-CN".into(),
            front: None,
            lessons,
        }
    }

    #[test]
    fn each_source_is_collected_once_with_all_its_uses() {
        let b = book(vec![
            lesson(
                "/c/1.md",
                &["https://h/a.png", "img/x.png"],
                &["https://h/a.png"],
            ),
            lesson("/c/sub/2.md", &["https://h/a.png", "img/x.png"], &[]),
        ]);
        let (origins, refs) = collect(&b);
        assert_eq!(origins.len(), 3, "{origins:?}");
        assert_eq!(origins[0].kinds, vec![Kind::Article, Kind::Avatar]);
        assert_eq!(origins[0].lessons.len(), 2);
        // The same relative path in two folders is two files.
        assert_eq!(origins[1].source, Source::Local("/c/img/x.png".into()));
        assert_eq!(origins[2].source, Source::Local("/c/sub/img/x.png".into()));
        assert_eq!(refs.len(), 4);
    }

    #[test]
    fn offline_without_cache_gives_placeholders_and_one_warning() {
        let b = book(vec![
            lesson(
                "/c/1.md",
                &["https://h/a.png", "https://h/b.png"],
                &["https://h/c.jpg"],
            ),
            lesson("/c/2.md", &["ftp://h/x.png"], &[]),
        ]);
        let options = ImageOptions {
            offline: true,
            cache_mode: CacheMode::Off,
            ..Default::default()
        };
        let (embedded, warnings) = embed(&b, Path::new("."), &options);
        assert_eq!(embedded.stats.failed, 4);
        assert_eq!(
            embedded.paths(Kind::Article, Path::new("/c/1.md"), "https://h/a.png"),
            vec![ARTICLE_PLACEHOLDER]
        );
        assert_eq!(
            embedded.path(Kind::Avatar, Path::new("/c/1.md"), "https://h/c.jpg"),
            AVATAR_PLACEHOLDER
        );
        let names: Vec<&str> = embedded
            .assets
            .iter()
            .map(|a| a.book_path.as_str())
            .collect();
        assert_eq!(names, vec![ARTICLE_PLACEHOLDER, AVATAR_PLACEHOLDER]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].message.contains("ftp:"), "{}", warnings[0]);
        assert!(
            warnings[1].message.starts_with("3 remote images"),
            "{}",
            warnings[1]
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
        let b = book(vec![lesson(lesson_name, &["a.png", "b.png"], &[])]);
        let options = ImageOptions {
            offline: true,
            cache_mode: CacheMode::Off,
            ..Default::default()
        };
        let (embedded, warnings) = embed(&b, dir.path(), &options);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(embedded.assets.len(), 1);
        assert_eq!(
            embedded.paths(Kind::Article, &lesson_file, "a.png"),
            embedded.paths(Kind::Article, &lesson_file, "b.png")
        );
        assert!(embedded.assets[0].book_path.ends_with(".png"));
        assert_eq!(embedded.stats.local, 2);
    }

    #[test]
    fn shown_sources_are_safe_for_a_terminal() {
        assert_eq!(shown("https://a/\u{1b}[31m"), "https://a/\\u{1b}[31m");
        assert_eq!(shown("https://a/\u{202e}x"), "https://a/\\u{202e}x");
        let long = format!("data:image/png;base64,{}", "A".repeat(500));
        assert!(shown(&long).chars().count() <= 81);
    }
}
