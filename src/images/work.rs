//! Getting the original bytes of every source and making book-ready files of them.
//!
//! `jobs` threads get the bytes (downloads overlap), and each image is then decoded and encoded
//! on the rayon pool, so every core works while downloads wait on the network. The persistent
//! cache is asked first at every step: for what a previous build made of a URL, then for the
//! original bytes, then for what was made of those bytes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::budget::{Budget, Lease};
use super::cache::{Cache, Content, ProcessedKey};
use super::convert::{self, Part, Settings};
use super::fetch::{self, Fetcher};
use super::original::Original;
use super::plan::Origin;
use super::source::{self, Source};
use super::store::Files;
use super::{Kind, local};
use crate::config::ImageOptions;

/// How the original bytes were had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum How {
    Downloaded,
    Cached,
    Local,
}

/// What one use (kind) of an origin became: book-ready parts, or why there are none.
type KindParts = (Kind, Result<Vec<Part>, String>);

/// As `KindParts`, with each part stored in `Files` and known by where it is held there.
pub(super) type KindFiles = (Kind, Result<Vec<usize>, String>);

#[derive(Debug)]
pub(super) enum Outcome {
    Got {
        how: How,
        size: u64,
        files: Vec<KindFiles>,
    },
    Missing {
        reason: String,
        offline: bool,
    },
}

/// Everything the workers share.
pub(super) struct Context<'a> {
    pub options: &'a ImageOptions,
    /// The canonical column folder; `Err` says why local images cannot be read.
    column: Result<PathBuf, String>,
    pub cache: Cache,
    fetcher: Option<Fetcher>,
    settings: Settings,
    max_bytes: u64,
    /// What the conversions running at once may take, by their estimates.
    memory: Budget,
    /// The first error writing the cache, reported once.
    pub cache_error: Mutex<Option<String>>,
}

impl<'a> Context<'a> {
    pub fn new(column: &Path, options: &'a ImageOptions) -> Self {
        let limits = fetch::Limits::default();
        Context {
            options,
            column: column
                .canonicalize()
                .map_err(|e| format!("cannot resolve the column folder: {e}")),
            fetcher: (!options.offline).then(|| Fetcher::new(limits)),
            cache: Cache::new(
                options.cache_dir.as_deref(),
                options.cache_mode,
                limits.max_bytes,
            ),
            settings: Settings {
                max_width: options.max_width,
                grayscale: options.grayscale,
            },
            max_bytes: limits.max_bytes,
            memory: Budget::new(CONVERSION_MEMORY),
            cache_error: Mutex::new(None),
        }
    }
}

/// Gets and processes every origin: `jobs` threads get the bytes (downloads overlap), and each
/// image is then decoded and encoded on the rayon pool, so every core works while downloads
/// wait on the network. Downloads stay at most `waiting_limit` originals ahead of the
/// conversions (those waiting wait on disk), and the conversions running at once take at most
/// `CONVERSION_MEMORY`, so neither grows with the column; each decoded image lives in one task,
/// and each part made is stored in `files` as soon as it is made.
pub(super) fn run(context: &Context, origins: &[Origin], files: &Files) -> Vec<Outcome> {
    if !origins.is_empty()
        && let Err(e) = context.cache.tag()
    {
        note_cache_error(context, e);
    }
    let cores = rayon::current_num_threads();
    let run = Run {
        context,
        origins,
        files,
        results: origins.iter().map(|_| Mutex::new(None)).collect(),
        next: AtomicUsize::new(0),
        jobs: context.options.jobs.clamp(1, origins.len().max(1)),
        waiting: Budget::new(waiting_limit(cores)),
    };
    rayon::in_place_scope(|scope| run.all(scope));
    (run.results.into_iter())
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every origin gets an outcome before the scopes end")
        })
        .collect()
}

/// What the download threads and the conversions of one `run` share.
struct Run<'a> {
    context: &'a Context<'a>,
    origins: &'a [Origin],
    files: &'a Files,
    results: Vec<Mutex<Option<Outcome>>>,
    /// The next origin a download thread takes.
    next: AtomicUsize,
    jobs: usize,
    waiting: Budget,
}

impl Run<'_> {
    /// Runs `jobs` download threads until every origin is had or missing; each original had is
    /// converted in its own task of `scope`.
    fn all<'s>(&'s self, scope: &rayon::Scope<'s>) {
        std::thread::scope(|threads| {
            for _ in 0..self.jobs {
                threads.spawn(|| {
                    loop {
                        let i = self.next.fetch_add(1, Ordering::Relaxed);
                        let Some(origin) = self.origins.get(i) else {
                            break;
                        };
                        if let Some(parts) = processed_before(self.context, origin) {
                            self.finish(i, How::Cached, 0, parts);
                            continue;
                        }
                        let ticket = self.waiting.take(1);
                        match obtain(self.context, origin) {
                            Err((reason, offline)) => {
                                self.set(i, Outcome::Missing { reason, offline })
                            }
                            Ok((original, how)) => {
                                let size = original.len();
                                scope.spawn(move |_| {
                                    let parts = process(self.context, origin, original, how);
                                    self.finish(i, how, size, parts);
                                    drop(ticket);
                                })
                            }
                        }
                    }
                });
            }
        });
    }

    fn finish(&self, i: usize, how: How, size: u64, parts: Vec<KindParts>) {
        let files = (parts.into_iter())
            .map(|(kind, made)| (kind, made.map(|parts| self.files.add_all(parts))))
            .collect();
        self.set(i, Outcome::Got { how, size, files });
    }

    fn set(&self, i: usize, outcome: Outcome) {
        *self.results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    }
}

/// Every use of `origin` failed: its original could not be read back.
fn unreadable(origin: &Origin, error: &std::io::Error) -> Vec<KindParts> {
    let reason = format!("cannot read the image back from its temporary file: {error}");
    (origin.kinds.iter())
        .map(|&kind| (kind, Err(reason.clone())))
        .collect()
}

/// The memory, by `convert`'s estimates, that the conversions running at once may take. With
/// it, a build's peak no longer depends on which large pictures happen to be converted at the
/// same time: two pictures of up to 24 MB each run side by side, a larger one beside smaller
/// ones, one over the budget alone. Measured through the realistic mirror (cold builds of
/// linux-perf and of its four-fold copy, before scaling in bands and jemalloc): 48 MB gave 76
/// and 87 MiB at no cost in time; 40 gave 67 and 81 MiB but made the cold build 0.6 s slower,
/// cores waiting while large pictures ran. With both, 48 MB gives 56-61 and 57-62 MiB.
const CONVERSION_MEMORY: u64 = 48 << 20;

/// How many originals may be had but not yet processed: enough that every worker finds the next
/// one waiting while downloads continue, few enough that memory stays flat (linux-perf's
/// downloads otherwise ran 785 originals ahead of two workers).
fn waiting_limit(cores: usize) -> u64 {
    2 * cores as u64 + 2
}

/// The original bytes of one origin, waiting for a converting thread (see `Original`), or why
/// they cannot be had (and whether only `--offline` is to blame).
fn obtain(context: &Context, origin: &Origin) -> Result<(Original, How), (String, bool)> {
    match &origin.source {
        Source::Remote(url) => {
            if let Some(bytes) = context.cache.original(url) {
                return Ok((Original::park(bytes), How::Cached));
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
            let mut original = fetcher.get(url).map_err(|e| {
                if e.permanent
                    && let Err(io) = context.cache.store_missing(url, &e.reason)
                {
                    note_cache_error(context, io);
                }
                (e.reason, false)
            })?;
            if let Err(e) = context.cache.store_original(url, &mut original) {
                note_cache_error(context, e);
            }
            Ok((original, How::Downloaded))
        }
        Source::Data(url) => source::decode_data_url(url, context.max_bytes)
            .map(|b| (Original::park(b), How::Local))
            .map_err(|e| (format!("{e:#}"), false)),
        Source::Local(path) => {
            let column = context.column.as_ref().map_err(|e| (e.clone(), false))?;
            local::read(column, path, context.max_bytes)
                .map(|b| (Original::park(b), How::Local))
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

/// Book-ready parts of `original` for each use of the origin, from the cache when it has them.
/// Its bytes come into memory only when the conversions running at once have room for what
/// converting it takes, told from its first bytes: read before, a large original waited in
/// memory, over the budget, while a large picture was converted.
fn process(context: &Context, origin: &Origin, mut original: Original, how: How) -> Vec<KindParts> {
    let settings = &context.settings;
    let content = match Content::of(&mut original) {
        Ok(content) => content,
        Err(e) => return unreadable(origin, &e),
    };
    let keys: Vec<ProcessedKey> = (origin.kinds.iter())
        .map(|&kind| ProcessedKey::new(&content, kind, settings))
        .collect();
    let cached: Vec<Option<Vec<Part>>> = keys.iter().map(|k| context.cache.processed(k)).collect();
    let uncached: Vec<Kind> = (origin.kinds.iter().zip(&cached))
        .filter_map(|(&kind, parts)| parts.is_none().then_some(kind))
        .collect();
    let had = if uncached.is_empty() {
        None
    } else {
        match for_converting(context, &uncached, original) {
            Ok(had) => Some(had),
            Err(e) => return unreadable(origin, &e),
        }
    };
    let bytes = had.as_ref().map_or(&[][..], |(_, bytes)| bytes.as_slice());
    // Made within the lease; written to the cache once it is given back.
    let made: Vec<(anyhow::Result<Vec<Part>>, bool)> = (origin.kinds.iter().zip(cached))
        .map(|(&kind, cached)| match cached {
            Some(parts) => (Ok(parts), false),
            None => (convert::process(bytes, kind, settings), true),
        })
        .collect();
    drop(had);
    (origin.kinds.iter().zip(keys).zip(made))
        .map(|((&kind, key), (parts, fresh))| {
            if fresh
                && let Ok(parts) = &parts
                && let Err(e) = context.cache.store_processed(&key, parts)
            {
                note_cache_error(context, e);
            }
            if parts.is_ok()
                && let Source::Remote(url) = &origin.source
                && let Err(e) = context.cache.store_url_link(url, kind, settings, &key)
            {
                note_cache_error(context, e);
            }
            let parts = parts.map_err(|e| match how {
                // The server may have sent it so (a body cut short without a Content-Length
                // says nothing); it is kept like any download, but it can be asked for again.
                How::Cached => format!(
                    "{e:#} (the copy in the image cache was used; --refresh downloads it again)"
                ),
                How::Downloaded | How::Local => format!("{e:#}"),
            });
            (kind, parts)
        })
        .collect()
}

/// How many of an original's first bytes its memory estimate is told from: a header is rarely
/// longer (a JPEG's EXIF block is at most 64 KB, and an ICC profile as long is rare).
const HEADER_BYTES: usize = 256 << 10;

/// The memory for converting `original` as `kinds` (one after another, so the most of one),
/// waited for, and then its bytes. An image whose header ends beyond `HEADER_BYTES` takes the
/// whole budget: it is converted alone.
fn for_converting<'c>(
    context: &'c Context,
    kinds: &[Kind],
    mut original: Original,
) -> std::io::Result<(Lease<'c>, Vec<u8>)> {
    let len = original.len();
    let head = original.head(HEADER_BYTES)?;
    let need = (kinds.iter())
        .map(|&kind| convert::memory_needed(&head, len, kind, &context.settings))
        .try_fold(0, |most, need| Some(most.max(need?)))
        .unwrap_or(u64::MAX);
    drop(head);
    let lease = context.memory.take(need);
    Ok((lease, original.bytes()?))
}

fn note_cache_error(context: &Context, error: std::io::Error) {
    let mut first = context
        .cache_error
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    first.get_or_insert_with(|| error.to_string());
}
