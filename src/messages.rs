//! What lessonpub says on stderr in its own name: `error:`, `warning:` and `note:` lines,
//! coloured by the rule clap colours its own errors by (`--color`, then `NO_COLOR` and
//! `CLICOLOR_FORCE`, then whether stderr is a terminal).

use std::ffi::OsString;
use std::io::Write;
use std::sync::OnceLock;

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;

static COLOR: OnceLock<clap::ColorChoice> = OnceLock::new();

/// The `--color` of the command line, read before clap parses it, so that clap's own errors
/// (a typo in `--comments`, say) follow it too.
pub fn color_from_args(args: impl IntoIterator<Item = OsString>) -> clap::ColorChoice {
    let mut args = args.into_iter();
    let mut value = None;
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy().into_owned();
        if arg == "--" {
            break;
        } else if arg == "--color" {
            value = args.next().map(|v| v.to_string_lossy().into_owned());
        } else if let Some(v) = arg.strip_prefix("--color=") {
            value = Some(v.to_owned());
        }
    }
    // A bad value is clap's to report; until then, the default.
    value
        .and_then(|v| clap::ColorChoice::from_str(&v, true).ok())
        .unwrap_or_default()
}

/// Sets the choice every later message follows; the first call wins.
pub fn set_color(choice: clap::ColorChoice) {
    let _ = COLOR.set(choice);
}

pub fn error(message: &str) {
    say(
        "error",
        Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        message,
    );
}

pub fn warning(message: &str) {
    say(
        "warning",
        Style::new().bold().fg_color(Some(AnsiColor::Yellow.into())),
        message,
    );
}

pub fn note(message: &str) {
    say(
        "note",
        Style::new().bold().fg_color(Some(AnsiColor::Cyan.into())),
        message,
    );
}

fn say(label: &str, style: Style, message: &str) {
    let choice = match COLOR.get().copied().unwrap_or_default() {
        clap::ColorChoice::Auto => anstream::ColorChoice::Auto,
        clap::ColorChoice::Always => anstream::ColorChoice::Always,
        clap::ColorChoice::Never => anstream::ColorChoice::Never,
    };
    let mut err = anstream::AutoStream::new(std::io::stderr().lock(), choice);
    // Nothing is left to tell when stderr itself fails.
    let _ = writeln!(err, "{style}{label}:{style:#} {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn color(args: &[&str]) -> clap::ColorChoice {
        color_from_args(args.iter().map(OsString::from))
    }

    #[test]
    fn color_is_read_in_every_spelling_and_only_before_a_double_dash() {
        assert_eq!(color(&["lessonpub", "build", "x"]), clap::ColorChoice::Auto);
        assert_eq!(
            color(&["lessonpub", "--color", "always", "build"]),
            clap::ColorChoice::Always
        );
        assert_eq!(
            color(&["lessonpub", "build", "--color=never", "x"]),
            clap::ColorChoice::Never
        );
        assert_eq!(
            color(&["lessonpub", "build", "--", "--color=never"]),
            clap::ColorChoice::Auto
        );
        assert_eq!(
            color(&["lessonpub", "--color", "sometimes"]),
            clap::ColorChoice::Auto
        );
    }
}
