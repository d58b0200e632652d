//! Validated settings for each build, from the command line (`Flags`, which the binary fills from
//! its argument parser, so the library depends on no parser), `lessonpub.toml` and the user-wide
//! settings file.
//!
//! Precedence: a flag on the command line, then the column's settings file (`--config FILE`,
//! else `lessonpub.toml` in the column folder), then the user-wide file (`user_config_path`),
//! then the device profile's parts (`--profile`), then the default. `FileConfig` is the one
//! place that defines the keys of both files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::lessons::LessonSelection;
use crate::profile::Profile;
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

/// Names the user-wide settings file instead of the platform's (tests point it at a file of
/// their own, so they never read the user's).
pub const USER_CONFIG_ENV: &str = "LESSONPUB_CONFIG";

/// The user-wide settings file: `LESSONPUB_CONFIG` when set and not empty, else `config.toml`
/// in the platform's configuration folder for lessonpub (`$XDG_CONFIG_HOME/lessonpub`, usually
/// `~/.config/lessonpub`, on Linux; `~/Library/Application Support/lessonpub` on macOS;
/// `%APPDATA%\lessonpub\config` on Windows). The flag says whether the user named it, in which
/// case it must exist.
pub fn user_config_path() -> Option<(PathBuf, bool)> {
    if let Some(path) = std::env::var_os(USER_CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(path), true));
    }
    directories::ProjectDirs::from("", "", "lessonpub")
        .map(|d| (d.config_dir().join("config.toml"), false))
}

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
    /// The device profile, whose stylesheet the book gets (its width and grey are in `images`).
    pub profile: Option<Profile>,
    /// A stylesheet of the user's, added after the book's own and the profile's.
    pub css: Option<PathBuf>,
    /// The column's own settings file, when the stylesheet comes from it (as `cover_named_by`).
    pub css_named_by: Option<PathBuf>,
    /// Which lessons go into the book; `None`: all.
    pub lessons: Option<LessonSelection>,
    /// Cut the book into this many volumes.
    pub volumes: Option<u32>,
    /// Cut the book into volumes of at most this many bytes each (unless `volumes` fixes their
    /// number; then a volume over it is a warning).
    pub max_size: Option<u64>,
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
#[derive(Debug, Clone, Default)]
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
    pub jobs: Option<usize>,
    /// `None`: `LESSONPUB_CACHE_DIR`, the settings files, else the platform's cache folder.
    pub cache_dir: Option<PathBuf>,
    pub cache_mode: CacheMode,
    pub max_width: Option<u32>,
    /// `Some(false)`: colour, whatever the profile or settings say.
    pub grayscale: Option<bool>,
    pub profile: Option<Profile>,
    pub css: Option<PathBuf>,
    pub lessons: Option<LessonSelection>,
    pub volumes: Option<u32>,
    /// Bytes.
    pub max_size: Option<u64>,
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
    /// The user-wide settings file, under every column's.
    user: FileConfig,
}

impl BuildPlan {
    /// Checks `flags` and reads `--config` and the user-wide settings file; a mistake on the
    /// command line is a [`UsageError`].
    pub fn from_flags(flags: Flags) -> Result<Self> {
        Self::with_user_file(flags, user_config_path())
    }

    /// As `from_flags`, with the user-wide file at `user` (and whether the user named it).
    fn with_user_file(mut flags: Flags, user: Option<(PathBuf, bool)>) -> Result<Self> {
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
            .map(|path| FileConfig::load(path, Source::Given).map(|c| (path.clone(), c)))
            .transpose()?;
        let user = match user {
            Some((path, named)) if named || path.exists() => FileConfig::load(&path, Source::User)
                .with_context(|| {
                    if named {
                        format!("{USER_CONFIG_ENV} names the user-wide settings file")
                    } else {
                        "in the user-wide settings file".to_owned()
                    }
                })?,
            _ => FileConfig::default(),
        };
        flags.title = non_empty(flags.title.as_deref());
        flags.author = non_empty(flags.author.as_deref());
        flags.language = flags.language.map(|l| l.trim().to_owned());
        flags.cache_dir = flags.cache_dir.or_else(env_cache_dir);
        Ok(BuildPlan {
            flags,
            shared,
            user,
        })
    }

    /// The column folders, in command-line order.
    pub fn columns(&self) -> &[PathBuf] {
        &self.flags.inputs
    }

    /// The settings of the book for `column`: flags over its settings file over the defaults.
    pub fn config_for(&self, column: &Path) -> Result<BuildConfig> {
        let (file, own_file) = match &self.shared {
            Some((_, config)) => (config.clone(), None),
            None => {
                let path = column.join(CONFIG_FILE_NAME);
                if path.is_file() {
                    (FileConfig::load(&path, Source::Column)?, Some(path))
                } else {
                    (FileConfig::default(), None)
                }
            }
        };
        // What the column's file named itself, before the user's file fills the gaps.
        let (own_cover, own_css) = (file.cover.is_some(), file.css.is_some());
        let file = file.over(self.user.clone());
        let a = &self.flags;
        let profile = a.profile.or(file.profile);
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
            cover_named_by: own_file.clone().filter(|_| a.cover.is_none() && own_cover),
            cover: a.cover.clone().or(file.cover),
            css_named_by: own_file.filter(|_| a.css.is_none() && own_css),
            css: a.css.clone().or(file.css),
            profile,
            lessons: a.lessons.clone().or(file.lessons),
            volumes: a.volumes.or(file.volumes),
            max_size: a.max_size.or(file.max_size),
            comments: CommentChoice {
                limit: a.comments.or(file.comments).unwrap_or_default(),
                min_likes: a.min_likes.or(file.min_likes),
                with_reply: a.with_reply || file.with_reply.unwrap_or(false),
            },
            images: ImageOptions {
                offline: a.offline,
                jobs: a.jobs.or(file.jobs).unwrap_or(usize::from(DEFAULT_JOBS)),
                cache_dir: a
                    .cache_dir
                    .clone()
                    .or(file.cache_dir.map(Spanned::into_inner))
                    .or_else(default_cache_dir),
                cache_mode: a.cache_mode,
                max_width: a
                    .max_width
                    .or(file.max_width)
                    .or(profile.map(Profile::max_width))
                    .unwrap_or(DEFAULT_MAX_WIDTH),
                grayscale: a
                    .grayscale
                    .or(file.grayscale)
                    .or(profile.map(Profile::grayscale))
                    .unwrap_or(false),
                progress: !a.quiet,
                verbose: a.verbose,
            },
            strict: a.strict || file.strict.unwrap_or(false),
            check: a.check,
        })
    }
}

/// Which settings file is read: it decides what the file may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `lessonpub.toml` in a column folder, which may come from someone else's disk.
    Column,
    /// `--config FILE`.
    Given,
    /// The user-wide file.
    User,
}

/// `lessonpub.toml` and the user-wide file: the build flags as top-level keys. Paths are
/// relative to the file's folder until `load` resolves them.
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
    #[serde(default, deserialize_with = "parsed_text")]
    profile: Option<Profile>,
    css: Option<PathBuf>,
    #[serde(default, deserialize_with = "parsed_text")]
    lessons: Option<LessonSelection>,
    #[serde(default, deserialize_with = "volume_count")]
    volumes: Option<u32>,
    #[serde(default, deserialize_with = "byte_size")]
    max_size: Option<u64>,
    #[serde(default, deserialize_with = "download_jobs")]
    jobs: Option<usize>,
    /// Kept with its place: a column's own file may not set it.
    cache_dir: Option<Spanned<PathBuf>>,
    strict: Option<bool>,
}

impl FileConfig {
    fn load(path: &Path, source: Source) -> Result<Self> {
        // Any real settings file is a few hundred bytes.
        let text = crate::files::read_regular(path, 1 << 20)
            .and_then(|bytes| Ok(String::from_utf8(bytes)?))
            .with_context(|| format!("cannot read settings file `{}`", path.display()))?;
        let mut config: FileConfig = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|span| crate::text::line_of(&text, span.start));
            let place = line.map(|l| format!(" line {l}")).unwrap_or_default();
            anyhow::anyhow!("`{}`{place}: {}", path.display(), e.message().trim())
        })?;
        if source == Source::Column
            && let Some(dir) = &config.cache_dir
        {
            anyhow::bail!(
                "`{}` line {}: cache-dir may not be set by a column's own settings (a column from \
                 someone else's disk must not choose where lessonpub writes); set it in the \
                 user-wide settings file, a --config file, LESSONPUB_CACHE_DIR or --cache-dir",
                path.display(),
                crate::text::line_of(&text, dir.span().start)
            );
        }
        // Paths in a settings file are relative to that file, as users write them.
        let dir = parent_of(path);
        config.cover = config.cover.map(|p| dir.join(p));
        config.css = config.css.map(|p| dir.join(p));
        config.cache_dir = config.cache_dir.map(|p| {
            let span = p.span();
            Spanned::new(span, dir.join(p.into_inner()))
        });
        Ok(config)
    }

    /// These settings, with `lower`'s filling the keys they leave unset.
    fn over(self, lower: FileConfig) -> FileConfig {
        FileConfig {
            title: self.title.or(lower.title),
            author: self.author.or(lower.author),
            language: self.language.or(lower.language),
            cover: self.cover.or(lower.cover),
            comments: self.comments.or(lower.comments),
            min_likes: self.min_likes.or(lower.min_likes),
            with_reply: self.with_reply.or(lower.with_reply),
            max_width: self.max_width.or(lower.max_width),
            grayscale: self.grayscale.or(lower.grayscale),
            profile: self.profile.or(lower.profile),
            css: self.css.or(lower.css),
            lessons: self.lessons.or(lower.lessons),
            volumes: self.volumes.or(lower.volumes),
            max_size: self.max_size.or(lower.max_size),
            jobs: self.jobs.or(lower.jobs),
            cache_dir: self.cache_dir.or(lower.cache_dir),
            strict: self.strict.or(lower.strict),
        }
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

/// A key whose text value parses as the flag's does (`profile = "kindle"`, `lessons = "1-20"`).
fn parsed_text<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    Option::<String>::deserialize(d)?
        .map(|text| text.parse().map_err(serde::de::Error::custom))
        .transpose()
}

/// The same range `--volumes` accepts.
fn volume_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let Some(n) = Option::<i64>::deserialize(d)? else {
        return Ok(None);
    };
    crate::volumes::check_count(n)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `"50MB"`, as `--max-size` takes it.
fn byte_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    parsed_text::<D, crate::volumes::ByteSize>(d).map(|size| size.map(|s| s.0))
}

/// The same range `--jobs` accepts.
fn download_jobs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let Some(n) = Option::<i64>::deserialize(d)? else {
        return Ok(None);
    };
    match usize::try_from(n) {
        Ok(n) if (1..=64).contains(&n) => Ok(Some(n)),
        _ => Err(serde::de::Error::custom(format!(
            "jobs = {n}: expected a number of downloads at a time from 1 to 64"
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
        FileConfig::load(&path, Source::Column)
    }

    /// A plan for `column` with the user-wide file holding `user`, and `column`'s own file
    /// holding `own` (when given).
    fn plan(column: &Path, user: &str, own: Option<&str>, flags: Flags) -> Result<BuildConfig> {
        let user_file = column.join("user.toml");
        std::fs::write(&user_file, user).unwrap();
        if let Some(own) = own {
            std::fs::write(column.join(CONFIG_FILE_NAME), own).unwrap();
        }
        let flags = Flags {
            inputs: vec![column.to_path_buf()],
            ..flags
        };
        BuildPlan::with_user_file(flags, Some((user_file, true)))?.config_for(column)
    }

    #[test]
    fn flags_over_column_file_over_user_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let user = "jobs = 3\nstrict = true\ncache-dir = \"cache\"\nmax-width = 900\n\
                    comments = 4\ncss = \"my.css\"\n";
        let c = plan(dir.path(), user, None, Flags::default()).unwrap();
        assert_eq!(
            (c.images.jobs, c.strict, c.images.max_width),
            (3, true, 900)
        );
        assert_eq!(c.images.cache_dir, Some(dir.path().join("cache")));
        assert_eq!(c.comments.limit, Limit::Top(4));
        assert_eq!(c.css, Some(dir.path().join("my.css")));
        // The user's own stylesheet is trusted; only a column's own is checked.
        assert_eq!(c.css_named_by, None);

        let own = "max-width = 700\nstrict = false\ncomments = \"none\"\n";
        let c = plan(dir.path(), user, Some(own), Flags::default()).unwrap();
        assert_eq!(
            (c.images.jobs, c.strict, c.images.max_width),
            (3, false, 700)
        );
        assert_eq!(c.comments.limit, Limit::None);

        let flags = Flags {
            jobs: Some(9),
            max_width: Some(600),
            strict: true,
            cache_dir: Some("flag-cache".into()),
            ..Flags::default()
        };
        let c = plan(dir.path(), user, Some(own), flags).unwrap();
        assert_eq!(
            (c.images.jobs, c.strict, c.images.max_width),
            (9, true, 600)
        );
        assert_eq!(c.images.cache_dir, Some(PathBuf::from("flag-cache")));

        let empty = tempfile::tempdir().unwrap();
        let c = plan(empty.path(), "", None, Flags::default()).unwrap();
        assert_eq!(c.images.jobs, usize::from(DEFAULT_JOBS));
        assert_eq!(
            (c.images.max_width, c.images.grayscale),
            (DEFAULT_MAX_WIDTH, false)
        );
        assert!(!c.strict && c.css.is_none() && c.profile.is_none());
    }

    #[test]
    fn a_profile_fills_only_what_no_setting_gives() {
        let dir = tempfile::tempdir().unwrap();
        let c = plan(dir.path(), "profile = \"kobo\"\n", None, Flags::default()).unwrap();
        assert_eq!(c.profile, Some(Profile::Kobo));
        assert_eq!((c.images.max_width, c.images.grayscale), (1072, true));

        let user = "profile = \"kobo\"\nmax-width = 1264\n";
        let own = "grayscale = false\n";
        let c = plan(dir.path(), user, Some(own), Flags::default()).unwrap();
        assert_eq!((c.images.max_width, c.images.grayscale), (1264, false));

        let flags = Flags {
            profile: Some(Profile::Tablet),
            grayscale: Some(true),
            ..Flags::default()
        };
        let c = plan(dir.path(), "profile = \"kobo\"\n", Some(""), flags).unwrap();
        assert_eq!(c.profile, Some(Profile::Tablet));
        assert_eq!((c.images.max_width, c.images.grayscale), (1600, true));
    }

    #[test]
    fn a_columns_own_file_may_not_choose_the_cache_folder() {
        let dir = tempfile::tempdir().unwrap();
        let own = "title = \"x\"\ncache-dir = \"/tmp/elsewhere\"\n";
        let err = plan(dir.path(), "", Some(own), Flags::default()).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("lessonpub.toml` line 2") && err.contains("user-wide"),
            "{err}"
        );
        // The stylesheet a column's own file names is checked as its cover is.
        let c = plan(dir.path(), "", Some("css = \"s.css\"\n"), Flags::default()).unwrap();
        assert_eq!(c.css_named_by, Some(dir.path().join(CONFIG_FILE_NAME)));
    }

    #[test]
    fn a_user_file_named_by_the_environment_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.toml");
        let flags = Flags {
            inputs: vec![dir.path().to_path_buf()],
            ..Flags::default()
        };
        let err =
            BuildPlan::with_user_file(flags.clone(), Some((missing.clone(), true))).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains(USER_CONFIG_ENV) && err.contains("missing.toml"),
            "{err}"
        );
        // The platform's file is optional.
        assert!(BuildPlan::with_user_file(flags, Some((missing, false))).is_ok());
    }

    #[test]
    fn new_keys_are_read_and_checked_with_their_line() {
        let c =
            load("profile = \"Kindle\"\nlessons = \"1-20,30\"\nvolumes = 3\nmax-size = \"50MB\"\n")
                .unwrap();
        assert_eq!(c.profile, Some(Profile::Kindle));
        assert_eq!(c.lessons, Some("1-20,30".parse().unwrap()));
        assert_eq!((c.volumes, c.max_size), (Some(3), Some(50_000_000)));
        for (text, line, says) in [
            ("\njobs = 0\n", 2, "1 to 64"),
            ("jobs = 65\n", 1, "1 to 64"),
            ("\n\nvolumes = 0\n", 3, "from 1 to 999"),
            ("max-size = \"50\"\n", 1, "`50MB`"),
            ("max-size = 50\n", 1, "string"),
            ("profile = \"nook\"\n", 1, "kindle, kobo"),
            ("lessons = \"3-1\"\n", 1, "backwards"),
            ("strict = 1\n", 1, "bool"),
        ] {
            let err = format!("{:#}", load(text).unwrap_err());
            assert!(
                err.contains(&format!("line {line}")) && err.contains(says),
                "{text}: {err}"
            );
        }
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
        assert!(c.cover.unwrap().ends_with("c.png"));
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
