//! Several columns in one run: one book each, a table of results, failures don't stop the rest.

use std::fs;

use crate::common::{Book, assert_failure, column_copy, corpus, fixture, lessonpub};

#[test]
fn three_columns_and_a_broken_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("books");
    fs::create_dir(&out_dir).unwrap();
    let broken = tmp.path().join("broken-column");
    fs::create_dir(&broken).unwrap();
    fs::write(broken.join("cover.png"), b"no lessons here").unwrap();
    // Real columns when the corpus is there (build.rs), our fixtures otherwise.
    let (columns, titles) = if cfg!(no_corpus) {
        (
            vec![
                fixture("html-column"),
                fixture("md-column"),
                fixture("html-column"),
            ],
            vec!["html-column", "测试专栏 · Markdown", "html-column (2)"],
        )
    } else {
        let c = corpus();
        (
            vec![
                c.join("html/sre-handbook"),
                c.join("md/rust-mq"),
                c.join("html/serverless-advanced"),
            ],
            vec![
                "sre-handbook",
                "Rust实战 · 手写下一代云原生消息队列",
                "serverless-advanced",
            ],
        )
    };
    let mut args = vec!["build".as_ref(), columns[0].as_os_str(), broken.as_os_str()];
    args.extend(columns[1..].iter().map(|c| c.as_os_str()));
    args.extend([
        "--out-dir".as_ref(),
        out_dir.as_os_str(),
        "--offline".as_ref(),
    ]);
    let run = lessonpub(args);
    let stderr = assert_failure(&run, "batch with a broken column");
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr.contains("broken-column") && stderr.contains("no lesson files"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("3 built, 1 failed"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("broken-column") && l.contains("FAILED")),
        "{stdout}"
    );
    for title in titles {
        let book = out_dir.join(format!("{title}.epub"));
        assert!(
            book.is_file(),
            "{} missing; have {:?}",
            book.display(),
            fs::read_dir(&out_dir).unwrap().collect::<Vec<_>>()
        );
        assert!(!Book::open(&book).nav().is_empty());
    }
    assert_eq!(
        fs::read_dir(&out_dir).unwrap().count(),
        3,
        "nothing else in the output folder"
    );
}

#[test]
fn books_with_the_same_title_do_not_overwrite_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    // Two folders of the same name: the same title (one folder given twice is built once).
    let sources = tempfile::tempdir().unwrap();
    let first = column_copy("html-column", &sources.path().join("a"));
    let second = column_copy("html-column", &sources.path().join("b"));
    let run = lessonpub([
        "build".as_ref(),
        first.as_os_str(),
        second.as_os_str(),
        "--out-dir".as_ref(),
        tmp.path().as_os_str(),
        "--offline".as_ref(),
        "-q".as_ref(),
    ]);
    assert!(run.status.success());
    let mut names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["html-column (2).epub", "html-column.epub"]);
}

#[test]
fn single_column_flags_are_refused_with_several_columns() {
    let (html, md) = (fixture("html-column"), fixture("md-column"));
    for flag in [["-o", "x.epub"], ["--title", "t"], ["--cover", "c.png"]] {
        let run = lessonpub([
            "build".as_ref(),
            html.as_os_str(),
            md.as_os_str(),
            flag[0].as_ref(),
            flag[1].as_ref(),
        ]);
        let stderr = assert_failure(&run, flag[0]);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
    }
}

#[test]
fn a_folder_of_columns_names_them_and_the_batch_command_builds_them() {
    let tmp = tempfile::tempdir().unwrap();
    let columns = tmp.path().join("columns");
    column_copy("html-column", &columns);
    column_copy("md-column", &columns);
    let run = lessonpub(["build".as_ref(), columns.as_os_str(), "--offline".as_ref()]);
    let stderr = assert_failure(&run, "a folder of columns");
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr.contains("holds columns, not lessons: `html-column`, `md-column`"),
        "{stderr}"
    );
    let shown = format!("lessonpub build {}/* --out-dir OUT", columns.display());
    assert!(stderr.contains(&shown), "{stderr}");

    // The command as a shell runs it: the glob expanded, in name order.
    let out_dir = tmp.path().join("OUT");
    fs::create_dir(&out_dir).unwrap();
    let mut args = vec!["build".into(), columns.join("html-column")];
    args.extend([
        columns.join("md-column"),
        "--out-dir".into(),
        out_dir.clone(),
        "--offline".into(),
    ]);
    let run = lessonpub(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(fs::read_dir(&out_dir).unwrap().count(), 2);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn the_corpus_format_folders_hold_columns() {
    let corpus = corpus();
    for (folder, names) in [
        ("md", "`programmer-advance`, `rust-mq`, `sql-must-know`"),
        ("mkdocs-site", "`api-testing-intro`, `kafka-core`"),
        ("md-nonav", "`agile-explained`"),
    ] {
        let run = lessonpub([
            "build".as_ref(),
            corpus.join(folder).as_os_str(),
            "--offline".as_ref(),
        ]);
        let stderr = assert_failure(&run, folder);
        assert!(stderr.contains(names), "{stderr}");
    }
}
