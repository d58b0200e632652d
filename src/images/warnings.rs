//! What to tell the user about the image stage: failed images, the cache, and `--offline`.

use super::store::Stored;
use super::work::Context;
use super::{Failure, Kind};
use crate::config::CacheMode;
use crate::diagnostics::{Warning, count, for_terminal};

/// Failed images grouped by what they were for and why they failed (`31 avatars: HTTP 404`),
/// each group once, in reading order; `-v` lists each image of a group after it. A group of one
/// is that image's own warning. Images missing only because of `--offline` are expected, so
/// they get one warning in all (one each with `-v`).
pub(super) fn warnings(embedded: &Stored, context: &Context) -> Vec<Warning> {
    let (offline, failed): (Vec<&Failure>, Vec<&Failure>) =
        embedded.failures.iter().partition(|f| f.offline);
    let verbose = context.options.verbose;
    let mut warnings = Vec::new();
    for group in by_cause(&failed) {
        match group.as_slice() {
            [one] => warnings.push(one.warning()),
            all => {
                let noun = match all[0].kind {
                    Kind::Article => "article image",
                    Kind::Avatar => "avatar",
                };
                let list = if verbose { "" } else { " (-v lists each)" };
                warnings.push(Warning::new(format!(
                    "{}: {}; shown as placeholders{list}",
                    count(all.len(), noun),
                    all[0].reason
                )));
                if verbose {
                    warnings.extend(all.iter().map(|f| f.warning()));
                }
            }
        }
    }
    if !offline.is_empty() {
        let n = offline.len();
        let list = if verbose { "" } else { " (-v lists them)" };
        warnings.push(Warning::new(format!(
            "{} {} not in the image cache{list}: --offline downloads nothing, so \
             placeholders stand in; build once without --offline to download them",
            count(n, "remote image"),
            if n == 1 { "is" } else { "are" }
        )));
        if verbose {
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
            "{} of the image cache `{dir}` dropped (`{first}`: {why}); {remade}",
            count(n, "damaged entry"),
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

/// `failures` in groups of the same kind and reason, in the order each group first appears.
fn by_cause<'f>(failures: &[&'f Failure]) -> Vec<Vec<&'f Failure>> {
    let mut groups: Vec<Vec<&Failure>> = Vec::new();
    for failure in failures {
        let same =
            |g: &&mut Vec<&Failure>| g[0].kind == failure.kind && g[0].reason == failure.reason;
        match groups.iter_mut().find(same) {
            Some(group) => group.push(failure),
            None => groups.push(vec![failure]),
        }
    }
    groups
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

    fn failure(src: &str, kind: Kind, reason: &str) -> Failure {
        Failure {
            src: src.into(),
            kind,
            lessons: vec!["1.md".into()],
            reason: reason.into(),
            offline: false,
        }
    }

    #[test]
    fn failures_are_grouped_by_kind_and_reason_in_reading_order() {
        let all = [
            failure("a1", Kind::Avatar, "HTTP 404"),
            failure("p1", Kind::Article, "HTTP 404"),
            failure("a2", Kind::Avatar, "HTTP 404"),
            failure("a3", Kind::Avatar, "HTTP 500"),
            failure("a4", Kind::Avatar, "HTTP 404"),
        ];
        let refs: Vec<&Failure> = all.iter().collect();
        let groups: Vec<Vec<&str>> = by_cause(&refs)
            .iter()
            .map(|g| g.iter().map(|f| f.src.as_str()).collect())
            .collect();
        assert_eq!(groups, [vec!["a1", "a2", "a4"], vec!["p1"], vec!["a3"]]);
    }

    #[test]
    fn shown_sources_are_safe_for_a_terminal() {
        assert_eq!(shown("https://a/\u{1b}[31m"), "https://a/\\u{1b}[31m");
        assert_eq!(shown("https://a/\u{202e}x"), "https://a/\\u{202e}x");
        let long = format!("data:image/png;base64,{}", "A".repeat(500));
        assert!(shown(&long).chars().count() <= 81);
    }
}
