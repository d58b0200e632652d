//! `lessonpub.toml`, `--config` and `--cover`: settings from files, overridden by flags.

use std::fs;

use crate::common::{Book, assert_failure, assert_success, build_offline, column_copy, fixture};

#[test]
fn column_settings_file_is_read_and_flags_override_it() {
    let tmp = tempfile::tempdir().unwrap();
    let column = column_copy("md-column", tmp.path());
    fs::write(
        column.join("lessonpub.toml"),
        "title = \"配置里的书名\"\nauthor = \"配置作者\"\nlanguage = \"zh-TW\"\ncomments = 1\n",
    )
    .unwrap();
    let out = tmp.path().join("a.epub");
    assert_success(&build_offline(&column, &out, &[]), "with lessonpub.toml");
    let book = Book::open(&out);
    let opf = book.text(&book.opf_path);
    assert!(
        opf.contains("<dc:title>配置里的书名</dc:title>") && opf.contains(">配置作者</dc:creator>")
    );
    assert!(opf.contains("<dc:language>zh-TW</dc:language>"));
    assert_eq!(
        book.count_class("comment"),
        3,
        "comments = 1: one per lesson with comments"
    );

    let out = tmp.path().join("b.epub");
    assert_success(
        &build_offline(&column, &out, &["--title", "旗标书名", "--comments", "all"]),
        "flags override",
    );
    let book = Book::open(&out);
    assert!(
        book.text(&book.opf_path)
            .contains("<dc:title>旗标书名</dc:title>")
    );
    assert_eq!(book.count_class("comment"), 6);
}

#[test]
fn settings_file_errors_name_the_file_and_line_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let column = column_copy("html-column", tmp.path());
    fs::write(
        column.join("lessonpub.toml"),
        "title = \"x\"\ncomments = 3\nmin_likes = 2\n",
    )
    .unwrap();
    let out = tmp.path().join("a.epub");
    let stderr = assert_failure(&build_offline(&column, &out, &[]), "unknown key");
    assert!(
        stderr.contains("lessonpub.toml` line 3") && stderr.contains("min_likes"),
        "{stderr}"
    );
    assert!(!out.exists());

    fs::write(
        column.join("lessonpub.toml"),
        "title = \"x\"\ncomments = \"lots\"\n",
    )
    .unwrap();
    let stderr = assert_failure(&build_offline(&column, &out, &[]), "bad value");
    assert!(
        stderr.contains("line 2") && stderr.contains("lots"),
        "{stderr}"
    );
}

#[test]
fn shared_config_with_a_cover_relative_to_it() {
    let tmp = tempfile::tempdir().unwrap();
    let settings = tmp.path().join("settings");
    fs::create_dir(&settings).unwrap();
    let cover = image::RgbImage::from_pixel(300, 480, image::Rgb([200, 30, 30]));
    cover.save(settings.join("封面.png")).unwrap();
    fs::write(
        settings.join("my.toml"),
        "cover = \"封面.png\"\nauthor = \"共享作者\"\n",
    )
    .unwrap();
    let config = settings.join("my.toml");
    let out = tmp.path().join("a.epub");
    let run = build_offline(
        &fixture("html-column"),
        &out,
        &["--config", config.to_str().unwrap()],
    );
    assert_success(&run, "--config");
    let book = Book::open(&out);
    let cover_item = book
        .manifest()
        .into_values()
        .find(|(_, _, p)| p == "cover-image")
        .unwrap();
    assert_eq!(
        book.files[&cover_item.0],
        fs::read(settings.join("封面.png")).unwrap(),
        "a PNG cover is kept as it is"
    );
    assert!(book.text(&book.opf_path).contains(">共享作者</dc:creator>"));
    crate::common::assert_epubcheck_clean(&out);
}

#[test]
fn a_columns_own_settings_cannot_pull_a_cover_from_outside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let column = column_copy("md-column", tmp.path());
    let outside = tmp.path().join("private.png");
    image::RgbImage::from_pixel(300, 480, image::Rgb([1, 2, 3]))
        .save(&outside)
        .unwrap();
    fs::write(
        column.join("lessonpub.toml"),
        "cover = \"../private.png\"\n",
    )
    .unwrap();
    let out = tmp.path().join("a.epub");
    let run = build_offline(&column, &out, &[]);
    assert_success(&run, "outside cover");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("lessonpub.toml") && stderr.contains("outside the column folder"),
        "{stderr}"
    );
    assert!(stderr.contains("pass `--cover` to use it"), "{stderr}");
    let book = Book::open(&out);
    let private = fs::read(&outside).unwrap();
    assert!(
        book.files.values().all(|bytes| *bytes != private),
        "the outside image is not in the book"
    );

    let run = build_offline(&column, &out, &["--cover", outside.to_str().unwrap()]);
    assert_success(&run, "--cover, as the warning says");
    assert!(
        Book::open(&out)
            .files
            .values()
            .any(|bytes| *bytes == private),
        "the image given with --cover is the cover"
    );
}

#[test]
fn cover_flag_converts_other_formats_and_refuses_non_images() {
    let tmp = tempfile::tempdir().unwrap();
    let webp = tmp.path().join("cover.webp");
    image::RgbImage::from_pixel(2000, 3000, image::Rgb([10, 120, 200]))
        .save(&webp)
        .unwrap();
    let out = tmp.path().join("a.epub");
    assert_success(
        &build_offline(
            &fixture("md-column"),
            &out,
            &["--cover", webp.to_str().unwrap()],
        ),
        "--cover webp",
    );
    let book = Book::open(&out);
    let (path, media, _) = book
        .manifest()
        .into_values()
        .find(|(_, _, p)| p == "cover-image")
        .unwrap();
    assert_eq!(media, "image/jpeg");
    let img = image::load_from_memory(&book.files[&path]).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (1600, 2400),
        "scaled to fit 1600x2560"
    );
    crate::common::assert_epubcheck_clean(&out);

    let text = tmp.path().join("cover.png");
    fs::write(&text, "not a picture").unwrap();
    let stderr = assert_failure(
        &build_offline(
            &fixture("md-column"),
            &out,
            &["--cover", text.to_str().unwrap()],
        ),
        "bad cover",
    );
    assert!(stderr.contains("cover.png"), "{stderr}");
}

#[test]
fn help_lists_exactly_the_keys_settings_files_take() {
    let help = crate::common::lessonpub(["build", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout).replace('\n', " ");
    let listed = help
        .split_once("with the flags' names as keys:")
        .and_then(|(_, rest)| rest.split_once('.'))
        .map(|(keys, _)| keys)
        .expect("build --help lists the settings keys");
    let mut listed: Vec<&str> = listed.split(',').map(str::trim).collect();
    listed.sort_unstable();

    // An unknown key's error names every key the files take.
    let tmp = tempfile::tempdir().unwrap();
    let column = column_copy("md-column", tmp.path());
    fs::write(column.join("lessonpub.toml"), "no-such-key = 1\n").unwrap();
    let stderr = assert_failure(
        &build_offline(&column, &tmp.path().join("a.epub"), &[]),
        "unknown key",
    );
    let expected = stderr
        .split_once("expected one of")
        .expect("serde lists the fields")
        .1;
    let mut taken: Vec<&str> = expected
        .split(',')
        .map(|k| k.trim().trim_matches('`'))
        .collect();
    taken.sort_unstable();
    assert_eq!(listed, taken, "{stderr}");
}
