//! The persistent image cache: downloaded originals by URL, processed images by content.
//!
//! Layout under the cache folder (`v1` changes when the layout does):
//!
//! ```text
//! CACHEDIR.TAG                      marks the folder as a cache for backup tools
//! v1/originals/ab/<sha256 of URL>   the bytes a server sent (status 200), unchanged
//! v1/missing/ab/<sha256 of URL>     why a download failed for good (404, 410, over the size cap)
//! v1/processed/cd/<sha256 of key>   the book-ready parts made from an original
//! v1/by-url/ef/<sha256 of URL, kind, settings>   the key of what that URL's original became
//! ```
//!
//! A processed entry is keyed by the hash of the original bytes and the processing settings,
//! so identical images under different URLs are processed once, and a changed original or
//! setting simply misses. The by-URL link lets a rebuild go from a URL straight to its
//! processed parts, without reading or hashing the original: a warm rebuild does no image
//! work at all. Every file is written to a temporary name and renamed, so concurrent builds
//! and interrupted ones never leave a half-written entry. Of the failed downloads, only the
//! permanent ones are remembered (404 Not Found and 410 Gone, which HTTP caches keep too, and
//! bodies over the size cap); timeouts and server errors are tried again by the next build, and
//! `--refresh` retries everything.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Kind;
use super::convert::{Format, Part, Settings};
use crate::config::CacheMode;

/// Bumped whenever `convert` changes what it makes, so old processed entries are not reused.
const PROCESSING_VERSION: u32 = 2;

const PROCESSED_MAGIC: &[u8] = b"lessonpub processed 1\n";

#[derive(Debug)]
pub struct Cache {
    /// `None`: no persistent cache in this build.
    root: Option<PathBuf>,
    mode: CacheMode,
}

impl Cache {
    pub fn new(dir: Option<&Path>, mode: CacheMode) -> Cache {
        let root = match mode {
            CacheMode::Off => None,
            _ => dir.map(|d| d.join("v1")),
        };
        Cache { root, mode }
    }

    fn reads(&self) -> Option<&Path> {
        match self.mode {
            CacheMode::Use => self.root.as_deref(),
            CacheMode::Refresh | CacheMode::Off => None,
        }
    }

    /// The bytes downloaded earlier for `url`.
    pub fn original(&self, url: &str) -> Option<Vec<u8>> {
        let path = entry(
            self.reads()?,
            "originals",
            &hex(&Sha256::digest(url.as_bytes())),
        );
        std::fs::read(path).ok()
    }

    pub fn store_original(&self, url: &str, bytes: &[u8]) -> std::io::Result<()> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let path = entry(root, "originals", &hex(&Sha256::digest(url.as_bytes())));
        write_atomically(&path, bytes)
    }

    /// Why an earlier build could not download `url` for good, if it could not.
    pub fn missing(&self, url: &str) -> Option<String> {
        let path = entry(
            self.reads()?,
            "missing",
            &hex(&Sha256::digest(url.as_bytes())),
        );
        std::fs::read_to_string(path).ok()
    }

    pub fn store_missing(&self, url: &str, reason: &str) -> std::io::Result<()> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let path = entry(root, "missing", &hex(&Sha256::digest(url.as_bytes())));
        write_atomically(&path, reason.as_bytes())
    }

    /// The parts made earlier from `original` for `kind` with `settings`.
    pub fn processed(&self, key: &ProcessedKey) -> Option<Vec<Part>> {
        let bytes = std::fs::read(entry(self.reads()?, "processed", &key.0)).ok()?;
        decode_parts(&bytes)
    }

    pub fn store_processed(&self, key: &ProcessedKey, parts: &[Part]) -> std::io::Result<()> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        write_atomically(&entry(root, "processed", &key.0), &encode_parts(parts))
    }

    /// The parts made earlier for `url` as `kind` with `settings`, found without its original.
    pub fn processed_for_url(
        &self,
        url: &str,
        kind: Kind,
        settings: &Settings,
    ) -> Option<Vec<Part>> {
        let link = entry(self.reads()?, "by-url", &url_link(url, kind, settings));
        let key = std::fs::read_to_string(link).ok()?;
        // Anything but a key (a damaged link) is a miss, never a path to follow.
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.processed(&ProcessedKey(key))
    }

    pub fn store_url_link(
        &self,
        url: &str,
        kind: Kind,
        settings: &Settings,
        key: &ProcessedKey,
    ) -> std::io::Result<()> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let link = entry(root, "by-url", &url_link(url, kind, settings));
        write_atomically(&link, key.0.as_bytes())
    }

    /// Marks the cache folder for backup tools (https://bford.info/cachedir/), once.
    pub fn tag(&self) -> std::io::Result<()> {
        let Some(dir) = self.root.as_deref().and_then(Path::parent) else {
            return Ok(());
        };
        let tag = dir.join("CACHEDIR.TAG");
        if tag.exists() {
            return Ok(());
        }
        write_atomically(
            &tag,
            b"Signature: 8a477f597d28d172789f06886806bc55\n\
              # This file is a cache directory tag created by lessonpub.\n",
        )
    }
}

/// The cache key of a processed image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedKey(String);

impl ProcessedKey {
    pub fn new(original: &[u8], kind: Kind, settings: &Settings) -> ProcessedKey {
        let mut hash = Sha256::new();
        hash.update(Sha256::digest(original));
        hash.update(settings_tag(kind, settings).as_bytes());
        ProcessedKey(hex(&hash.finalize()))
    }
}

fn url_link(url: &str, kind: Kind, settings: &Settings) -> String {
    let mut hash = Sha256::new();
    hash.update(Sha256::digest(url.as_bytes()));
    hash.update(settings_tag(kind, settings).as_bytes());
    hex(&hash.finalize())
}

/// Everything besides the input that decides what processing makes.
fn settings_tag(kind: Kind, settings: &Settings) -> String {
    format!(
        "v{PROCESSING_VERSION} {kind:?} w{} g{}",
        settings.max_width, settings.grayscale
    )
}

fn entry(root: &Path, area: &str, name: &str) -> PathBuf {
    // Two-character fan-out keeps folders small for columns with thousands of avatars.
    root.join(area).join(&name[..2]).join(name)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `MAGIC` then, per part, a format byte (`j` or `p`), the length (u64 little-endian), the bytes.
fn encode_parts(parts: &[Part]) -> Vec<u8> {
    let mut out = PROCESSED_MAGIC.to_vec();
    for part in parts {
        out.push(match part.format {
            Format::Jpeg => b'j',
            Format::Png => b'p',
        });
        out.extend_from_slice(&(part.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&part.bytes);
    }
    out
}

/// `None` for anything but a complete, well-formed entry: a damaged entry is a cache miss.
fn decode_parts(bytes: &[u8]) -> Option<Vec<Part>> {
    let mut rest = bytes.strip_prefix(PROCESSED_MAGIC)?;
    let mut parts = Vec::new();
    while let Some((&tag, tail)) = rest.split_first() {
        let format = match tag {
            b'j' => Format::Jpeg,
            b'p' => Format::Png,
            _ => return None,
        };
        let (len, tail) = tail.split_first_chunk::<8>()?;
        let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        if tail.len() < len {
            return None;
        }
        let (data, tail) = tail.split_at(len);
        parts.push(Part {
            format,
            bytes: data.to_vec(),
        });
        rest = tail;
    }
    (!parts.is_empty()).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: Settings = Settings {
        max_width: 1264,
        grayscale: false,
    };

    fn parts() -> Vec<Part> {
        vec![
            Part {
                format: Format::Png,
                bytes: b"first".to_vec(),
            },
            Part {
                format: Format::Jpeg,
                bytes: b"second".to_vec(),
            },
        ]
    }

    #[test]
    fn a_url_link_finds_processed_parts_for_the_same_kind_and_settings_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(Some(dir.path()), CacheMode::Use);
        let url = "https://a/x.png";
        let key = ProcessedKey::new(b"bytes", Kind::Article, &SETTINGS);
        cache.store_processed(&key, &parts()).unwrap();
        assert_eq!(cache.processed_for_url(url, Kind::Article, &SETTINGS), None);
        cache
            .store_url_link(url, Kind::Article, &SETTINGS, &key)
            .unwrap();
        assert_eq!(
            cache.processed_for_url(url, Kind::Article, &SETTINGS),
            Some(parts())
        );
        assert_eq!(cache.processed_for_url(url, Kind::Avatar, &SETTINGS), None);
        let gray = Settings {
            grayscale: true,
            ..SETTINGS
        };
        assert_eq!(cache.processed_for_url(url, Kind::Article, &gray), None);
        let refreshing = Cache::new(Some(dir.path()), CacheMode::Refresh);
        assert_eq!(
            refreshing.processed_for_url(url, Kind::Article, &SETTINGS),
            None
        );

        // A damaged link is a miss, never a path to follow.
        let link = entry(
            &dir.path().join("v1"),
            "by-url",
            &url_link(url, Kind::Article, &SETTINGS),
        );
        std::fs::write(&link, "../../originals/ab/cd").unwrap();
        assert_eq!(cache.processed_for_url(url, Kind::Article, &SETTINGS), None);
    }

    #[test]
    fn originals_and_processed_images_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(Some(dir.path()), CacheMode::Use);
        assert_eq!(cache.original("https://a/x.png"), None);
        cache.store_original("https://a/x.png", b"bytes").unwrap();
        assert_eq!(cache.original("https://a/x.png").unwrap(), b"bytes");
        let key = ProcessedKey::new(b"bytes", Kind::Article, &SETTINGS);
        cache.store_processed(&key, &parts()).unwrap();
        assert_eq!(cache.processed(&key).unwrap(), parts());
        assert_eq!(cache.missing("https://a/gone.png"), None);
        cache
            .store_missing("https://a/gone.png", "HTTP 404")
            .unwrap();
        assert_eq!(cache.missing("https://a/gone.png").unwrap(), "HTTP 404");
        cache.tag().unwrap();
        assert!(dir.path().join("CACHEDIR.TAG").is_file());
    }

    #[test]
    fn keys_differ_by_kind_settings_and_content() {
        let key = ProcessedKey::new(b"a", Kind::Article, &SETTINGS);
        assert_ne!(key, ProcessedKey::new(b"a", Kind::Avatar, &SETTINGS));
        assert_ne!(key, ProcessedKey::new(b"b", Kind::Article, &SETTINGS));
        let gray = Settings {
            grayscale: true,
            ..SETTINGS
        };
        assert_ne!(key, ProcessedKey::new(b"a", Kind::Article, &gray));
    }

    #[test]
    fn refresh_writes_but_does_not_read_and_off_does_neither() {
        let dir = tempfile::tempdir().unwrap();
        Cache::new(Some(dir.path()), CacheMode::Use)
            .store_original("u", b"old")
            .unwrap();
        let refresh = Cache::new(Some(dir.path()), CacheMode::Refresh);
        assert_eq!(refresh.original("u"), None);
        refresh.store_original("u", b"new").unwrap();
        let off = Cache::new(Some(dir.path()), CacheMode::Off);
        assert_eq!(off.original("u"), None);
        off.store_original("u", b"ignored").unwrap();
        assert_eq!(
            Cache::new(Some(dir.path()), CacheMode::Use)
                .original("u")
                .unwrap(),
            b"new"
        );
    }

    #[test]
    fn damaged_processed_entries_are_misses() {
        let good = encode_parts(&parts());
        assert_eq!(decode_parts(&good).unwrap(), parts());
        assert_eq!(decode_parts(&good[..good.len() - 1]), None);
        assert_eq!(decode_parts(b"junk"), None);
        assert_eq!(decode_parts(PROCESSED_MAGIC), None);
    }
}
