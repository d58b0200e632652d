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
    let run = std::process::Command::new(crate::common::BIN)
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
