//! Validated settings for one build, made from the command line. The library reads only this.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::cli::BuildArgs;
use crate::images::{CacheMode, ImageOptions};
use crate::select::CommentChoice;

#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub input: PathBuf,
    /// `None`: `<title>.epub` in the current folder.
    pub output: Option<PathBuf>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub language: String,
    pub comments: CommentChoice,
    pub images: ImageOptions,
    /// Image problems fail the build instead of warning.
    pub strict: bool,
}

impl BuildConfig {
    pub fn from_args(args: &BuildArgs) -> Result<Self> {
        let language = args.language.trim().to_owned();
        if !is_language_tag(&language) {
            bail!(
                "`--lang {}` is not a language tag such as `zh-CN`, `zh-TW` or `en`",
                args.language
            );
        }
        Ok(BuildConfig {
            input: args.input.clone(),
            output: args.output.clone(),
            title: args
                .title
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            author: args
                .author
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            language,
            comments: CommentChoice {
                limit: args.comments,
                min_likes: args.min_likes,
                with_reply: args.with_reply,
            },
            images: ImageOptions {
                offline: args.offline,
                jobs: usize::from(args.jobs),
                cache_dir: args.cache_dir.clone().or_else(default_cache_dir),
                cache_mode: if args.no_cache {
                    CacheMode::Off
                } else if args.refresh {
                    CacheMode::Refresh
                } else {
                    CacheMode::Use
                },
                max_width: args.max_width,
                grayscale: args.grayscale,
                progress: !args.quiet,
                verbose: args.verbose,
            },
            strict: args.strict,
        })
    }
}

/// The platform's cache folder for lessonpub (`~/.cache/lessonpub` on Linux), if there is a home.
fn default_cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lessonpub").map(|d| d.cache_dir().to_path_buf())
}

/// A loose BCP 47 check: letters, digits and hyphens, subtags of 1 to 8, starting with a
/// 2-3 letter language. Enough to keep junk out of `dc:language` and `xml:lang`.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    lang_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for ok in ["zh", "zh-CN", "zh-Hant-TW", "en", "yue"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "chinese", "zh_CN", "zh-", "z"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
