//! Naming and storing the book-ready files, and writing into every image reference where the
//! book stores its image.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::convert::Part;
use super::plan::{Origin, Use};
use super::work::{How, Outcome};
use super::{Failure, ImageStats, Kind, cache, placeholder};
use crate::model::{Asset, Bytes};
use crate::progress::Progress;
use crate::spool::Spool;

/// Book-ready files by name, each held once however many sources share it, the bytes on disk
/// (`Spool`) until the book is zipped. Filled from every worker as parts are made, and each
/// image made moves the build's progress line on.
#[derive(Debug)]
pub(super) struct Files {
    named: Mutex<HashMap<String, Asset>>,
    /// `None` when no temporary file could be made: then the bytes stay in memory.
    spool: Option<Spool>,
    progress: Progress,
}

impl Files {
    pub fn new(progress: Progress) -> Self {
        Files {
            named: Mutex::default(),
            spool: Spool::new().ok(),
            progress,
        }
    }

    /// Stores `parts` (one image made for one use), each once under a name made from its
    /// content, and returns their names.
    pub fn add_all(&self, parts: Vec<Part>) -> Vec<String> {
        self.progress
            .image_done(parts.iter().map(|p| p.bytes.len() as u64).sum());
        parts.into_iter().map(|part| self.add(part)).collect()
    }

    fn add(&self, part: Part) -> String {
        let hash = cache::hex(&Sha256::digest(&part.bytes));
        let name = format!("images/{}.{}", &hash[..16], part.format.extension());
        let mut named = self.named.lock().unwrap_or_else(|e| e.into_inner());
        named.entry(name.clone()).or_insert_with(|| Asset {
            book_path: name.clone(),
            media_type: part.format.media_type(),
            bytes: Bytes::kept(part.bytes, self.spool.as_ref()),
        });
        name
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
    let mut files = files.named.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut made: Vec<HashMap<Kind, Vec<String>>> = Vec::with_capacity(origins.len());
    for (origin, outcome) in origins.iter().zip(outcomes) {
        let mut paths = HashMap::new();
        let failure = |kind: Option<Kind>, reason: String, offline: bool| Failure {
            src: origin.src.clone(),
            kind: kind
                .or(origin.kinds.first().copied())
                .unwrap_or(Kind::Article),
            lessons: origin.lessons.clone(),
            reason,
            offline,
        };
        match outcome {
            Outcome::Missing { reason, offline } => {
                stored.stats.not_cached += usize::from(offline);
                stored.failures.push(failure(None, reason, offline));
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
                        Ok(names) => {
                            for name in &names {
                                if let Some(asset) = files.remove(name) {
                                    stored.assets.push(asset);
                                }
                            }
                            paths.insert(kind, names);
                        }
                        Err(why) => reason = Some((kind, why)),
                    }
                }
                if let Some((kind, reason)) = reason {
                    stored.stats.unconverted += 1;
                    stored.failures.push(failure(Some(kind), reason, false));
                }
            }
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
