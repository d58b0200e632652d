//! The command line itself: help, exit codes, output handling, errors.

use std::fs;
use std::process::Command;

use crate::common::{assert_failure, assert_success, fixture, lessonpub};

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
    let out = crate::common::command()
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
        let mut child = crate::common::command()
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

/// Issue 18: a book is never written over an input of the build, nor over anything that is not
/// an earlier book, nor inside the column under a name the next build would read.
#[test]
fn the_book_never_replaces_what_is_not_a_book() {
    let tmp = tempfile::tempdir().unwrap();
    let column = tmp.path().join("c");
    fs::create_dir(&column).unwrap();
    let lesson = column.join("01 | a.md");
    fs::write(&lesson, "正文").unwrap();
    fs::write(column.join("lessonpub.toml"), "title = \"书\"\n").unwrap();
    let notes = tmp.path().join("notes.txt");
    fs::write(&notes, "mine").unwrap();
    for (out, says) in [
        (lesson.clone(), "is not an EPUB"),
        (column.join("lessonpub.toml"), "is not an EPUB"),
        (column.join("book.md"), "the next build would read"),
        (column.join("mkdocs.yml"), "the next build would read"),
        (notes.clone(), "is not an EPUB"),
    ] {
        let run = crate::common::build_offline(&column, &out, &[]);
        let stderr = assert_failure(&run, &out.display().to_string());
        assert!(stderr.contains(says), "{}: {stderr}", out.display());
    }
    assert_eq!(fs::read_to_string(&lesson).unwrap(), "正文");
    assert_eq!(fs::read_to_string(&notes).unwrap(), "mine");
    assert!(!column.join("book.md").exists() && !column.join("mkdocs.yml").exists());
    // A book inside the column, and a rebuild over it, are fine: the next build skips `.epub`.
    let book = column.join("book.epub");
    for _ in 0..2 {
        assert_success(
            &crate::common::build_offline(&column, &book, &[]),
            "book.epub",
        );
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_or_device_is_never_replaced_by_the_book() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe.epub");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for out in [fifo.as_path(), std::path::Path::new("/dev/null")] {
        let run = crate::common::build_offline(&fixture("html-column"), out, &[]);
        let stderr = assert_failure(&run, &out.display().to_string());
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

/// Issue 18: text from input (here a file name) never reaches the terminal as escape codes.
#[test]
fn escape_codes_in_file_names_are_printed_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let column = tmp.path().join("c");
    fs::create_dir(&column).unwrap();
    let name = "01 \u{1b}]0;pwned\u{7}\u{1b}[2J 课.md";
    fs::write(
        column.join(name),
        "正文\n\n![图](https://img.invalid/a.png)\n",
    )
    .unwrap();
    let out = tmp.path().join("b.epub");
    let run = crate::common::build_offline(&column, &out, &["-v"]);
    assert_success(&run, "escape codes");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("01 \\u{1b}]0;pwned\\u{7}\\u{1b}[2J 课.md"),
        "{stderr}"
    );
}

/// Issue 18: `LESSONPUB_CACHE_DIR=` (set but empty) is how a shell unsets a variable for one
/// command; it means "no such setting", not an error.
#[test]
fn an_empty_cache_dir_variable_counts_as_unset() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    let run = crate::common::command()
        .env("LESSONPUB_CACHE_DIR", "")
        .args(["build".as_ref(), fixture("html-column").as_os_str()])
        .args(["-o".as_ref(), out.as_os_str(), "--offline".as_ref()])
        .output()
        .unwrap();
    assert_success(&run, "LESSONPUB_CACHE_DIR=");
}
