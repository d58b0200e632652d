//! The persistent image cache: downloaded originals by URL, processed images by content.
//!
//! Layout under the cache folder (`v2` changes when the layout does):
//!
//! ```text
//! CACHEDIR.TAG                      marks the folder as a cache for backup tools
//! v2/originals/ab/<sha256 of URL>   the bytes a server sent (status 200), unchanged
//! v2/missing/ab/<sha256 of URL>     why a download failed for good (404, 410, over the size cap)
//! v2/processed/cd/<sha256 of key>   the book-ready parts made from an original
//! v2/by-url/ef/<sha256 of URL, kind, settings>   the key of what that URL's original became
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
//!
//! Nothing read from the cache is trusted: a disk, a backup tool or a person may have changed
//! any file. Every entry holds a SHA-256 of its area, name and content; only a regular file of
//! the size its area allows is read (never a FIFO, a device or a symlink), without blocking;
//! processed parts must sniff as the format they claim. An entry that fails any check is a
//! miss: it is deleted, so its image is downloaded or converted again, and `damaged` says so.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::Kind;
use super::convert::{Format, MAX_OUTPUT_BYTES, MAX_SLICES, Part, Settings};
use super::original::Original;
use crate::config::CacheMode;

/// Bumped whenever `convert` changes what it makes, so old processed entries are not reused.
const PROCESSING_VERSION: u32 = 5;

/// The folder of this layout under the cache folder.
const LAYOUT: &str = "v2";

/// What every entry starts with, then the SHA-256 of its area, name and content (32 bytes) and
/// the length of its content (u64 little-endian).
const ENTRY_MAGIC: &[u8] = b"lessonpub cache entry 2\n";

const HEADER_LEN: usize = ENTRY_MAGIC.len() + 32 + 8;

/// The most a remembered failure or a by-URL link may hold: a line of text, a key.
const MAX_NOTE_BYTES: u64 = 4 << 10;

#[derive(Debug)]
pub struct Cache {
    /// `None`: no persistent cache in this build.
    root: Option<PathBuf>,
    mode: CacheMode,
    /// The most bytes an original may have (the download cap).
    max_original: u64,
    /// The entries found damaged and deleted in this build: path inside the cache, and why.
    damaged: Mutex<Vec<(String, String)>>,
}

/// The kinds of entries, each in its own folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Originals,
    Missing,
    Processed,
    ByUrl,
}

impl Area {
    fn folder(self) -> &'static str {
        match self {
            Area::Originals => "originals",
            Area::Missing => "missing",
            Area::Processed => "processed",
            Area::ByUrl => "by-url",
        }
    }
}

impl Cache {
    /// The cache in `dir` (none without one, or when `mode` is `Off`); an original over
    /// `max_original` bytes is no entry the cache ever wrote.
    pub fn new(dir: Option<&Path>, mode: CacheMode, max_original: u64) -> Cache {
        let root = match mode {
            CacheMode::Off => None,
            _ => dir.map(|d| d.join(LAYOUT)),
        };
        Cache {
            root,
            mode,
            max_original,
            damaged: Mutex::new(Vec::new()),
        }
    }

    fn reads(&self) -> Option<&Path> {
        match self.mode {
            CacheMode::Use => self.root.as_deref(),
            CacheMode::Refresh | CacheMode::Off => None,
        }
    }

    /// The bytes downloaded earlier for `url`.
    pub fn original(&self, url: &str) -> Option<Vec<u8>> {
        self.read(Area::Originals, &url_name(url))
    }

    /// Stores `original` for `url`, read twice from where it waits (for its checksum, then into
    /// the entry) rather than held in memory.
    pub fn store_original(&self, url: &str, original: &mut Original) -> std::io::Result<()> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let (area, name) = (Area::Originals, url_name(url));
        let mut hash = checksum_start(area, &name);
        original.copy_to(&mut Hashing(&mut hash))?;
        let header = header(hash.finalize().into(), original.len());
        write_atomically(&entry(root, area.folder(), &name), |temp| {
            temp.write_all(&header)?;
            original.copy_to(temp)
        })
    }

    /// Why an earlier build could not download `url` for good, if it could not.
    pub fn missing(&self, url: &str) -> Option<String> {
        let bytes = self.read(Area::Missing, &url_name(url))?;
        String::from_utf8(bytes).ok()
    }

    pub fn store_missing(&self, url: &str, reason: &str) -> std::io::Result<()> {
        self.write(Area::Missing, &url_name(url), reason.as_bytes())
    }

    /// The parts made earlier from `original` for `kind` with `settings`.
    pub fn processed(&self, key: &ProcessedKey) -> Option<Vec<Part>> {
        let bytes = self.read(Area::Processed, &key.0)?;
        decode_parts(&bytes).or_else(|| {
            self.drop_damaged(Area::Processed, &key.0, "its parts are not images");
            None
        })
    }

    pub fn store_processed(&self, key: &ProcessedKey, parts: &[Part]) -> std::io::Result<()> {
        self.write(Area::Processed, &key.0, &encode_parts(parts))
    }

    /// The parts made earlier for `url` as `kind` with `settings`, found without its original.
    pub fn processed_for_url(
        &self,
        url: &str,
        kind: Kind,
        settings: &Settings,
    ) -> Option<Vec<Part>> {
        let name = url_link(url, kind, settings);
        let key = String::from_utf8(self.read(Area::ByUrl, &name)?).unwrap_or_default();
        // Anything but a key (a damaged link) is a miss, never a path to follow.
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.drop_damaged(Area::ByUrl, &name, "it holds no key");
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
        let name = url_link(url, kind, settings);
        self.write(Area::ByUrl, &name, key.0.as_bytes())
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
        write_atomically(&tag, |temp| {
            temp.write_all(
                b"Signature: 8a477f597d28d172789f06886806bc55\n\
                  # This file is a cache directory tag created by lessonpub.\n",
            )
        })
    }

    /// The entries found damaged and deleted so far: path inside the cache folder, and why.
    pub fn damaged(&self) -> Vec<(String, String)> {
        self.damaged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The most content an entry of `area` may have: anything larger was never written by a
    /// build.
    fn max_content(&self, area: Area) -> u64 {
        match area {
            Area::Originals => self.max_original,
            // Each part has a format byte and a length besides its bytes.
            Area::Processed => {
                MAX_OUTPUT_BYTES + MAX_SLICES as u64 * 9 + PROCESSED_MAGIC.len() as u64
            }
            Area::Missing | Area::ByUrl => MAX_NOTE_BYTES,
        }
    }

    /// The content of the entry `name` of `area`, if the cache is read, the entry is there and
    /// it passes every check; a damaged entry is deleted and noted, and is a miss.
    fn read(&self, area: Area, name: &str) -> Option<Vec<u8>> {
        let path = entry(self.reads()?, area.folder(), name);
        let max = self.max_content(area);
        match read_entry(&path, area, name, max) {
            Ok(content) => content,
            Err(why) => {
                self.drop_damaged(area, name, &why);
                None
            }
        }
    }

    fn write(&self, area: Area, name: &str, content: &[u8]) -> std::io::Result<()> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let header = header(checksum(area, name, content), content.len() as u64);
        write_atomically(&entry(root, area.folder(), name), |temp| {
            temp.write_all(&header)?;
            temp.write_all(content)
        })
    }

    fn drop_damaged(&self, area: Area, name: &str, why: &str) {
        let Some(root) = &self.root else {
            return;
        };
        let path = entry(root, area.folder(), name);
        // A folder in an entry's place stays: it is not ours to delete, and writing the entry
        // again reports that it cannot.
        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if !is_dir {
            let _ = std::fs::remove_file(&path);
        }
        let shown = format!("{LAYOUT}/{}/{}/{name}", area.folder(), &name[..2]);
        self.damaged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((shown, why.to_owned()));
    }
}

/// The content of the entry at `path`: `Ok(None)` when there is none, `Err` saying why it is
/// damaged (a FIFO, a device, a symlink, a wrong size, a wrong checksum).
fn read_entry(
    path: &Path,
    area: Area,
    name: &str,
    max_content: u64,
) -> Result<Option<Vec<u8>>, String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    let max = max_content + HEADER_LEN as u64;
    if meta.len() > max {
        return Err(format!("{} bytes, more than an entry can have", meta.len()));
    }
    let file = open_regular(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    let Some(rest) = bytes.strip_prefix(ENTRY_MAGIC) else {
        return Err("not an entry of this cache layout".to_owned());
    };
    let (sum, rest) = rest
        .split_first_chunk::<32>()
        .ok_or("cut short in its header")?;
    let (len, content) = rest
        .split_first_chunk::<8>()
        .ok_or("cut short in its header")?;
    if u64::from_le_bytes(*len) != content.len() as u64 {
        return Err(format!(
            "{} bytes of content where {} were written (cut short or grown)",
            content.len(),
            u64::from_le_bytes(*len)
        ));
    }
    if *sum != checksum(area, name, content) {
        return Err("its checksum does not match its content".to_owned());
    }
    bytes.drain(..HEADER_LEN);
    Ok(Some(bytes))
}

/// Opens `path` for reading only if it is a regular file, never waiting on it: a FIFO swapped
/// in after the check would otherwise block the build until something writes to it.
fn open_regular(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

fn checksum(area: Area, name: &str, content: &[u8]) -> [u8; 32] {
    let mut hash = checksum_start(area, name);
    hash.update(content);
    hash.finalize().into()
}

/// The checksum of an entry, before its content.
fn checksum_start(area: Area, name: &str) -> Sha256 {
    let mut hash = Sha256::new();
    hash.update(area.folder().as_bytes());
    hash.update(b"/");
    hash.update(name.as_bytes());
    hash.update(b"\n");
    hash
}

/// Hashes what is written to it.
struct Hashing<'a>(&'a mut Sha256);

impl Write for Hashing<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn url_name(url: &str) -> String {
    hex(&Sha256::digest(url.as_bytes()))
}

/// The checksum of an original's bytes, which the key of everything made of them starts from:
/// the same picture under two URLs is converted once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content([u8; 32]);

impl Content {
    /// Read from where the original waits, a piece at a time, so that it need not be in memory.
    pub fn of(original: &mut Original) -> std::io::Result<Content> {
        let mut hash = Sha256::new();
        original.copy_to(&mut Hashing(&mut hash))?;
        Ok(Content(hash.finalize().into()))
    }
}

/// The cache key of a processed image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedKey(String);

impl ProcessedKey {
    pub fn new(content: &Content, kind: Kind, settings: &Settings) -> ProcessedKey {
        let mut hash = Sha256::new();
        hash.update(content.0);
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

/// Writes `pieces`, one after the other, as the file `path`, which has either its old content
/// or all of the new, never part of it.
/// Writes the file at `path` as `write` says, in a temporary file beside it that replaces it
/// once whole.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    write(&mut temp)?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// An entry's header: the magic, the checksum of its content, its length.
fn header(checksum: [u8; 32], len: u64) -> Vec<u8> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(ENTRY_MAGIC);
    header.extend_from_slice(&checksum);
    header.extend_from_slice(&len.to_le_bytes());
    header
}

const PROCESSED_MAGIC: &[u8] = b"lessonpub processed 2\n";

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

/// `None` for anything but a complete, well-formed list of parts, each of which sniffs as the
/// format it claims: a part that does not would make a book that lies about its images.
fn decode_parts(bytes: &[u8]) -> Option<Vec<Part>> {
    let mut rest = bytes.strip_prefix(PROCESSED_MAGIC)?;
    let mut parts = Vec::new();
    while let Some((&tag, tail)) = rest.split_first() {
        let (format, sniffed) = match tag {
            b'j' => (Format::Jpeg, image::ImageFormat::Jpeg),
            b'p' => (Format::Png, image::ImageFormat::Png),
            _ => return None,
        };
        let (len, tail) = tail.split_first_chunk::<8>()?;
        let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        if tail.len() < len {
            return None;
        }
        let (data, tail) = tail.split_at(len);
        if image::guess_format(data).ok() != Some(sniffed) {
            return None;
        }
        parts.push(Part {
            format,
            bytes: data.to_vec(),
        });
        rest = tail;
    }
    (!parts.is_empty() && parts.len() <= MAX_SLICES).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: Settings = Settings {
        max_width: 1264,
        grayscale: false,
    };

    const MAX: u64 = 1 << 20;

    fn parts() -> Vec<Part> {
        vec![
            Part {
                format: Format::Png,
                bytes: b"\x89PNG\r\n\x1a\nfirst".to_vec(),
            },
            Part {
                format: Format::Jpeg,
                bytes: b"\xff\xd8\xff\xe0second".to_vec(),
            },
        ]
    }

    fn cache(dir: &Path, mode: CacheMode) -> Cache {
        Cache::new(Some(dir), mode, MAX)
    }

    /// The file of an entry, as the cache lays it out under `dir`.
    fn file(dir: &Path, area: Area, name: &str) -> PathBuf {
        entry(&dir.join(LAYOUT), area.folder(), name)
    }

    #[test]
    fn a_url_link_finds_processed_parts_for_the_same_kind_and_settings_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path(), CacheMode::Use);
        let url = "https://a/x.png";
        let key = ProcessedKey::new(&content(b"bytes"), Kind::Article, &SETTINGS);
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
        let refreshing = Cache::new(Some(dir.path()), CacheMode::Refresh, MAX);
        assert_eq!(
            refreshing.processed_for_url(url, Kind::Article, &SETTINGS),
            None
        );
        assert!(cache.damaged().is_empty());

        // A link that holds anything but a key is a miss, never a path to follow, even with a
        // checksum that matches.
        let name = url_link(url, Kind::Article, &SETTINGS);
        cache
            .write(Area::ByUrl, &name, b"../../originals/ab/cd")
            .unwrap();
        assert_eq!(cache.processed_for_url(url, Kind::Article, &SETTINGS), None);
        assert!(!file(dir.path(), Area::ByUrl, &name).exists());
    }

    #[test]
    fn originals_and_processed_images_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path(), CacheMode::Use);
        assert_eq!(cache.original("https://a/x.png"), None);
        cache
            .store_original("https://a/x.png", &mut Original::park(b"bytes".to_vec()))
            .unwrap();
        assert_eq!(cache.original("https://a/x.png").unwrap(), b"bytes");
        let key = ProcessedKey::new(&content(b"bytes"), Kind::Article, &SETTINGS);
        cache.store_processed(&key, &parts()).unwrap();
        assert_eq!(cache.processed(&key).unwrap(), parts());
        assert_eq!(cache.missing("https://a/gone.png"), None);
        cache
            .store_missing("https://a/gone.png", "HTTP 404")
            .unwrap();
        assert_eq!(cache.missing("https://a/gone.png").unwrap(), "HTTP 404");
        cache.tag().unwrap();
        assert!(dir.path().join("CACHEDIR.TAG").is_file());
        assert!(cache.damaged().is_empty());
    }

    fn content(bytes: &[u8]) -> Content {
        Content::of(&mut Original::park(bytes.to_vec())).unwrap()
    }

    #[test]
    fn keys_differ_by_kind_settings_and_content() {
        let key = ProcessedKey::new(&content(b"a"), Kind::Article, &SETTINGS);
        assert_ne!(
            key,
            ProcessedKey::new(&content(b"a"), Kind::Avatar, &SETTINGS)
        );
        assert_ne!(
            key,
            ProcessedKey::new(&content(b"b"), Kind::Article, &SETTINGS)
        );
        let gray = Settings {
            grayscale: true,
            ..SETTINGS
        };
        assert_ne!(key, ProcessedKey::new(&content(b"a"), Kind::Article, &gray));
    }

    #[test]
    fn refresh_writes_but_does_not_read_and_off_does_neither() {
        let dir = tempfile::tempdir().unwrap();
        cache(dir.path(), CacheMode::Use)
            .store_original("u", &mut Original::park(b"old".to_vec()))
            .unwrap();
        let refresh = cache(dir.path(), CacheMode::Refresh);
        assert_eq!(refresh.original("u"), None);
        refresh
            .store_original("u", &mut Original::park(b"new".to_vec()))
            .unwrap();
        let off = cache(dir.path(), CacheMode::Off);
        assert_eq!(off.original("u"), None);
        off.store_original("u", &mut Original::park(b"ignored".to_vec()))
            .unwrap();
        assert_eq!(
            cache(dir.path(), CacheMode::Use).original("u").unwrap(),
            b"new"
        );
    }

    fn edit(path: &Path, f: &dyn Fn(&mut Vec<u8>)) {
        let mut bytes = std::fs::read(path).unwrap();
        f(&mut bytes);
        std::fs::write(path, bytes).unwrap();
    }

    /// A way to damage an entry, by what it does to the file of a good entry.
    type Damage = (&'static str, fn(&Path));

    /// Each way an entry can be damaged.
    fn damages() -> Vec<Damage> {
        vec![
            ("a flipped byte", |p| {
                edit(p, &|b| {
                    let last = b.len() - 1;
                    b[last] ^= 0x40;
                })
            }),
            ("cut short", |p| edit(p, &|b| b.truncate(b.len() - 3))),
            ("grown", |p| edit(p, &|b| b.extend_from_slice(b"tail"))),
            ("emptied", |p| edit(p, &|b| b.clear())),
            ("an old layout", |p| {
                edit(p, &|b| {
                    b.drain(..HEADER_LEN);
                })
            }),
            ("a flipped checksum", |p| {
                edit(p, &|b| b[ENTRY_MAGIC.len()] ^= 1)
            }),
            ("replaced by a folder", |p| {
                std::fs::remove_file(p).unwrap();
                std::fs::create_dir(p).unwrap();
            }),
            #[cfg(unix)]
            ("replaced by a symlink", |p| {
                let target = p.with_extension("elsewhere");
                std::fs::rename(p, &target).unwrap();
                std::os::unix::fs::symlink(&target, p).unwrap();
            }),
            #[cfg(unix)]
            ("replaced by a FIFO", |p| {
                std::fs::remove_file(p).unwrap();
                let path = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
                // SAFETY: a valid, NUL-terminated path.
                assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
            }),
            ("larger than an entry can be", |p| {
                let big = vec![0u8; (MAX + HEADER_LEN as u64 + 1) as usize];
                std::fs::write(p, big).unwrap();
            }),
        ]
    }

    #[test]
    fn a_damaged_entry_of_any_area_is_a_miss_deleted_and_noted() {
        let url = "https://a/x.png";
        let key = ProcessedKey::new(&content(b"bytes"), Kind::Article, &SETTINGS);
        for (damage, apply) in damages() {
            let dir = tempfile::tempdir().unwrap();
            let cache = cache(dir.path(), CacheMode::Use);
            cache
                .store_original(url, &mut Original::park(b"original bytes".to_vec()))
                .unwrap();
            cache.store_missing(url, "HTTP 404").unwrap();
            cache.store_processed(&key, &parts()).unwrap();
            cache
                .store_url_link(url, Kind::Article, &SETTINGS, &key)
                .unwrap();
            let areas = [
                (Area::Originals, url_name(url)),
                (Area::Missing, url_name(url)),
                (Area::Processed, key.0.clone()),
                (Area::ByUrl, url_link(url, Kind::Article, &SETTINGS)),
            ];
            for (area, name) in &areas {
                let path = file(dir.path(), *area, name);
                apply(&path);
                let found = match area {
                    Area::Originals => cache.original(url).is_some(),
                    Area::Missing => cache.missing(url).is_some(),
                    Area::Processed => cache.processed(&key).is_some(),
                    Area::ByUrl => cache
                        .processed_for_url(url, Kind::Article, &SETTINGS)
                        .is_some(),
                };
                assert!(!found, "{damage} {area:?} was read");
                let gone = std::fs::symlink_metadata(&path).is_err();
                assert!(gone || path.is_dir(), "{damage} {area:?} was kept");
                let noted = cache.damaged();
                let last = noted.last().unwrap();
                assert!(last.0.contains(area.folder()), "{damage}: {noted:?}");
            }
            assert_eq!(cache.damaged().len(), areas.len(), "{damage}");
        }
    }

    #[test]
    fn processed_parts_must_be_what_they_claim() {
        let good = encode_parts(&parts());
        assert_eq!(decode_parts(&good).unwrap(), parts());
        assert_eq!(decode_parts(&good[..good.len() - 1]), None);
        assert_eq!(decode_parts(b"junk"), None);
        assert_eq!(decode_parts(PROCESSED_MAGIC), None);
        // A flipped format byte: a PNG that says it is a JPEG.
        let mut lying = good.clone();
        lying[PROCESSED_MAGIC.len()] = b'j';
        assert_eq!(decode_parts(&lying), None);
        let mut not_an_image = parts();
        not_an_image[0].bytes[1] = b'Q';
        assert_eq!(decode_parts(&encode_parts(&not_an_image)), None);
    }
}
