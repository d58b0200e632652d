//! Validated settings for each build, from the command line (`Flags`, which the binary fills from
//! its argument parser, so the library depends on no parser) and `lessonpub.toml`.
//!
//! Precedence: a flag on the command line, then the settings file (`--config FILE`, else
//! `lessonpub.toml` in the column folder), then the default.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer};

use crate::select::{CommentChoice, Limit};

/// Concurrent downloads unless `--jobs` says otherwise.
pub const DEFAULT_JOBS: u16 = 8;

/// Article images are scaled down to this width unless `--max-width` says otherwise: the
/// screen width of current 6"-7" e-readers (Kindle Paperwhite 5, Kobo Clara 2E).
pub const DEFAULT_MAX_WIDTH: u32 = 1264;

/// What the image stage is asked to do.
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

/// What a build does with the persistent cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// Read what is there, store what is new.
    #[default]
    Use,
    /// Download and process everything again, and store the results.
    Refresh,
    /// Neither read nor write.
    Off,
}

/// The settings file looked for in each column folder.
pub const CONFIG_FILE_NAME: &str = "lessonpub.toml";

/// Everything one book's build needs.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub input: PathBuf,
    pub output: Output,
    pub title: Option<String>,
    pub author: Option<String>,
    pub language: String,
    /// A cover image given by the user, instead of the generated one.
    pub cover: Option<PathBuf>,
    /// The column's own settings file, when the cover comes from it: a column from someone
    /// else's disk may not pull an image from outside itself into the book.
    pub cover_named_by: Option<PathBuf>,
    pub comments: CommentChoice,
    pub images: ImageOptions,
    /// Image problems fail the build instead of warning.
    pub strict: bool,
    /// Run EPUBCheck on the book before it is put in place.
    pub check: bool,
}

/// Where a book goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    File(PathBuf),
    /// `<title>.epub` inside this folder.
    Folder(PathBuf),
}

/// A mistake on the command line itself (the binary exits with status 2, as for its parser's
/// own errors).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// What the command line of one `build` says, as plain values: the library's side of the
/// command line, which the binary fills from its parse. `None` and `false` leave the decision
/// to the settings file or the default.
#[derive(Debug, Clone)]
pub struct Flags {
    /// The column folders, one book each.
    pub inputs: Vec<PathBuf>,
    /// One settings file for every column, read instead of each column's own.
    pub config: Option<PathBuf>,
    /// The book's file; only with a single column.
    pub output: Option<PathBuf>,
    /// The folder for books named after their titles.
    pub out_dir: Option<PathBuf>,
    /// Only with a single column; blank counts as unset.
    pub title: Option<String>,
    /// Blank counts as unset.
    pub author: Option<String>,
    /// A BCP 47 tag; checked, and an error is a [`UsageError`].
    pub language: Option<String>,
    /// Only with a single column.
    pub cover: Option<PathBuf>,
    pub comments: Option<Limit>,
    pub min_likes: Option<u32>,
    pub with_reply: bool,
    pub offline: bool,
    /// Concurrent image downloads.
    pub jobs: usize,
    /// `None`: the platform's cache folder for lessonpub.
    pub cache_dir: Option<PathBuf>,
    pub cache_mode: CacheMode,
    pub max_width: Option<u32>,
    pub grayscale: bool,
    pub strict: bool,
    pub check: bool,
    /// No progress bar.
    pub quiet: bool,
    /// List the images an offline build could not find.
    pub verbose: bool,
}

/// The command line of one `build`, for any number of columns.
#[derive(Debug, Clone)]
pub struct BuildPlan {
    /// Checked, with blank texts unset and the cache folder resolved.
    flags: Flags,
    /// `Flags::config`, read once for every column.
    shared: Option<(PathBuf, FileConfig)>,
}

impl BuildPlan {
    /// Checks `flags` and reads `--config`; a mistake on the command line is a [`UsageError`].
    pub fn from_flags(mut flags: Flags) -> Result<Self> {
        if flags.inputs.len() > 1 {
            if flags.output.is_some() {
                return Err(UsageError(
                    "-o/--output names the book of a single column; with several, use \
                     `--out-dir DIR`, which names each book after its column's title"
                        .to_owned(),
                )
                .into());
            }
            for (set, flag, key) in [
                (flags.title.is_some(), "--title", "title"),
                (flags.cover.is_some(), "--cover", "cover"),
            ] {
                if set {
                    return Err(UsageError(format!(
                        "{flag} applies to a single column; with several, set `{key} = ...` in \
                         each column's {CONFIG_FILE_NAME}"
                    ))
                    .into());
                }
            }
        }
        if let Some(language) = &flags.language {
            check_language(language)
                .map_err(|e| UsageError(format!("`--lang {language}`: {e}")))?;
        }
        let shared = flags
            .config
            .as_ref()
            .map(|path| FileConfig::load(path).map(|c| (path.clone(), c)))
            .transpose()?;
        flags.title = non_empty(flags.title.as_deref());
        flags.author = non_empty(flags.author.as_deref());
        flags.language = flags.language.map(|l| l.trim().to_owned());
        flags.cache_dir = flags
            .cache_dir
            .or_else(env_cache_dir)
            .or_else(default_cache_dir);
        Ok(BuildPlan { flags, shared })
    }

    /// The column folders, in command-line order.
    pub fn columns(&self) -> &[PathBuf] {
        &self.flags.inputs
    }

    /// The settings of the book for `column`: flags over its settings file over the defaults.
    pub fn config_for(&self, column: &Path) -> Result<BuildConfig> {
        let (file_dir, file, own_file) = match &self.shared {
            Some((path, config)) => (parent_of(path), config.clone(), None),
            None => {
                let path = column.join(CONFIG_FILE_NAME);
                if path.is_file() {
                    (column.to_path_buf(), FileConfig::load(&path)?, Some(path))
                } else {
                    (column.to_path_buf(), FileConfig::default(), None)
                }
            }
        };
        let a = &self.flags;
        let output = match (&a.output, &a.out_dir) {
            (Some(file), _) => Output::File(file.clone()),
            (None, Some(dir)) => Output::Folder(dir.clone()),
            (None, None) => Output::Folder(PathBuf::from(".")),
        };
        Ok(BuildConfig {
            input: column.to_path_buf(),
            output,
            title: a.title.clone().or(file.title),
            author: a.author.clone().or(file.author),
            language: a
                .language
                .clone()
                .or(file.language)
                .unwrap_or_else(|| "zh-CN".to_owned()),
            // A cover named in a settings file is relative to that file, as users write it.
            cover_named_by: own_file.filter(|_| a.cover.is_none() && file.cover.is_some()),
            cover: a
                .cover
                .clone()
                .or_else(|| file.cover.map(|c| file_dir.join(c))),
            comments: CommentChoice {
                limit: a.comments.or(file.comments).unwrap_or_default(),
                min_likes: a.min_likes.or(file.min_likes),
                with_reply: a.with_reply || file.with_reply.unwrap_or(false),
            },
            images: ImageOptions {
                offline: a.offline,
                jobs: a.jobs,
                cache_dir: a.cache_dir.clone(),
                cache_mode: a.cache_mode,
                max_width: a.max_width.or(file.max_width).unwrap_or(DEFAULT_MAX_WIDTH),
                grayscale: a.grayscale || file.grayscale.unwrap_or(false),
                progress: !a.quiet,
                verbose: a.verbose,
            },
            strict: a.strict,
            check: a.check,
        })
    }
}

/// `lessonpub.toml`: the build flags as top-level keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    #[serde(default, deserialize_with = "non_empty_text")]
    title: Option<String>,
    #[serde(default, deserialize_with = "non_empty_text")]
    author: Option<String>,
    #[serde(default, alias = "lang", deserialize_with = "language_tag")]
    language: Option<String>,
    cover: Option<PathBuf>,
    #[serde(default, deserialize_with = "comment_limit")]
    comments: Option<Limit>,
    min_likes: Option<u32>,
    with_reply: Option<bool>,
    #[serde(default, deserialize_with = "image_width")]
    max_width: Option<u32>,
    grayscale: Option<bool>,
}

impl FileConfig {
    fn load(path: &Path) -> Result<Self> {
        // Any real settings file is a few hundred bytes.
        let text = crate::files::read_regular(path, 1 << 20)
            .and_then(|bytes| Ok(String::from_utf8(bytes)?))
            .with_context(|| format!("cannot read settings file `{}`", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|span| crate::text::line_of(&text, span.start));
            let place = line.map(|l| format!(" line {l}")).unwrap_or_default();
            anyhow::anyhow!("`{}`{place}: {}", path.display(), e.message().trim())
        })
    }
}

/// The keys a settings file may hold, in the order `FileConfig` declares them (aliases such as
/// `lang` included), read from the struct itself so help and man page never miss one.
pub fn settings_keys() -> &'static [&'static str] {
    /// Answers serde's `deserialize_struct` by keeping the field names it is handed.
    struct Fields(Option<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom(
                "only a struct's fields are asked for",
            ))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            self.deserialize_any(visitor)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut fields = Fields(None);
    let _ = FileConfig::deserialize(&mut fields);
    fields
        .0
        .expect("a derived struct deserializer names its fields")
}

/// `LESSONPUB_CACHE_DIR`, unless unset or empty (`LESSONPUB_CACHE_DIR= lessonpub …` is how a
/// shell unsets a variable for one command).
fn env_cache_dir() -> Option<PathBuf> {
    std::env::var_os("LESSONPUB_CACHE_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
}

/// The platform's cache folder for lessonpub (`~/.cache/lessonpub` on Linux), if there is a home.
fn default_cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lessonpub").map(|d| d.cache_dir().to_path_buf())
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn parent_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn non_empty_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(non_empty(Option::<String>::deserialize(d)?.as_deref()))
}

fn language_tag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let Some(tag) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    check_language(&tag).map_err(serde::de::Error::custom)?;
    Ok(Some(tag.trim().to_owned()))
}

/// The same range `--max-width` accepts.
fn image_width<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let Some(width) = Option::<i64>::deserialize(d)? else {
        return Ok(None);
    };
    match u32::try_from(width) {
        Ok(w) if (64..=8192).contains(&w) => Ok(Some(w)),
        _ => Err(serde::de::Error::custom(format!(
            "max-width = {width}: expected a number of pixels from 64 to 8192"
        ))),
    }
}

fn comment_limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Limit>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Number(n)) if n < 0 => Err(serde::de::Error::custom(format!(
            "comments = {n}: expected \"all\", \"none\" or a number of comments per lesson"
        ))),
        Some(Raw::Number(n)) => n
            .to_string()
            .parse()
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(Raw::Text(text)) => text.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A loose BCP 47 check: letters, digits and hyphens, subtags of 1 to 8, starting with a
/// 2-3 letter language. Enough to keep junk out of `dc:language` and `xml:lang`.
fn check_language(tag: &str) -> Result<(), String> {
    let mut parts = tag.trim().split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    if lang_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        Ok(())
    } else {
        Err(format!(
            "`{tag}` is not a language tag such as `zh-CN`, `zh-TW` or `en`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<FileConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        std::fs::write(&path, text).unwrap();
        FileConfig::load(&path)
    }

    #[test]
    fn settings_keys_are_the_fields_of_the_settings_file() {
        let keys = settings_keys();
        for key in [
            "title",
            "language",
            "lang",
            "max-width",
            "grayscale",
            "with-reply",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        // Each key is one the file takes; a wrong list would fail here.
        let err = load("no-such-key = 1\n").unwrap_err().to_string();
        for key in keys.iter().filter(|k| **k != "lang") {
            assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
        }
    }

    #[test]
    fn language_tags() {
        for ok in ["zh", "zh-CN", "zh-Hant-TW", "en", "yue"] {
            assert!(check_language(ok).is_ok(), "{ok}");
        }
        for bad in ["", "chinese", "zh_CN", "zh-", "z"] {
            assert!(check_language(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_key_is_read() {
        let c = load("title = \"书\"\nauthor = \"甲\"\nlanguage = \"zh-TW\"\ncover = \"c.png\"\ncomments = 5\nmin-likes = 2\nwith-reply = true\nmax-width = 758\ngrayscale = true\n").unwrap();
        assert_eq!((c.max_width, c.grayscale), (Some(758), Some(true)));
        assert_eq!(
            (
                c.title.as_deref(),
                c.author.as_deref(),
                c.language.as_deref()
            ),
            (Some("书"), Some("甲"), Some("zh-TW"))
        );
        assert_eq!(
            (c.comments, c.min_likes, c.with_reply),
            (Some(Limit::Top(5)), Some(2), Some(true))
        );
        assert_eq!(c.cover, Some(PathBuf::from("c.png")));
        assert_eq!(
            load("comments = \"none\"").unwrap().comments,
            Some(Limit::None)
        );
    }

    #[test]
    fn unknown_key_is_an_error_with_file_and_line() {
        let err = load("title = \"x\"\n\ntitel = \"y\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lessonpub.toml` line 3"), "{err}");
        assert!(err.contains("titel"), "{err}");
    }

    #[test]
    fn bad_values_are_errors_with_line() {
        let err = load("comments = \"many\"\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("`many`"), "{err}");
        let err = load("author = \"a\"\nlanguage = \"chinese\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("chinese"), "{err}");
        let err = load("\nmin-likes = -1\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        let err = load("with-reply = \"yes\"\n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        let err = load("\n\nmax-width = 20\n").unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("64 to 8192"),
            "{err}"
        );
        let err = load("title = \n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
