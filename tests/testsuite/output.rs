//! What a build prints and where: colour by `--color`, progress only on a terminal, warnings
//! grouped by cause, counts that add up and read well, `-o -`, and a folder given twice.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::server::{Response, Server};
use crate::common::{BIN, Book, assert_failure, assert_success, column_copy, fixture, lessonpub};

const ESC: &str = "\u{1b}[";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `lessonpub ARGS` with `env` set, NO_COLOR and CLICOLOR_FORCE unset unless `env` sets them.
fn run_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn own_messages_are_coloured_by_the_same_rule_as_clap() {
    let tmp = tempfile::tempdir().unwrap();
    let column = fixture("html-column");
    let book = tmp.path().join("b.epub");
    let (column, book) = (column.to_str().unwrap(), book.to_str().unwrap());
    // A build with warnings (images an offline build cannot have), and a failing one.
    let warn = ["build", column, "-o", book, "--offline", "--no-cache"];
    let fail = ["build", "/nonexistent/column"];
    let usage = ["build", column, "--comments", "many"];
    for args in [&warn[..], &fail[..], &usage[..]] {
        let with = |extra: &[&str], env: &[(&str, &str)]| {
            let mut all = args.to_vec();
            all.extend_from_slice(extra);
            stderr(&run_with(&all, env))
        };
        let always = with(&["--color", "always"], &[]);
        assert!(
            always.contains(ESC) && always.contains("\u{1b}[0m"),
            "{args:?}: no colour with --color always:\n{always}"
        );
        // A pipe is no terminal; NO_COLOR and --color never win over CLICOLOR_FORCE.
        for (extra, env) in [
            (&[][..], &[][..]),
            (&["--color", "never"][..], &[("CLICOLOR_FORCE", "1")][..]),
            (&[][..], &[("NO_COLOR", "1")][..]),
        ] {
            let plain = with(extra, env);
            assert!(
                !plain.contains(ESC),
                "{args:?} {extra:?} {env:?}: coloured:\n{plain}"
            );
            assert!(
                plain.contains("error:") || plain.contains("warning:"),
                "{plain}"
            );
        }
        let forced = with(&[], &[("CLICOLOR_FORCE", "1")]);
        assert!(
            forced.contains(ESC),
            "{args:?}: CLICOLOR_FORCE ignored:\n{forced}"
        );
    }
    // The colour is only around the label: the message is the same text.
    let always = stderr(&run_with(&[&warn[..], &["--color=always"]].concat(), &[]));
    assert!(
        always.contains("\u{1b}[0m 3 remote images are not in the image cache"),
        "{always}"
    );
}

#[test]
fn nothing_is_drawn_on_a_pipe() {
    let tmp = tempfile::tempdir().unwrap();
    let column = fixture("md-column");
    let out = lessonpub([
        "build".as_ref(),
        column.as_os_str(),
        "-o".as_ref(),
        tmp.path().join("b.epub").as_os_str(),
        "--offline".as_ref(),
        "--no-cache".as_ref(),
    ]);
    assert_success(&out, "build on a pipe");
    let err = stderr(&out);
    for drawn in ['\r', '\u{1b}'] {
        assert!(!err.contains(drawn), "{drawn:?} on a pipe:\n{err}");
    }
    // No stage line either: those are for a person watching a terminal.
    for stage in ["discover ", "parse ", "package "] {
        assert!(
            !err.lines().any(|l| l.starts_with(stage)),
            "{stage}:\n{err}"
        );
    }
}

/// A column of one lesson with `avatars` as its comments' avatars and `images` in its article.
fn column_with_images(dir: &Path, images: &[String], avatars: &[String]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut text = String::from("你好，我是作者。\n\n");
    for src in images {
        text.push_str(&format!("![图]({src})\n\n"));
    }
    text.push_str(&format!(
        "结束。\n<div><strong>精选留言（{}）</strong></div><ul>\n",
        avatars.len()
    ));
    for (i, avatar) in avatars.iter().enumerate() {
        text.push_str(&format!(
            "<li><img src=\"{avatar}\" width=\"30px\"><span>读者{i}</span> 👍（{i}） \
             💬（0）<div>评论</div>2019-01-01</li><br/>"
        ));
    }
    text.push_str("\n</ul>");
    std::fs::write(dir.join("01 _ 第一讲.md"), text).unwrap();
}

#[test]
fn failed_images_are_grouped_by_cause_and_listed_with_v() {
    // Every avatar is gone; one article image too; another answers garbage.
    let server = Server::start(|request| match request.path.as_str() {
        "/garbage.png" => Response::ok(b"not an image at all".to_vec()),
        _ => Response::status(404),
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("col");
    let avatars: Vec<String> = (0..3)
        .map(|i| server.url(&format!("/avatar-{i}.jpg")))
        .collect();
    let images = vec![server.url("/gone.png"), server.url("/garbage.png")];
    column_with_images(&dir, &images, &avatars);
    let book = tmp.path().join("b.epub");
    let build = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "build".as_ref(),
            dir.as_os_str(),
            "-o".as_ref(),
            book.as_os_str(),
            "--no-cache".as_ref(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        let out = lessonpub(args);
        assert_success(&out, "build");
        stderr(&out)
    };
    let err = build(&[]);
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert!(
        warnings.contains(&"warning: 3 avatars: HTTP 404; shown as placeholders (-v lists each)"),
        "{err}"
    );
    // A group of one names its image and its lesson.
    let gone = warnings
        .iter()
        .find(|w| w.contains("/gone.png"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        gone.contains("01 _ 第一讲.md") && gone.contains("HTTP 404"),
        "{gone}"
    );
    assert!(!err.contains("/avatar-0.jpg"), "listed without -v:\n{err}");
    assert_eq!(warnings.len(), 3, "{err}");
    // 5 sources: 1 failed to convert (the garbage was downloaded), 4 failed to fetch.
    let summary = err.lines().find(|l| l.starts_with("images:")).unwrap();
    assert!(
        summary.starts_with(
            "images: 5 sources: 0 embedded, 1 failed to convert, 4 failed to fetch; \
             1 downloaded"
        ),
        "{summary}"
    );

    let verbose = build(&["-v"]);
    for avatar in &avatars {
        assert!(
            verbose.contains(&format!("`{avatar}`")),
            "-v does not list {avatar}"
        );
    }
    assert!(
        verbose.contains("3 avatars: HTTP 404; shown as placeholders\n"),
        "{verbose}"
    );
}

#[test]
fn offline_images_not_in_the_cache_are_not_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("col");
    column_with_images(
        &dir,
        &["https://static001.geekbang.org/a.png".to_owned()],
        &["https://static001.geekbang.org/b.jpg".to_owned()],
    );
    let out = lessonpub([
        "build".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        tmp.path().join("b.epub").as_os_str(),
        "--offline".as_ref(),
        "--no-cache".as_ref(),
    ]);
    assert_success(&out, "offline");
    let err = stderr(&out);
    let summary = err.lines().find(|l| l.starts_with("images:")).unwrap();
    assert!(
        summary.starts_with("images: 2 sources: 0 embedded, 2 not in the cache (--offline);"),
        "{summary}"
    );
    assert!(!summary.contains("fail"), "{summary}");
}

#[test]
fn counts_say_one_and_many() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("col");
    column_with_images(&dir, &[], &["data:,x".to_owned()]);
    let out = lessonpub([
        "build".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        tmp.path().join("b.epub").as_os_str(),
        "--offline".as_ref(),
        "--no-cache".as_ref(),
    ]);
    assert_success(&out, "one lesson");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(": 1 lesson, 1 comment, "), "{stdout}");
    let err = stderr(&out);
    assert!(err.contains("images: 1 source: "), "{err}");
    assert!(err.contains("; 1 file in the book"), "{err}");
}

#[test]
fn dash_o_dash_writes_the_book_to_stdout_and_nothing_on_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let column = fixture("html-column");
    let file = tmp.path().join("b.epub");
    let out = lessonpub([
        "build".as_ref(),
        column.as_os_str(),
        "-o".as_ref(),
        file.as_os_str(),
        "--offline".as_ref(),
        "--no-cache".as_ref(),
    ]);
    assert_success(&out, "to a file");
    let out = Command::new(BIN)
        .args(["build".as_ref(), column.as_os_str()])
        .args(["-o", "-", "--offline", "--no-cache"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(tmp.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_success(&out, "-o -");
    assert!(
        out.stdout == std::fs::read(&file).unwrap(),
        "stdout is not the book"
    );
    assert!(
        stderr(&out).contains("wrote the book to stdout: 8 lessons"),
        "{}",
        stderr(&out)
    );
    // No file named `-`, and nothing else left behind.
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
    Book::open(&file);

    // A failing build writes nothing to stdout: not half a book, not a message.
    let bad = tmp.path().join("empty");
    std::fs::create_dir(&bad).unwrap();
    let out = lessonpub([
        "build".as_ref(),
        bad.as_os_str(),
        "-o".as_ref(),
        "-".as_ref(),
    ]);
    assert_failure(&out, "-o - of an empty folder");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_folder_given_twice_is_built_once() {
    let tmp = tempfile::tempdir().unwrap();
    let column = column_copy("html-column", tmp.path());
    let books = tmp.path().join("books");
    std::fs::create_dir(&books).unwrap();
    let link = tmp.path().join("link");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&column, &link).unwrap();
    #[cfg(not(unix))]
    let link = column.clone();
    let out = Command::new(BIN)
        .current_dir(tmp.path())
        .args(["build", "html-column", "./html-column", "html-column/"])
        .arg(&link)
        .args(["--out-dir", "books", "--offline", "--no-cache"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert_success(&out, "the same folder four ways");
    let err = stderr(&out);
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 3, "{err}");
    assert!(
        notes[0].contains("`./html-column` is the same folder as `html-column`; it is built once"),
        "{err}"
    );
    // One column: one book and the single build's line, not a batch table.
    assert_eq!(std::fs::read_dir(&books).unwrap().count(), 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("wrote `books/"), "{stdout}");
}

/// A terminal for a child's stdout: the other end of a new pseudo-terminal, and its own end,
/// which must stay open while the child runs.
#[cfg(unix)]
fn terminal() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on a descriptor this function owns; `ptsname` is read at once,
    // before any other call could reuse its buffer.
    unsafe {
        let own = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(
            own >= 0,
            "posix_openpt: {}",
            std::io::Error::last_os_error()
        );
        assert_eq!(libc::grantpt(own), 0);
        assert_eq!(libc::unlockpt(own), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(own))
            .to_str()
            .unwrap()
            .to_owned();
        let other = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name)
            .unwrap();
        (other, std::fs::File::from_raw_fd(own))
    }
}

#[cfg(unix)]
#[test]
fn dash_o_dash_is_refused_on_a_terminal_and_its_hint_works() {
    let tmp = tempfile::tempdir().unwrap();
    let column = fixture("html-column");
    let (tty, _own) = terminal();
    let out = Command::new(BIN)
        .args(["build".as_ref(), column.as_os_str()])
        .args(["-o", "-", "--offline", "--no-cache"])
        .current_dir(tmp.path())
        .stdout(Stdio::from(tty))
        .output()
        .unwrap();
    let err = assert_failure(&out, "-o - on a terminal");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("redirect it (`-o - > book.epub`)"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    // The hint: stdout redirected to a file.
    let book = tmp.path().join("book.epub");
    let out = Command::new(BIN)
        .args(["build".as_ref(), column.as_os_str()])
        .args(["-o", "-", "--offline", "--no-cache"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdout(Stdio::from(std::fs::File::create(&book).unwrap()))
        .output()
        .unwrap();
    assert_success(&out, "-o - > book.epub");
    Book::open(&book);
}

#[cfg(unix)]
#[test]
fn on_a_terminal_each_stage_gets_a_line() {
    use std::io::Read;
    let tmp = tempfile::tempdir().unwrap();
    let column = fixture("html-column");
    let (tty, mut own) = terminal();
    let mut child = Command::new(BIN)
        .args(["build".as_ref(), column.as_os_str()])
        .args(["-o", "b.epub", "--offline", "--no-cache"])
        .current_dir(tmp.path())
        .stderr(Stdio::from(tty))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Read as it is written (a full terminal would block the build); the read ends with an
    // error once the child, the last holder of the other end, has gone.
    let reader = std::thread::spawn(move || {
        let mut drawn = Vec::new();
        let mut buf = [0; 4096];
        while let Ok(n) = own.read(&mut buf) {
            if n == 0 {
                break;
            }
            drawn.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&drawn).into_owned()
    });
    assert!(child.wait().unwrap().success());
    let drawn = reader.join().unwrap();
    for line in [
        "discover  8 lesson files (",
        "parse     8 lessons, 4 comments (",
        "cover     drawn (",
        "images    3 sources, 2 files in the book (",
        "package   8 chapters (",
    ] {
        assert!(drawn.contains(line), "no `{line}` in:\n{drawn}");
    }
    assert!(drawn.contains("images "), "no image bar:\n{drawn}");
}
