//! Problems that did not stop the build, with the place they come from.
//!
//! Stages never print. They return warnings, and `main.rs` decides how to show them, so tests can
//! assert on them and `-q` can silence them in one place. This module depends on no stage, so
//! every stage can depend on it.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

/// A problem that did not stop the build, with the place it comes from when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: String,
}

impl Warning {
    pub fn new(message: impl Into<String>) -> Self {
        Warning {
            file: None,
            line: None,
            message: message.into(),
        }
    }

    pub fn in_file(file: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Warning {
            file: Some(file.to_path_buf()),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => {
                write!(f, "`{}` line {line}: {}", file.display(), self.message)
            }
            (Some(file), None) => write!(f, "`{}`: {}", file.display(), self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// `n` and its noun, in the singular for one and the plural otherwise: `1 lesson`,
/// `2 lessons`, `0 entries`. Every count lessonpub prints goes through here.
pub fn count<N: Copy + fmt::Display + TryInto<u64>>(n: N, noun: &str) -> String {
    if n.try_into().ok() == Some(1) {
        return format!("1 {noun}");
    }
    format!("{n} {}", plural(noun))
}

/// The English plural of a regular noun.
pub fn plural(noun: &str) -> String {
    let consonant_y = noun
        .strip_suffix('y')
        .filter(|stem| stem.chars().last().is_some_and(|c| !"aeiou".contains(c)));
    if let Some(stem) = consonant_y {
        format!("{stem}ies")
    } else if ["s", "x", "ch", "sh"].iter().any(|end| noun.ends_with(end)) {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

/// `text` made safe to print on a terminal: control characters (but line breaks) and bidi
/// controls are written as `\u{…}` escapes, so a file name or title from a column cannot set the
/// window title, clear the screen or reorder what the user reads. Everything lessonpub prints
/// that holds text from input goes through here.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() && c != '\n') || is_bidi_control(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_say_one_and_many() {
        assert_eq!(count(1, "lesson"), "1 lesson");
        assert_eq!(count(2, "lesson"), "2 lessons");
        assert_eq!(count(0u64, "error"), "0 errors");
        assert_eq!(count(1, "entry"), "1 entry");
        assert_eq!(count(3, "entry"), "3 entries");
        assert_eq!(count(2, "day"), "2 days");
        assert_eq!(count(2, "match"), "2 matches");
    }

    #[test]
    fn terminal_escapes_from_input_are_written_out() {
        let name = "01 \u{1b}]0;pwned\u{7}\u{1b}[2J | 课.md";
        assert_eq!(
            for_terminal(name),
            "01 \\u{1b}]0;pwned\\u{7}\\u{1b}[2J | 课.md"
        );
        assert_eq!(for_terminal("a\u{202e}b\rc"), "a\\u{202e}b\\u{d}c");
        assert!(matches!(for_terminal("第一行\n第二行"), Cow::Borrowed(_)));
    }
}
