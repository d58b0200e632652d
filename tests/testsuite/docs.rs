//! The documentation the binary carries: the man page, `--help` and shell completions, checked
//! against the definitions they come from (every flag of `--help`, every key the settings file
//! takes).

use std::collections::BTreeSet;

use crate::common::{assert_failure, assert_success, fixture, lessonpub};

fn stdout_of(args: &[&str]) -> String {
    let out = lessonpub(args);
    assert_success(&out, &args.join(" "));
    String::from_utf8(out.stdout).unwrap()
}

/// The man page as text: roff's escaped hyphens and font changes undone.
fn man_page() -> String {
    stdout_of(&["man"])
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fR", "")
        .replace("\\fI", "")
}

/// Every `--flag` named in `text`.
fn long_flags(text: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for (i, _) in text.match_indices("--") {
        let name: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '-')
            .collect();
        if name.len() > 1 {
            flags.insert(format!("--{name}"));
        }
    }
    flags
}

/// The keys `--help` says the settings file takes.
fn keys_in_help() -> Vec<String> {
    let help = stdout_of(&["build", "--help"]).replace('\n', " ");
    let start = help
        .find("with the flags' names as keys: ")
        .expect("build --help lists the settings keys")
        + "with the flags' names as keys: ".len();
    let end = start + help[start..].find(". ").unwrap();
    help[start..end]
        .split(',')
        .map(|k| k.trim().to_owned())
        .collect()
}

#[test]
fn man_page_has_every_command_option_setting_variable_and_exit_status() {
    let man = man_page();
    for section in [
        "SYNOPSIS",
        "COMMANDS",
        "GLOBAL OPTIONS",
        "SETTINGS FILE",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
    ] {
        assert!(
            man.contains(&format!(".SH \"{section}\"")) || man.contains(&format!(".SH {section}")),
            "no {section} section"
        );
    }
    for command in ["build", "check", "completions", "man"] {
        assert!(
            man.contains(&format!(".SS \"lessonpub {command}\"")),
            "no section for {command}"
        );
        for flag in long_flags(&stdout_of(&[command, "--help"])) {
            assert!(
                man.contains(&flag),
                "the man page lacks {flag} of {command}"
            );
        }
    }
    let settings = &man[man.find("SETTINGS FILE\"").unwrap()..man.find("ENVIRONMENT").unwrap()];
    for key in keys_in_help() {
        assert!(
            settings.contains(&format!("\n{key}\n")),
            "no entry for the key {key}"
        );
    }
    for variable in [
        "LESSONPUB_CACHE_DIR",
        "EPUBCHECK_JAR",
        "SOURCE_DATE_EPOCH",
        "NO_COLOR",
        "XDG_CACHE_HOME",
    ] {
        assert!(man.contains(variable), "the man page lacks {variable}");
    }
    assert!(man.contains("130 when interrupted"));
    assert!(man.contains("2 when EPUBCheck cannot run"));
}

#[test]
fn man_page_refers_to_no_page_that_does_not_exist() {
    let man = man_page();
    // Pages of subcommands (lessonpub-build(1)) are not installed: the one page has it all.
    let re = regex::Regex::new(r"[A-Za-z][\w.-]*\(\d\)").unwrap();
    let refs: Vec<&str> = re.find_iter(&man).map(|m| m.as_str()).collect();
    assert!(refs.is_empty(), "refers to {refs:?}");
    for command in ["build", "check", "completions", "man"] {
        assert!(
            !man.contains(&format!("lessonpub-{command}")),
            "refers to a page for {command}"
        );
    }
}

#[test]
fn help_lists_the_keys_the_settings_file_takes() {
    let keys = keys_in_help();
    for key in ["max-width", "grayscale", "comments", "title"] {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }
    // The settings file's own error lists the keys it takes: the same list.
    let tmp = tempfile::tempdir().unwrap();
    let settings = tmp.path().join("s.toml");
    std::fs::write(&settings, "no-such-key = 1\n").unwrap();
    let column = fixture("html-column");
    let out = lessonpub([
        "build".as_ref(),
        column.as_os_str(),
        "--config".as_ref(),
        settings.as_os_str(),
        "-o".as_ref(),
        tmp.path().join("b.epub").as_os_str(),
        "--offline".as_ref(),
    ]);
    let stderr = assert_failure(&out, "unknown key");
    let expected: BTreeSet<String> = stderr
        .split("expected one of ")
        .nth(1)
        .unwrap_or_else(|| panic!("{stderr}"))
        .split(", ")
        .map(|k| k.trim().trim_matches('`').to_owned())
        .collect();
    assert_eq!(expected, keys.into_iter().collect::<BTreeSet<_>>());
    let config_help = stdout_of(&["build", "--help"]);
    assert!(
        config_help.contains("Keys: title, author"),
        "--config help lists no keys"
    );
}

/// The lines of the bash completion script that answer after `option`.
fn bash_answer(script: &str, option: &str) -> String {
    let start = script
        .find(&format!("\n                {option})"))
        .unwrap_or_else(|| panic!("no completion for {option}"));
    let end = start + script[start..].find(";;").unwrap();
    script[start..end].to_owned()
}

#[test]
fn bash_completion_offers_values_where_values_go_and_paths_where_paths_go() {
    let script = stdout_of(&["completions", "bash"]);
    let comments = bash_answer(&script, "--comments");
    assert!(comments.contains("compgen -W \"all none\""), "{comments}");
    let color = bash_answer(&script, "--color");
    assert!(color.contains("auto always never"), "{color}");
    for number in [
        "--comments",
        "--min-likes",
        "--jobs",
        "--max-width",
        "--title",
        "--lang",
    ] {
        let answer = bash_answer(&script, number);
        assert!(
            !answer.contains("compgen -f"),
            "{number} offers file names: {answer}"
        );
    }
    for file in ["--output", "--config", "--cover"] {
        let answer = bash_answer(&script, file);
        assert!(
            answer.contains("compgen -f"),
            "{file} offers no file names: {answer}"
        );
    }
    for dir in ["--out-dir", "--cache-dir"] {
        let answer = bash_answer(&script, dir);
        assert!(
            answer.contains("plusdirs"),
            "{dir} offers no folders: {answer}"
        );
    }
}
