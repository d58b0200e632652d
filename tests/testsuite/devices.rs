//! Settings for a reader: device profiles (`--profile`), the user's stylesheet (`--css`) and
//! the user-wide settings file, under the column's own and the flags.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{
    Book, assert_epubcheck_clean, assert_failure, assert_success, build_offline, column_copy,
};

/// A column of two lessons, the first showing `photo.png`, 2000 x 1200 in many colours.
fn photo_column(dir: &Path) -> PathBuf {
    let column = dir.join("photo-column");
    fs::create_dir(&column).unwrap();
    image::RgbImage::from_fn(2000, 1200, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 251) as u8])
    })
    .save(column.join("photo.png"))
    .unwrap();
    fs::write(
        column.join("01 _ 彩图.md"),
        "# 彩图\n\n![照片](photo.png)\n",
    )
    .unwrap();
    fs::write(column.join("02 _ 文字.md"), "# 文字\n\n只有文字。\n").unwrap();
    column
}

/// The article image of a book of `photo_column`: the one image besides the cover.
fn photo(book: &Path) -> image::DynamicImage {
    let book = Book::open(book);
    let (path, _, _) = book
        .manifest()
        .into_values()
        .find(|(path, media, props)| {
            media.starts_with("image/") && props.is_empty() && { !path.contains("cover") }
        })
        .expect("the photo is in the book");
    image::load_from_memory(&book.files[&path]).unwrap()
}

/// Grey however it is stored: a gray JPEG, or a PNG whose palette holds only grays.
fn grey(image: &image::DynamicImage) -> bool {
    (image.to_rgb8().pixels()).all(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2])
}

fn stylesheet(book: &Path) -> String {
    Book::open(book).text("EPUB/styles/book.css")
}

#[test]
fn a_profile_sets_width_grey_and_stylesheet_and_flags_override_its_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let column = photo_column(tmp.path());
    let plain = tmp.path().join("plain.epub");
    assert_success(&build_offline(&column, &plain, &[]), "no profile");

    let kindle = tmp.path().join("kindle.epub");
    assert_success(
        &build_offline(&column, &kindle, &["--profile", "kindle"]),
        "--profile kindle",
    );
    let image = photo(&kindle);
    assert_eq!(image.width(), 1236, "Kindle Paperwhite's width");
    assert!(grey(&image), "grey for e-ink: {:?}", image.color());
    let css = stylesheet(&kindle);
    let own = stylesheet(&plain);
    assert!(
        css.starts_with(&own),
        "the book's own stylesheet comes first"
    );
    assert!(css[own.len()..].contains("--profile kindle, kobo"), "{css}");
    assert_epubcheck_clean(&kindle);

    let colour = tmp.path().join("colour.epub");
    assert_success(
        &build_offline(
            &column,
            &colour,
            &[
                "--profile",
                "kindle",
                "--no-grayscale",
                "--max-width",
                "900",
            ],
        ),
        "profile parts overridden",
    );
    let image = photo(&colour);
    assert_eq!(image.width(), 900);
    assert!(!grey(&image), "{:?}", image.color());

    let tablet = tmp.path().join("tablet.epub");
    assert_success(
        &build_offline(&column, &tablet, &["--profile", "tablet"]),
        "--profile tablet",
    );
    let image = photo(&tablet);
    assert_eq!(image.width(), 1600);
    assert!(!grey(&image));
    assert!(stylesheet(&tablet).contains("--profile tablet"));
    assert_epubcheck_clean(&tablet);

    let stderr = assert_failure(
        &build_offline(&column, &tablet, &["--profile", "nook"]),
        "unknown profile",
    );
    assert!(
        stderr.contains("kindle") && stderr.contains("koreader") && stderr.contains("eink"),
        "{stderr}"
    );
}

#[test]
fn the_users_stylesheet_comes_last_and_must_hold_everything_it_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let column = photo_column(tmp.path());
    let css = tmp.path().join("my.css");
    fs::write(&css, "/* 我的样式 */\nbody { font-family: serif; }\n").unwrap();
    let out = tmp.path().join("b.epub");
    let run = build_offline(
        &column,
        &out,
        &["--profile", "eink", "--css", css.to_str().unwrap()],
    );
    assert_success(&run, "--css");
    let sheet = stylesheet(&out);
    let (profile, user) = (
        sheet.find("--profile kindle, kobo").unwrap(),
        sheet.find("body { font-family: serif; }").unwrap(),
    );
    assert!(profile < user, "{sheet}");
    assert!(sheet.trim_end().ends_with("body { font-family: serif; }"));
    assert_epubcheck_clean(&out);

    fs::write(
        &css,
        "h1 { color: #333; }\n\nbody { background: url(\"https://example.com/bg.png\"); }\n",
    )
    .unwrap();
    fs::remove_file(&out).unwrap();
    let stderr = assert_failure(
        &build_offline(&column, &out, &["--css", css.to_str().unwrap()]),
        "remote url()",
    );
    assert!(
        stderr.contains("my.css` line 3") && stderr.contains("https://example.com/bg.png"),
        "{stderr}"
    );
    assert!(!out.exists());

    let missing = tmp.path().join("missing.css");
    let stderr = assert_failure(
        &build_offline(&column, &out, &["--css", missing.to_str().unwrap()]),
        "missing --css",
    );
    assert!(stderr.contains("missing.css"), "{stderr}");
}

#[test]
fn a_columns_own_settings_cannot_pull_a_stylesheet_from_outside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let column = column_copy("md-column", tmp.path());
    fs::write(tmp.path().join("private.css"), "p { color: red; }\n").unwrap();
    fs::write(column.join("lessonpub.toml"), "css = \"../private.css\"\n").unwrap();
    let out = tmp.path().join("a.epub");
    let run = build_offline(&column, &out, &[]);
    assert_success(&run, "outside stylesheet");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("outside the column folder") && stderr.contains("pass `--css` to use it"),
        "{stderr}"
    );
    assert!(!stylesheet(&out).contains("color: red"));

    let private = tmp.path().join("private.css");
    let run = build_offline(&column, &out, &["--css", private.to_str().unwrap()]);
    assert_success(&run, "--css, as the warning says");
    assert!(stylesheet(&out).contains("p { color: red; }"));
}

/// `lessonpub build COLUMN -o OUT --offline EXTRA...` with `env` set and `unset` removed.
fn build_with_env(
    column: &Path,
    out: &Path,
    env: &[(&str, &OsStr)],
    unset: &[&str],
    extra: &[&str],
) -> Output {
    let mut command = crate::common::command();
    for (name, value) in env {
        command.env(name, value);
    }
    for name in unset {
        command.env_remove(name);
    }
    command
        .arg("build")
        .arg(column)
        .arg("-o")
        .arg(out)
        .arg("--offline")
        .args(extra)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

#[test]
fn user_wide_settings_lie_under_the_columns_own_and_the_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let column = column_copy("md-column", tmp.path());
    let user = tmp.path().join("user.toml");
    fs::write(&user, "comments = 1\nprofile = \"eink\"\n").unwrap();
    let env = [("LESSONPUB_CONFIG", user.as_os_str())];
    let out = tmp.path().join("a.epub");
    let comments = |out: &Path| Book::open(out).count_class("comment");

    assert_success(&build_with_env(&column, &out, &env, &[], &[]), "user file");
    assert_eq!(
        comments(&out),
        3,
        "comments = 1: one per lesson with comments"
    );
    assert!(stylesheet(&out).contains("--profile kindle, kobo"));

    fs::write(column.join("lessonpub.toml"), "comments = \"all\"\n").unwrap();
    assert_success(
        &build_with_env(&column, &out, &env, &[], &[]),
        "column file",
    );
    assert_eq!(
        comments(&out),
        6,
        "the column's own file overrides the user's"
    );
    assert!(
        stylesheet(&out).contains("--profile kindle, kobo"),
        "still the user's"
    );

    let run = build_with_env(&column, &out, &env, &[], &["--comments", "1"]);
    assert_success(&run, "flag");
    assert_eq!(comments(&out), 3, "a flag overrides both");

    fs::write(&user, "comments = 1\n\nmin_likes = 2\n").unwrap();
    let stderr = assert_failure(&build_with_env(&column, &out, &env, &[], &[]), "bad key");
    assert!(
        stderr.contains("user.toml` line 3") && stderr.contains("min_likes"),
        "{stderr}"
    );

    let missing = tmp.path().join("missing.toml");
    let env = [("LESSONPUB_CONFIG", missing.as_os_str())];
    let stderr = assert_failure(
        &build_with_env(&column, &out, &env, &[], &[]),
        "missing user file",
    );
    assert!(
        stderr.contains("LESSONPUB_CONFIG") && stderr.contains("missing.toml"),
        "{stderr}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn the_user_wide_file_is_found_through_xdg_config_home() {
    let tmp = tempfile::tempdir().unwrap();
    let config_home = tmp.path().join("xdg");
    fs::create_dir_all(config_home.join("lessonpub")).unwrap();
    fs::write(
        config_home.join("lessonpub/config.toml"),
        "title = \"用户的书名\"\n",
    )
    .unwrap();
    let out = tmp.path().join("a.epub");
    let env = [
        ("XDG_CONFIG_HOME", config_home.as_os_str()),
        ("HOME", tmp.path().as_os_str()),
    ];
    let run = build_with_env(
        &crate::common::fixture("html-column"),
        &out,
        &env,
        &["LESSONPUB_CONFIG"],
        &[],
    );
    assert_success(&run, "XDG_CONFIG_HOME");
    let book = Book::open(&out);
    assert!(
        book.text(&book.opf_path)
            .contains("<dc:title>用户的书名</dc:title>")
    );
}
