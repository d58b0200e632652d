//! Naming and storing the book-ready files, and writing into every image reference where the
//! book stores its image.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::convert::{Format, Part};
use super::plan::{Origin, Use};
use super::work::{How, Outcome};
use super::{Failure, ImageStats, Kind, cache, placeholder};
use crate::model::{Asset, Bytes};
use crate::progress::Progress;
use crate::spool::Spool;

/// Book-ready files, each held once however many sources share it, the bytes on disk (`Spool`)
/// until the book is zipped. Filled from every worker as parts are made, and each image made
/// moves the build's progress line on.
#[derive(Debug)]
pub(super) struct Files {
    held: Mutex<Held>,
    /// `None` when no temporary file could be made: then the bytes stay in memory.
    spool: Option<Spool>,
    progress: Progress,
}

/// The files in the order they were made, and where each is by what its name is made of.
#[derive(Debug, Default)]
struct Held {
    assets: Vec<Asset>,
    at: HashMap<([u8; NAME_BYTES], Format), usize>,
}

/// How many bytes of a file's checksum its name shows (in hex).
const NAME_BYTES: usize = 8;

impl Files {
    pub fn new(progress: Progress) -> Self {
        Files {
            held: Mutex::default(),
            spool: Spool::new().ok(),
            progress,
        }
    }

    /// Stores `parts` (one image made for one use), each once under a name made from its
    /// content, and returns where they are held.
    pub fn add_all(&self, parts: Vec<Part>) -> Vec<usize> {
        self.progress
            .image_done(parts.iter().map(|p| p.bytes.len() as u64).sum());
        parts.into_iter().map(|part| self.add(part)).collect()
    }

    fn add(&self, part: Part) -> usize {
        let mut checksum = [0; NAME_BYTES];
        checksum.copy_from_slice(&Sha256::digest(&part.bytes)[..NAME_BYTES]);
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let Held { assets, at } = &mut *held;
        *at.entry((checksum, part.format)).or_insert_with(|| {
            assets.push(Asset {
                book_path: format!(
                    "images/{}.{}",
                    cache::hex(&checksum),
                    part.format.extension()
                ),
                media_type: part.format.media_type(),
                bytes: Bytes::kept(part.bytes, self.spool.as_ref()),
            });
            assets.len() - 1
        })
    }
}

/// The files of the book's images, with counts and the sources that failed.
#[derive(Debug, Default)]
pub(super) struct Stored {
    pub assets: Vec<Asset>,
    pub stats: ImageStats,
    /// In reading order.
    pub failures: Vec<Failure>,
}

const ARTICLE_PLACEHOLDER: &str = "images/placeholder.png";
const AVATAR_PLACEHOLDER: &str = "images/avatar.png";

fn placeholder_path(kind: Kind) -> &'static str {
    match kind {
        Kind::Article => ARTICLE_PLACEHOLDER,
        Kind::Avatar => AVATAR_PLACEHOLDER,
    }
}

impl Stored {
    /// Stores the placeholder for `kind`, once, and returns its path.
    fn placeholder(&mut self, kind: Kind) -> &'static str {
        let path = placeholder_path(kind);
        if !self.assets.iter().any(|a| a.book_path == path) {
            let bytes = match kind {
                Kind::Article => placeholder::article_png(),
                Kind::Avatar => placeholder::avatar_png(),
            };
            self.assets.push(Asset {
                book_path: path.to_owned(),
                media_type: "image/png",
                bytes: bytes.into(),
            });
        }
        path
    }
}

/// Puts the files made for `origins` in the order of their first use (so the same input always
/// gives the same book), writes the stored files into every use, and counts. `of_use` gives the
/// origin of each use (`None`: a use without a source, shown as the placeholder).
pub(super) fn store(
    origins: &[Origin],
    outcomes: Vec<Outcome>,
    files: Files,
    uses: &mut [Use<'_>],
    of_use: &[Option<usize>],
) -> Stored {
    let mut stored = Stored::default();
    stored.stats.sources = origins.len();
    let held = files.held.into_inner().unwrap_or_else(|e| e.into_inner());
    let names: Vec<String> = held.assets.iter().map(|a| a.book_path.clone()).collect();
    let mut assets: Vec<Option<Asset>> = held.assets.into_iter().map(Some).collect();
    let mut made: Vec<HashMap<Kind, Vec<String>>> = Vec::with_capacity(origins.len());
    // The failure of each origin that failed, in `stored.failures`.
    let mut failed: Vec<Option<usize>> = vec![None; origins.len()];
    for (i, (origin, outcome)) in origins.iter().zip(outcomes).enumerate() {
        let mut paths = HashMap::new();
        // Its source as written and its lessons are filled in from its uses below.
        let failure = |kind: Option<Kind>, reason: String, offline: bool| Failure {
            src: String::new(),
            kind: kind
                .or(origin.kinds.first().copied())
                .unwrap_or(Kind::Article),
            lessons: Vec::new(),
            reason,
            offline,
        };
        let failure = match outcome {
            Outcome::Missing { reason, offline } => {
                stored.stats.not_cached += usize::from(offline);
                Some(failure(None, reason, offline))
            }
            Outcome::Got {
                how,
                size,
                files: kinds,
            } => {
                let stats = &mut stored.stats;
                match how {
                    How::Downloaded => {
                        stats.downloaded += 1;
                        stats.downloaded_bytes += size;
                    }
                    How::Cached => stats.from_cache += 1,
                    How::Local => stats.local += 1,
                }
                let mut reason = None;
                for (kind, result) in kinds {
                    match result {
                        Ok(held) => {
                            stored
                                .assets
                                .extend(held.iter().filter_map(|&h| assets[h].take()));
                            paths.insert(kind, held.iter().map(|&h| names[h].clone()).collect());
                        }
                        Err(why) => reason = Some((kind, why)),
                    }
                }
                reason.map(|(kind, reason)| {
                    stored.stats.unconverted += 1;
                    failure(Some(kind), reason, false)
                })
            }
        };
        if let Some(failure) = failure {
            failed[i] = Some(stored.failures.len());
            stored.failures.push(failure);
        }
        made.push(paths);
    }
    stored.stats.failed = stored.failures.len();
    // Placeholders are stored in the order they are first needed; the avatar placeholder of a
    // comment whose avatar has no source comes last.
    let mut sourceless = Vec::new();
    for (u, origin) in uses.iter_mut().zip(of_use) {
        let Some(i) = origin else {
            sourceless.push(u);
            continue;
        };
        if let Some(f) = failed[*i] {
            let failure = &mut stored.failures[f];
            if failure.lessons.is_empty() {
                failure.src = u.image.src.clone();
            }
            if !failure.lessons.iter().any(|l| l == u.lesson) {
                failure.lessons.push(u.lesson.to_path_buf());
            }
        }
        u.image.stored = match made[*i].get(&u.kind) {
            Some(files) => files.clone(),
            None => vec![stored.placeholder(u.kind).to_owned()],
        };
    }
    for u in sourceless {
        u.image.stored = vec![stored.placeholder(u.kind).to_owned()];
    }
    stored.stats.files = stored.assets.len();
    stored.stats.file_bytes = stored.assets.iter().map(|a| a.bytes.len()).sum();
    stored
}
