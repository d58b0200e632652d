//! What to tell the user about the image stage: failed images, the cache, and `--offline`.

use super::Failure;
use super::store::Stored;
use super::work::Context;
use crate::config::CacheMode;
use crate::diagnostics::{Warning, for_terminal};

/// One warning per image that failed; images missing only because of `--offline` are expected,
/// so they get one warning in all (one each with `-v`).
pub(super) fn warnings(embedded: &Stored, context: &Context) -> Vec<Warning> {
    let (offline, failed): (Vec<&Failure>, Vec<&Failure>) =
        embedded.failures.iter().partition(|f| f.offline);
    let mut warnings: Vec<Warning> = failed.iter().map(|f| f.warning()).collect();
    if !offline.is_empty() {
        let n = offline.len();
        let list = if context.options.verbose {
            ""
        } else {
            " (-v lists them)"
        };
        warnings.push(Warning::new(format!(
            "{n} remote image{} not in the image cache{list}: --offline downloads nothing, so \
             placeholders stand in; build once without --offline to download them",
            if n == 1 { " is" } else { "s are" }
        )));
        if context.options.verbose {
            warnings.extend(offline.iter().map(|f| f.warning()));
        }
    }
    let remote = embedded
        .failures
        .iter()
        .any(|f| f.src.to_ascii_lowercase().starts_with("http"));
    if context.options.cache_dir.is_none()
        && context.options.cache_mode != CacheMode::Off
        && (embedded.stats.downloaded > 0 || remote)
    {
        warnings.push(Warning::new(
            "no folder for the image cache was found, so images are downloaded again on every \
             build; set one with --cache-dir or LESSONPUB_CACHE_DIR",
        ));
    }
    let damaged = context.cache.damaged();
    if let Some((first, why)) = damaged.first() {
        let n = damaged.len();
        let dir = (context.options.cache_dir.as_deref())
            .map(|d| shown(&d.display().to_string()))
            .unwrap_or_default();
        let remade = if context.options.offline {
            "what could be was converted again; a lost download shows a placeholder until a \
             build without --offline"
        } else {
            "what they held was downloaded or converted again"
        };
        warnings.push(Warning::new(format!(
            "{n} damaged entr{} of the image cache `{dir}` dropped (`{first}`: {why}); {remade}",
            if n == 1 { "y" } else { "ies" },
        )));
    }
    let cache_error = context
        .cache_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let Some(error) = cache_error {
        let dir = context
            .options
            .cache_dir
            .as_deref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        warnings.push(Warning::new(format!(
            "cannot write to the image cache `{dir}` ({error}); the next build downloads again"
        )));
    }
    warnings
}

/// `src` made safe and short for a terminal: control and bidi characters escaped, long
/// `data:` URLs cut.
pub(super) fn shown(src: &str) -> String {
    let src = src.replace('\n', "\\n");
    let shown = for_terminal(&src);
    if src.len() > 120 && src.starts_with("data:") {
        let cut: String = shown.chars().take(80).collect();
        return format!("{cut}…");
    }
    shown.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_sources_are_safe_for_a_terminal() {
        assert_eq!(shown("https://a/\u{1b}[31m"), "https://a/\\u{1b}[31m");
        assert_eq!(shown("https://a/\u{202e}x"), "https://a/\\u{202e}x");
        let long = format!("data:image/png;base64,{}", "A".repeat(500));
        assert!(shown(&long).chars().count() <= 81);
    }
}
