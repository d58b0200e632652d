//! The book's one stylesheet: lessonpub's own (`styles/book.css`), then the device profile's,
//! then the user's `--css FILE`, so each can override what comes before it.
//!
//! The user's file is checked here: a book holds everything it shows, so a stylesheet that
//! imports another or refers to a file (`url(…)`) is refused, naming the line, rather than
//! giving a book that reaches out to the web or misses what it names.

use std::borrow::Cow;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::package::BOOK_CSS;
use crate::profile::Profile;

/// A user's stylesheet is a few kilobytes; a megabyte is no stylesheet.
const MAX_USER_CSS: u64 = 1 << 20;

/// The stylesheet of a book: `BOOK_CSS` alone unless a profile or the user adds to it.
pub fn assemble(profile: Option<Profile>, user: Option<&str>) -> Cow<'static, str> {
    if profile.is_none() && user.is_none() {
        return Cow::Borrowed(BOOK_CSS);
    }
    let mut css = BOOK_CSS.to_owned();
    if let Some(profile) = profile {
        // Each profile's file opens with a comment naming the profiles it serves.
        css.push('\n');
        css.push_str(profile.css());
    }
    if let Some(user) = user {
        css.push_str("\n/* --css */\n");
        css.push_str(user);
        if !user.ends_with('\n') {
            css.push('\n');
        }
    }
    Cow::Owned(css)
}

/// The user's stylesheet at `path`, checked to be self-contained.
pub fn read_user_css(path: &Path) -> Result<String> {
    let bytes = crate::files::read_regular(path, MAX_USER_CSS).with_context(|| {
        format!(
            "cannot read the stylesheet given by --css `{}`",
            path.display()
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "`{}`: the stylesheet is not UTF-8 text; save it as UTF-8",
            path.display()
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let text = strip_charset(text);
    if let Some((line, what)) = outside_reference(text) {
        bail!(
            "`{}` line {line}: {what}; a book holds everything it shows, so its stylesheet may \
             not refer to other files: copy the rules in, or remove the line",
            path.display()
        );
    }
    Ok(text.to_owned())
}

/// `@charset` may only open a stylesheet, and this one is appended to the book's: drop it (the
/// book is UTF-8 anyway).
fn strip_charset(text: &str) -> &str {
    if text.starts_with("@charset")
        && let Some(end) = text.find(';')
    {
        return text[end + 1..].trim_start_matches(['\r', '\n']);
    }
    text
}

/// The first `@import` or `url(…)` outside comments, with its line: what it is.
fn outside_reference(text: &str) -> Option<(usize, String)> {
    let code = blank_comments(text);
    let lower = code.to_ascii_lowercase();
    let import = lower.find("@import").map(|at| (at, "`@import`".to_owned()));
    let url = lower.find("url(").map(|at| {
        let target: String = code[at + 4..]
            .chars()
            .take_while(|&c| c != ')')
            .take(60)
            .collect();
        let target = target.trim().trim_matches(['"', '\'']);
        (at, format!("`url({target})`"))
    });
    let (at, what) = [import, url]
        .into_iter()
        .flatten()
        .min_by_key(|(at, _)| *at)?;
    Some((crate::text::line_of(text, at), what))
}

/// `text` with every `/* … */` comment blanked out (line breaks kept), so offsets and lines
/// stay those of `text`.
fn blank_comments(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut from = 0;
    while let Some(start) = text[from..].find("/*").map(|s| from + s) {
        let end = text[start + 2..]
            .find("*/")
            .map_or(text.len(), |e| start + 2 + e + 2);
        for b in &mut bytes[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        from = end;
    }
    // Whole characters were blanked (comments open and close with ASCII), so this is UTF-8.
    String::from_utf8(bytes).expect("only whole characters are replaced")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_css(text: &str) -> Result<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my.css");
        std::fs::write(&path, text).unwrap();
        read_user_css(&path)
    }

    #[test]
    fn default_book_has_lessonpubs_stylesheet_alone() {
        assert!(matches!(assemble(None, None), Cow::Borrowed(BOOK_CSS)));
    }

    #[test]
    fn profile_then_user_css_come_after_the_books_own() {
        let css = assemble(Some(Profile::Kindle), Some("p { color: red; }"));
        let (book, profile, user) = (
            css.find("body {").unwrap(),
            css.find("/* --profile kindle, kobo").unwrap(),
            css.find("p { color: red; }").unwrap(),
        );
        assert!(book < profile && profile < user, "{css}");
        assert!(css.ends_with("}\n"));
    }

    #[test]
    fn imports_and_urls_are_refused_with_their_line() {
        let err = user_css("p { margin: 0 }\n@import \"https://example.com/a.css\";\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("@import"), "{err}");
        let err = user_css("/* 封面 */\nbody {\n  background: URL( 'bg.png' );\n}\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3") && err.contains("url(bg.png)"),
            "{err}"
        );
    }

    #[test]
    fn comments_may_mention_anything_and_charset_is_dropped() {
        let text =
            "@charset \"UTF-8\";\n/* 不用 @import 或 url(x.png) */\nh1 { font-size: 2em; }\n";
        let css = user_css(text).unwrap();
        assert!(css.starts_with("/* 不用") && css.contains("h1 {"), "{css}");
    }

    #[test]
    fn a_missing_or_binary_stylesheet_is_an_error_naming_it() {
        let err = read_user_css(Path::new("/nonexistent/my.css")).unwrap_err();
        assert!(
            format!("{err:#}").contains("/nonexistent/my.css"),
            "{err:#}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gbk.css");
        std::fs::write(&path, b"p { content: \"\xc4\xe3\" }").unwrap();
        let err = read_user_css(&path).unwrap_err().to_string();
        assert!(err.contains("gbk.css") && err.contains("UTF-8"), "{err}");
    }
}
