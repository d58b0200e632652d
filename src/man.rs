//! The man page: one page, lessonpub(1), as ripgrep has, so `man lessonpub` answers everything
//! and refers to no page that is not installed. The commands and their options come from the
//! clap definitions (the same text `--help` prints); the settings file's keys from `config.rs`;
//! the rest (environment, files, exit status) is written here, the one place that lists it.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_mangen::Man;
use lessonpub::config::{CONFIG_FILE_NAME, settings_keys};
use roff::{Roff, bold, italic, roman};

use crate::cli::{BUILD_EXAMPLES, BUILD_EXIT, CHECK_EXIT, CHECK_HELP, Cli, settings_help};

/// Writes the whole page.
pub fn render(out: &mut dyn Write) -> io::Result<()> {
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let man = Man::new(top.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;

    let mut synopsis = Roff::default();
    synopsis.control("SH", ["SYNOPSIS"]);
    out.write_all(synopsis.to_roff().as_bytes())?;
    for (i, sub) in top.get_subcommands().enumerate() {
        if i > 0 {
            out.write_all(b".br\n")?;
        }
        let page = subcommand_page(sub);
        out.write_all(&body(|w| page.render_synopsis_section(w))?)?;
    }

    let mut description = Roff::default();
    description.control("SH", ["DESCRIPTION"]);
    description.text([roman(
        "lessonpub turns a column folder (lesson files saved from GeekTime, as Markdown or HTML, \
         or an MkDocs site) into one EPUB 3 book that reads offline: articles, comments and every \
         image stored inside the book. Run each command with --help for the same text as below.",
    )]);
    description.control("SH", ["COMMANDS"]);
    out.write_all(description.to_roff().as_bytes())?;
    for sub in top.get_subcommands() {
        let page = subcommand_page(sub);
        let mut head = Roff::default();
        head.control("SS", [format!("lessonpub {}", sub.get_name()).as_str()]);
        out.write_all(head.to_roff().as_bytes())?;
        out.write_all(&body(|w| page.render_description_section(w))?)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            out.write_all(&body(|w| page.render_options_section(w))?)?;
        }
        let extra = match sub.get_name() {
            "build" => Some(format!("{BUILD_EXAMPLES}\n\n{}", settings_help())),
            "check" => Some(CHECK_HELP.to_owned()),
            _ => sub.get_after_long_help().map(ToString::to_string),
        };
        if let Some(text) = extra {
            let mut roff = Roff::default();
            roff.control("PP", []);
            paragraphs(&mut roff, &text);
            out.write_all(roff.to_roff().as_bytes())?;
        }
    }

    let mut global = Roff::default();
    global.control("SH", ["GLOBAL OPTIONS"]);
    out.write_all(global.to_roff().as_bytes())?;
    out.write_all(&body(|w| man.render_options_section(w))?)?;

    let mut rest = Roff::default();
    settings_section(&mut rest, &top);
    environment_section(&mut rest);
    files_section(&mut rest);
    exit_status_section(&mut rest);
    out.write_all(rest.to_roff().as_bytes())?;
    man.render_version_section(out)?;
    Ok(())
}

/// A subcommand's own page, whose sections become part of the one page: the global options
/// (`--color`, `--help`) are listed once, under GLOBAL OPTIONS.
fn subcommand_page(sub: &clap::Command) -> Man {
    let mut sub = sub.clone();
    for id in ["color", "help"] {
        if sub.get_arguments().any(|a| a.get_id() == id) {
            sub = sub.mut_arg(id, |a| a.hide(true));
        }
    }
    Man::new(sub)
}

/// A section of a page without its `.SH` heading: under its command's heading, the parts of a
/// subcommand's page need none of their own.
fn body(section: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let mut roff = Vec::new();
    section(&mut roff)?;
    let text = String::from_utf8_lossy(&roff);
    Ok(text
        .split_inclusive('\n')
        .filter(|line| !line.starts_with(".SH "))
        .collect::<String>()
        .into_bytes())
}

/// Help text as roff: blank lines start paragraphs, indented lines (examples, commands) are
/// kept as they are.
fn paragraphs(roff: &mut Roff, text: &str) {
    let mut verbatim = false;
    for line in text.lines() {
        let indented = line.starts_with("  ");
        if indented != verbatim {
            roff.control(if indented { "nf" } else { "fi" }, []);
            verbatim = indented;
        }
        if line.trim().is_empty() {
            roff.control("PP", []);
        } else {
            roff.text([roman(line)]);
        }
    }
    if verbatim {
        roff.control("fi", []);
    }
}

fn settings_section(roff: &mut Roff, top: &clap::Command) {
    roff.control("SH", ["SETTINGS FILE"]);
    roff.text([roman(format!(
        "A TOML file, {CONFIG_FILE_NAME} in the column folder or the file given with --config. \
         An unknown key or a bad value stops the build with the file and line. The keys:"
    ))]);
    let build = top
        .find_subcommand("build")
        .expect("the build command is defined");
    for key in settings_keys() {
        roff.control("TP", []);
        roff.text([bold(*key)]);
        // Each key is the flag of the same name (`lang` and `language` both are `--lang`).
        let flag = build
            .get_arguments()
            .find(|a| a.get_long() == Some(key) || a.get_id().as_str() == key.replace('-', "_"));
        match flag.and_then(|f| Some((f.get_long()?, f.get_help()?))) {
            Some((long, help)) => roff.text([roman(format!("As --{long}: {help}"))]),
            None => roff.text([roman("See lessonpub build --help.")]),
        };
    }
}

fn environment_section(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    let variables = [
        (
            "LESSONPUB_CACHE_DIR",
            "The image cache folder, when --cache-dir is not given. Set but empty counts as unset.",
        ),
        (
            "LESSONPUB_CONFIG",
            "The user-wide settings file to read instead of the platform's one; it must exist.",
        ),
        (
            "XDG_CONFIG_HOME",
            "On Linux, the user-wide settings file is $XDG_CONFIG_HOME/lessonpub/config.toml \
             (~/.config/lessonpub/config.toml when it is unset).",
        ),
        (
            "XDG_CACHE_HOME",
            "On Linux, the default image cache is $XDG_CACHE_HOME/lessonpub (~/.cache/lessonpub \
             when it is unset).",
        ),
        (
            "EPUBCHECK_JAR",
            "The path of epubcheck.jar, for check and build --check; when it is set no other \
             EPUBCheck is tried.",
        ),
        (
            "SOURCE_DATE_EPOCH",
            "Seconds since 1970 written as the book's modification time, for reproducible \
             builds (default: the time of the newest lesson file).",
        ),
        (
            "NO_COLOR",
            "When set to anything but the empty string, messages are not coloured (--color auto).",
        ),
        (
            "CLICOLOR_FORCE",
            "When set to anything but 0, messages are coloured even when stderr is not a \
             terminal (--color auto).",
        ),
    ];
    for (name, what) in variables {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(what)]);
    }
}

fn files_section(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    roff.control("TP", []);
    roff.text([italic(format!("COLUMN/{CONFIG_FILE_NAME}"))]);
    roff.text([roman(
        "The column's settings (see SETTINGS FILE). It may only name a cover inside the column.",
    )]);
    roff.control("TP", []);
    roff.text([italic("~/.config/lessonpub/config.toml")]);
    roff.text([roman(
        "The user-wide settings, under the column's own file and the flags (same keys); \
         ~/Library/Application Support/lessonpub/config.toml on macOS, \
         %APPDATA%\\lessonpub\\config\\config.toml on Windows. LESSONPUB_CONFIG names another.",
    )]);
    roff.control("TP", []);
    roff.text([italic("~/.cache/lessonpub")]);
    roff.text([roman(
        "The image cache on Linux ($XDG_CACHE_HOME/lessonpub); ~/Library/Caches/lessonpub on \
         macOS, %LOCALAPPDATA%\\lessonpub\\cache on Windows. Downloaded images and the files \
         made from them; it can be deleted at any time. --cache-dir and LESSONPUB_CACHE_DIR \
         move it.",
    )]);
    roff.control("TP", []);
    roff.text([italic(".lessonpub-XXXXXX.part.epub")]);
    roff.text([roman(
        "The book while it is written, in the output's folder; renamed into place when complete \
         and removed on failure or interrupt.",
    )]);
}

fn exit_status_section(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for (command, status) in [
        ("lessonpub build", BUILD_EXIT),
        ("lessonpub check", CHECK_EXIT),
        (
            "lessonpub completions, lessonpub man",
            "0 on success; 2 when the command line is wrong; 1 when the output cannot be written.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(command)]);
        roff.text([roman(status)]);
    }
}
