//! The command line itself: help, exit codes, output handling, errors.

use std::fs;
use std::process::Command;

use crate::common::{BIN, assert_failure, assert_success, fixture, lessonpub};

#[test]
fn build_help_documents_every_flag_with_examples() {
    let out = lessonpub(["build", "--help"]);
    assert_success(&out, "build --help");
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--output",
        "--comments",
        "--min-likes",
        "--with-reply",
        "--offline",
        "--title",
        "--author",
        "--lang",
        "--strict",
        "--quiet",
        "--verbose",
        "Examples:",
        "Exit status",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(lessonpub(["build"]).status.code(), Some(2));
    assert_eq!(
        lessonpub(["build", ".", "--comments", "many"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(lessonpub(["frobnicate"]).status.code(), Some(2));
}

#[test]
fn missing_input_folder_is_named() {
    let out = lessonpub([
        "build",
        "/nonexistent/column",
        "-o",
        "/tmp/x.epub",
        "--offline",
    ]);
    let stderr = assert_failure(&out, "missing input");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("/nonexistent/column"), "{stderr}");
}

#[test]
fn output_problems_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let column = fixture("html-column");
    let out = lessonpub([
        "build".as_ref(),
        column.as_os_str(),
        "-o".as_ref(),
        tmp.path().as_os_str(),
        "--offline".as_ref(),
    ]);
    assert!(assert_failure(&out, "output is a folder").contains("is a folder"));
    let missing = tmp.path().join("no/such/dir/b.epub");
    let out = lessonpub([
        "build".as_ref(),
        column.as_os_str(),
        "-o".as_ref(),
        missing.as_os_str(),
        "--offline".as_ref(),
    ]);
    assert!(assert_failure(&out, "missing output folder").contains("does not exist"));
}

#[test]
fn without_output_flag_the_book_is_named_after_its_title() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(tmp.path())
        .args([
            "build".as_ref(),
            fixture("md-column").as_os_str(),
            "--offline".as_ref(),
            "-q".as_ref(),
        ])
        .output()
        .unwrap();
    assert_success(&out, "default output");
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["测试专栏 · Markdown.epub"]);
    assert!(
        out.stderr.is_empty(),
        "-q prints nothing on success: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_language_tag_is_refused() {
    let out = lessonpub([
        "build".as_ref(),
        fixture("md-column").as_os_str(),
        "--lang".as_ref(),
        "chinese".as_ref(),
    ]);
    assert!(assert_failure(&out, "bad --lang").contains("--lang chinese"));
}

/// Ctrl-C (SIGINT) or SIGTERM leaves either the complete book or nothing: never a partial or
/// temporary file. The test interrupts once early, and exactly while the temporary book file
/// exists, with each signal.
#[cfg(unix)]
#[test]
fn interrupting_a_build_leaves_no_partial_file() {
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let column = tmp.path().join("big");
    fs::create_dir(&column).unwrap();
    // Enough text that packaging takes a moment.
    let paragraph = "<p>性能优化需要从系统的角度出发，理解 CPU、内存、磁盘和网络的工作原理。</p>\n"
        .repeat(20_000);
    for i in 1..=8 {
        fs::write(column.join(format!("{i:02} _ 第{i}讲.html")), &paragraph).unwrap();
    }
    let out_dir = tmp.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("book.epub");
    let names = || -> Vec<String> {
        fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    for (signal, wait_for_partial_file) in [("-INT", false), ("-INT", true), ("-TERM", true)] {
        let _ = fs::remove_file(&out);
        let mut child = Command::new(BIN)
            .args([
                "build".as_ref(),
                column.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
                "--offline".as_ref(),
                "-q".as_ref(),
            ])
            .spawn()
            .unwrap();
        if wait_for_partial_file {
            let start = Instant::now();
            while !names().iter().any(|n| n.ends_with(".part.epub")) {
                assert!(
                    start.elapsed() < Duration::from_secs(120),
                    "no temporary file ever appeared"
                );
                assert!(
                    child.try_wait().unwrap().is_none(),
                    "the build ended before it was interrupted"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        } else {
            std::thread::sleep(Duration::from_millis(100));
        }
        Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        let status = child.wait().unwrap();
        let leftovers: Vec<_> = names().into_iter().filter(|n| n != "book.epub").collect();
        assert!(
            leftovers.is_empty(),
            "{signal} (during packaging: {wait_for_partial_file}): left {leftovers:?}"
        );
        match status.code() {
            Some(0) => assert!(
                zip::ZipArchive::new(fs::File::open(&out).unwrap()).is_ok(),
                "complete book"
            ),
            Some(130) => assert!(!out.exists(), "interrupted, yet a book was written"),
            other => panic!("{signal}: exit {other:?}"),
        }
    }
}

/// README.md shows `lessonpub build -h` verbatim; this keeps the two from drifting apart.
#[test]
fn readme_mirrors_the_build_help() {
    let out = lessonpub(["build", "-h"]);
    assert_success(&out, "build -h");
    let help = String::from_utf8_lossy(&out.stdout);
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(help.trim_end()),
        "README.md's copy of `lessonpub build -h` is stale; paste this in:\n{help}"
    );
}
