//! The command line, as clap definitions. All help text lives here; nothing past `config.rs`
//! sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::images::{DEFAULT_JOBS, DEFAULT_MAX_WIDTH};

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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an EPUB from a column folder
    #[command(after_long_help = BUILD_EXAMPLES)]
    Build(BuildArgs),
}

const BUILD_EXAMPLES: &str = "\
Examples:
  lessonpub build ./linux-perf -o linux-perf.epub
  lessonpub build ./sql-must-know --comments 10 --min-likes 5
  lessonpub build ./sre-handbook --comments none --offline
  lessonpub build ./linux-perf --grayscale --max-width 758 --cache-dir /tmp/lessonpub-cache

Exit status: 0 when the book was written; 1 when the build failed (nothing is written);
2 when the command line is wrong.";

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The column folder: lesson files, or an MkDocs column (mkdocs.yml beside docs/)
    #[arg(value_name = "DIR")]
    pub input: PathBuf,

    /// Where to write the book [default: <column title>.epub in the current folder]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Which comments to include: all, none, or the N most liked of each lesson
    ///
    /// `all` (the default) keeps every comment in page order. `N` keeps the N most liked comments of
    /// each lesson, most liked first, ties in page order; in a format that records no likes
    /// (html-comments columns) it keeps the first N in page order. `none` leaves comments out.
    #[arg(long, value_name = "all|none|N", default_value = "all", value_parser = parse_comment_limit)]
    pub comments: crate::select::Limit,

    /// Only include comments with at least N likes
    ///
    /// Applied before --comments N. Columns whose format records no likes (html-comments) cannot
    /// be filtered by likes: the build stops with an error instead of silently dropping everything.
    #[arg(long, value_name = "N")]
    pub min_likes: Option<u32>,

    /// Only include comments the author or editor replied to
    ///
    /// In md-comments columns, which keep only a reply count, a comment counts as answered when
    /// that count is above zero.
    #[arg(long)]
    pub with_reply: bool,

    /// Make no network request: images come only from the image cache, local files and data: URLs
    ///
    /// Remote images that are not in the cache are shown as placeholders; one warning gives their
    /// number, and -v lists them. Combine with --strict to fail instead.
    #[arg(long)]
    pub offline: bool,

    /// Download at most N images at a time
    ///
    /// Decoding and resizing use every core regardless.
    #[arg(short, long, value_name = "N", default_value_t = DEFAULT_JOBS,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// Keep downloaded images in DIR [default: the user's cache folder]
    ///
    /// The cache holds every downloaded image and the files made from it, so a rebuild of the
    /// same column makes no request and repeats no image work. The default is
    /// $XDG_CACHE_HOME/lessonpub (usually ~/.cache/lessonpub) on Linux,
    /// ~/Library/Caches/lessonpub on macOS and %LOCALAPPDATA%\lessonpub\cache on Windows.
    /// Failed downloads are not kept, so the next build tries them again. The folder can be
    /// deleted at any time.
    #[arg(long, value_name = "DIR", env = "LESSONPUB_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Download and process every image again, replacing what the cache holds
    #[arg(long, conflicts_with_all = ["offline", "no_cache"])]
    pub refresh: bool,

    /// Neither read nor write the image cache (every image is downloaded, nothing is kept)
    #[arg(long)]
    pub no_cache: bool,

    /// Scale article images down to at most PX pixels wide; never up
    ///
    /// The default fits the screen of current 6-7 inch e-readers; 758 suits older 6 inch ones and
    /// makes smaller books. Images much taller than wide (long screenshots) are cut into
    /// page-shaped slices at this width so their text stays readable. Avatars are always 96 px.
    #[arg(long, value_name = "PX", default_value_t = DEFAULT_MAX_WIDTH,
          value_parser = clap::value_parser!(u32).range(64..=8192))]
    pub max_width: u32,

    /// Store every image in 8-bit gray, for e-ink readers (smaller books)
    #[arg(long)]
    pub grayscale: bool,

    /// Book title [default: the column's name (MkDocs site_name) or the folder name]
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,

    /// Book author, written to the EPUB metadata
    #[arg(long, value_name = "TEXT")]
    pub author: Option<String>,

    /// Book language as a BCP 47 tag; e-readers pick Chinese fonts from it
    #[arg(long = "lang", value_name = "TAG", default_value = "zh-CN")]
    pub language: String,

    /// Fail when any image cannot be had, instead of showing a placeholder (nothing is written)
    ///
    /// Without it, an image that cannot be downloaded or decoded becomes a placeholder and the
    /// build warns once per image, naming the URL, the lesson and the reason.
    #[arg(long)]
    pub strict: bool,

    /// Print only errors
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print every warning in full, and what each stage did
    #[arg(short, long)]
    pub verbose: bool,
}

fn parse_comment_limit(value: &str) -> Result<crate::select::Limit, String> {
    use crate::select::Limit;
    match value.trim().to_ascii_lowercase().as_str() {
        "all" => Ok(Limit::All),
        "none" | "0" => Ok(Limit::None),
        n => n.parse::<usize>().map(Limit::Top).map_err(|_| {
            format!("expected `all`, `none` or a number of comments per lesson, not `{value}`")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::Limit;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn comment_limits_parse() {
        assert_eq!(parse_comment_limit("all"), Ok(Limit::All));
        assert_eq!(parse_comment_limit("None"), Ok(Limit::None));
        assert_eq!(parse_comment_limit("0"), Ok(Limit::None));
        assert_eq!(parse_comment_limit("12"), Ok(Limit::Top(12)));
        assert!(parse_comment_limit("-3").unwrap_err().contains("`-3`"));
    }
}
