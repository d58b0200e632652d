//! Every hint that tells the user to do something, followed as it is written: it must work.
//! Elsewhere: images.rs follows "-v lists them" and "build once without --offline"; settings.rs
//! "pass `--cover`"; EPUBCheck's install lines need root and the network, so they were tried by
//! hand on Debian 12 (see README's set-up).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{
    BIN, Book, assert_failure, assert_success, build_offline, column_copy, fixture, lessonpub,
};

fn build(columns: &[&Path], flags: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["build".as_ref()];
    args.extend(columns.iter().map(|c| c.as_os_str()));
    args.extend(flags.iter().map(|f| std::ffi::OsStr::new(*f)));
    args.push("--offline".as_ref());
    lessonpub(args)
}

#[test]
fn output_with_several_columns_points_to_out_dir() {
    let (a, b) = (fixture("html-column"), fixture("md-column"));
    let run = build(&[&a, &b], &["-o", "x.epub"]);
    let stderr = assert_failure(&run, "-o with two columns");
    assert!(stderr.contains("use `--out-dir DIR`"), "{stderr}");

    let tmp = tempfile::tempdir().unwrap();
    let run = build(&[&a, &b], &["--out-dir", tmp.path().to_str().unwrap()]);
    assert_success(&run, "--out-dir, as the hint says");
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
}

#[test]
fn title_and_cover_with_several_columns_point_to_each_columns_settings_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (
        column_copy("html-column", tmp.path()),
        column_copy("md-column", tmp.path()),
    );
    for (flag, key) in [("--title", "title"), ("--cover", "cover")] {
        let stderr = assert_failure(&build(&[&a, &b], &[flag, "x"]), flag);
        assert!(
            stderr.contains(&format!(
                "set `{key} = ...` in each column's lessonpub.toml"
            )),
            "{stderr}"
        );
    }

    let cover = image::RgbImage::from_pixel(300, 480, image::Rgb([9, 8, 7]));
    for (column, title) in [(&a, "甲"), (&b, "乙")] {
        cover.save(column.join("cover.png")).unwrap();
        let settings = format!("title = \"{title}\"\ncover = \"cover.png\"\n");
        fs::write(column.join("lessonpub.toml"), settings).unwrap();
    }
    let books = tmp.path().join("books");
    fs::create_dir(&books).unwrap();
    let run = build(&[&a, &b], &["--out-dir", books.to_str().unwrap()]);
    assert_success(
        &run,
        "title and cover in each lessonpub.toml, as the hint says",
    );
    for (column, title) in [(&a, "甲"), (&b, "乙")] {
        let book = Book::open(&books.join(format!("{title}.epub")));
        let png = fs::read(column.join("cover.png")).unwrap();
        assert!(book.files.values().any(|bytes| *bytes == png), "{title}");
    }
}

/// clap's tip for a value that looks like a flag is `-- -3`, which ends the options instead.
#[test]
fn negative_numbers_get_no_double_dash_tip() {
    let column = fixture("md-column");
    for (flag, value) in [
        ("--comments", "-3"),
        ("--min-likes", "-1"),
        ("--jobs", "-1"),
        ("--max-width", "-5"),
    ] {
        let run = build(&[&column], &[flag, value]);
        let stderr = assert_failure(&run, flag);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("'{value}' for '{flag}")) && !stderr.contains("-- -"),
            "{stderr}"
        );
    }
    let stderr = assert_failure(&build(&[&column], &["--comments", "-3"]), "-3");
    assert!(
        stderr.contains("expected `all`, `none` or a number of comments per lesson"),
        "{stderr}"
    );
    let tmp = tempfile::tempdir().unwrap();
    for value in ["all", "none", "3"] {
        let out = tmp.path().join(format!("{value}.epub"));
        assert_success(&build_offline(&column, &out, &["--comments", value]), value);
    }
}

#[test]
fn min_likes_on_a_column_without_likes_points_to_comments_n() {
    let column = fixture("html-column");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    let stderr = assert_failure(
        &build_offline(&column, &out, &["--min-likes", "3"]),
        "likes",
    );
    assert!(
        stderr.contains("drop the flag, or use `--comments N`"),
        "{stderr}"
    );
    assert_success(
        &build_offline(&column, &out, &["--comments", "2"]),
        "--comments N",
    );
    assert!(Book::open(&out).count_class("comment") > 0);
}

#[test]
fn output_that_is_a_folder_points_to_a_file_name() {
    let column = fixture("html-column");
    let tmp = tempfile::tempdir().unwrap();
    let stderr = assert_failure(&build_offline(&column, tmp.path(), &[]), "-o folder");
    assert!(
        stderr.contains("give a file name such as `book.epub`"),
        "{stderr}"
    );
    let out = tmp.path().join("book.epub");
    assert_success(&build_offline(&column, &out, &[]), "-o folder/book.epub");
}

#[test]
fn epubcheck_jar_that_is_wrong_says_to_unset_it() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("b.epub");
    assert_success(
        &build_offline(&fixture("md-column"), &book, &["-q"]),
        "build",
    );
    let check = |jar: Option<&Path>| {
        let mut command = crate::common::command();
        match jar {
            Some(jar) => command.env("EPUBCHECK_JAR", jar),
            None => command.env_remove("EPUBCHECK_JAR"),
        };
        command.arg("check").arg(&book).output().unwrap()
    };
    let run = check(Some(&tmp.path().join("old.jar")));
    let stderr = assert_failure(&run, "EPUBCHECK_JAR to nothing");
    assert!(
        stderr.contains("unset it to let lessonpub look for EPUBCheck"),
        "{stderr}"
    );
    assert_success(&check(None), "EPUBCHECK_JAR unset");
}

#[test]
#[cfg(unix)]
fn a_folder_of_columns_gives_a_batch_command_that_works_in_a_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("my columns 专栏");
    column_copy("html-column", &parent);
    column_copy("md-column", &parent);
    let stderr = assert_failure(&build(&[&parent], &[]), "a folder of columns");
    let command = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("lessonpub build "))
        .unwrap_or_else(|| panic!("no command in: {stderr}"));
    fs::create_dir(tmp.path().join("OUT")).unwrap();
    // Run as a user would paste it; --offline keeps the test off the network.
    let command = format!(
        "'{BIN}'{} --offline",
        command.strip_prefix("lessonpub").unwrap()
    );
    let run = Command::new("sh")
        .args(["-c", &command])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_success(&run, &command);
    assert_eq!(fs::read_dir(tmp.path().join("OUT")).unwrap().count(), 2);
}

#[test]
fn without_a_usable_tmpdir_lessons_wait_in_memory_and_pointing_tmpdir_at_a_folder_works() {
    let tmp = tempfile::tempdir().unwrap();
    let column = fixture("html-column");
    let build_with = |tmpdir: &Path, out: &Path| {
        crate::common::command()
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("TMPDIR", tmpdir)
            .args(["build".as_ref(), column.as_os_str(), "-o".as_ref()])
            .arg(out)
            .args(["--offline", "--comments", "all"])
            .output()
            .unwrap()
    };
    // No temporary file can be made: the book is the same, from memory.
    let nowhere = tmp.path().join("no-such-folder");
    let from_memory = tmp.path().join("memory.epub");
    assert_success(&build_with(&nowhere, &from_memory), "TMPDIR unusable");
    // As the hint says: a writable folder, which the lessons then wait in.
    let folder = tmp.path().join("tmp");
    fs::create_dir(&folder).unwrap();
    let from_disk = tmp.path().join("disk.epub");
    assert_success(&build_with(&folder, &from_disk), "TMPDIR a writable folder");
    assert_eq!(
        fs::read(&from_memory).unwrap(),
        fs::read(&from_disk).unwrap()
    );
    assert!(Book::open(&from_disk).count_class("comment") > 0);
}
