//! Choosing lessons (`--lessons`) and cutting a column into volumes (`--volumes`,
//! `--max-size`), on real columns: every book complete and valid, no lesson lost or repeated.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{
    Book, assert_epubcheck_clean, assert_failure, assert_success, build_offline, corpus,
    source_intro, source_lessons,
};

/// The labels of a book's table of contents.
fn contents(book: &Path) -> Vec<String> {
    Book::open(book)
        .nav()
        .into_iter()
        .map(|e| e.label)
        .collect()
}

fn title(book: &Path) -> String {
    let book = Book::open(book);
    let opf = book.text(&book.opf_path);
    let start = opf.find("<dc:title>").unwrap() + "<dc:title>".len();
    opf[start..start + opf[start..].find("</dc:title>").unwrap()].to_owned()
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn lessons_are_chosen_by_their_place_in_the_contents() {
    // An MkDocs column: its introduction page comes first in the contents, and is not counted.
    let column = corpus().join("md/sql-must-know");
    assert!(source_intro(&column).is_some());
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole.epub");
    assert_success(&build_offline(&column, &whole, &[]), "whole column");
    let all = contents(&whole);
    let lessons = &all[1..];

    let some = tmp.path().join("some.epub");
    assert_success(
        &build_offline(&column, &some, &["--lessons", "2-4,7"]),
        "--lessons 2-4,7",
    );
    let expected = [&lessons[1], &lessons[2], &lessons[3], &lessons[6]];
    assert_eq!(contents(&some), expected.map(String::clone));
    assert_epubcheck_clean(&some);

    // Lesson 1 brings the introduction page along; `N-` runs to the end.
    let first = tmp.path().join("first.epub");
    assert_success(
        &build_offline(&column, &first, &["--lessons", "1"]),
        "--lessons 1",
    );
    assert_eq!(contents(&first), all[..2]);
    let last = tmp.path().join("last.epub");
    let from = lessons.len().to_string() + "-";
    assert_success(&build_offline(&column, &last, &["--lessons", &from]), &from);
    assert_eq!(contents(&last), all[all.len() - 1..]);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn lessons_past_the_end_are_an_error_naming_the_columns_count() {
    let column = corpus().join("html/linux-perf");
    let count = source_lessons(&column).len();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.epub");
    let beyond = format!("1-3,{}", count + 1);
    let stderr = assert_failure(
        &build_offline(&column, &out, &["--lessons", &beyond]),
        "past the end",
    );
    assert!(
        stderr.contains(&format!("the column has {count} lessons")),
        "{stderr}"
    );
    assert!(!out.exists());
    let stderr = assert_failure(
        &build_offline(&column, &out, &["--lessons", "0-3"]),
        "position 0",
    );
    assert!(stderr.contains("counted from 1"), "{stderr}");
}

/// The files `book.epub` was cut into, in order: `book-1.epub`, `book-2.epub`, …
fn volume_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("book-")
        })
        .collect();
    files.sort();
    files
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn volumes_are_complete_books_that_hold_every_lesson_once() {
    let column = corpus().join("md/sql-must-know");
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole.epub");
    assert_success(&build_offline(&column, &whole, &[]), "whole column");
    let out = tmp.path().join("book.epub");
    let run = build_offline(&column, &out, &["--volumes", "3", "--check"]);
    assert_success(&run, "--volumes 3 --check");
    // --check runs EPUBCheck on every volume; its line sums their warnings.
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(": 0 fatal, 0 errors, 0 warnings"),
        "{stderr}"
    );
    assert!(!out.exists(), "volumes replace the one book");
    let volumes = volume_files(tmp.path());
    assert_eq!(volumes.len(), 3, "{volumes:?}");
    let whole_title = title(&whole);
    let mut joined = Vec::new();
    let mut sizes = Vec::new();
    for (i, volume) in volumes.iter().enumerate() {
        assert!(
            volume.ends_with(format!("book-{}.epub", i + 1)),
            "{volume:?}"
        );
        assert_eq!(title(volume), format!("{whole_title} ({}/3)", i + 1));
        let book = Book::open(volume);
        let opf = book.text(&book.opf_path);
        assert!(
            opf.contains(&format!("property=\"group-position\">{}<", i + 1)),
            "{opf}"
        );
        assert!(book.files.keys().any(|f| f.ends_with("cover.xhtml")));
        let entries = contents(volume);
        sizes.push(entries.len() - usize::from(i == 0));
        joined.extend(entries);
    }
    assert_epubcheck_clean(&volumes[1]);
    assert_eq!(joined, contents(&whole), "every lesson once, in order");
    let (least, most) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    assert!(most - least <= 1, "about equal: {sizes:?}");

    let stderr = assert_failure(
        &build_offline(&column, &out, &["--volumes", "0"]),
        "--volumes 0",
    );
    assert!(stderr.contains("from 1 to 999"), "{stderr}");
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus, which is missing")]
fn max_size_cuts_by_the_real_size_of_each_volume() {
    let column = corpus().join("html/linux-perf");
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole.epub");
    assert_success(&build_offline(&column, &whole, &[]), "whole column");
    let whole_size = fs::metadata(&whole).unwrap().len();
    // A third of the book, give or take what each volume repeats (cover, contents, images).
    let limit = whole_size * 2 / 5;
    let out = tmp.path().join("book.epub");
    let run = build_offline(
        &column,
        &out,
        &["--max-size", &format!("{}KB", limit / 1000)],
    );
    assert_success(&run, "--max-size");
    let volumes = volume_files(tmp.path());
    assert!(volumes.len() >= 3, "{volumes:?}");
    let mut joined = Vec::new();
    for volume in &volumes {
        let size = fs::metadata(volume).unwrap().len();
        assert!(size <= limit / 1000 * 1000, "{volume:?}: {size} bytes");
        joined.extend(contents(volume));
    }
    assert_eq!(joined, contents(&whole), "every lesson once, in order");
    assert_epubcheck_clean(&volumes[0]);
    assert_epubcheck_clean(volumes.last().unwrap());

    // A book under the size stays one book, named as asked.
    let one = tmp.path().join("one.epub");
    assert_success(
        &build_offline(&column, &one, &["--max-size", "50MB"]),
        "50MB",
    );
    assert_eq!(fs::read(&one).unwrap(), fs::read(&whole).unwrap());

    let stderr = assert_failure(
        &build_offline(&column, &out, &["--max-size", "50"]),
        "no unit",
    );
    assert!(stderr.contains("such as `50MB`"), "{stderr}");
}

/// A column of lessons that each show a local grey picture of noise: a photo to the converter,
/// which it keeps as a JPEG of about half a byte a pixel (noise does not compress further).
fn noisy_column(dir: &Path, lessons: usize, width: u32, height: u32) -> PathBuf {
    let column = dir.join("noisy");
    fs::create_dir(&column).unwrap();
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for i in 1..=lessons {
        let image = image::GrayImage::from_fn(width, height, |_, _| image::Luma([next() as u8]));
        image.save(column.join(format!("{i}.png"))).unwrap();
        fs::write(
            column.join(format!("{i:02} _ 第{i}课.md")),
            format!("# 第{i}课\n\n正文。\n\n![图]({i}.png)\n"),
        )
        .unwrap();
    }
    column
}

#[test]
fn a_lesson_over_the_size_gets_its_own_volume_and_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let column = noisy_column(tmp.path(), 3, 900, 700);
    let out = tmp.path().join("book.epub");
    let run = build_offline(&column, &out, &["--max-size", "200KB"]);
    assert_success(&run, "--max-size 200KB");
    let stderr = String::from_utf8_lossy(&run.stderr);
    let volumes = volume_files(tmp.path());
    assert_eq!(volumes.len(), 3, "{volumes:?}");
    for volume in &volumes {
        assert!(fs::metadata(volume).unwrap().len() > 200_000);
        assert!(
            stderr.contains(&format!("`{}` is", volume.display()))
                && stderr.contains("holds a single lesson"),
            "{stderr}"
        );
    }
    assert_epubcheck_clean(&volumes[1]);
}

#[test]
fn a_book_over_send_to_kindles_limit_says_what_would_shrink_it() {
    // Six lessons of 1250 x 15000 gray noise (a local image may have 20 MiB), each about 10 MB
    // once a JPEG: over 60 MB in the book.
    let tmp = tempfile::tempdir().unwrap();
    let column = noisy_column(tmp.path(), 6, 1250, 15_000);
    let out = tmp.path().join("big.epub");
    let run = build_offline(&column, &out, &[]);
    assert_success(&run, "big book");
    assert!(fs::metadata(&out).unwrap().len() > 50_000_000);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("over the 50.0 MB Send to Kindle takes")
            && stderr.contains("`--max-size 50MB`")
            && stderr.contains("`--max-width 758`"),
        "{stderr}"
    );

    // Each way it names works.
    let out = tmp.path().join("book.epub");
    let run = build_offline(&column, &out, &["--max-size", "50MB"]);
    assert_success(&run, "--max-size 50MB");
    let volumes = volume_files(tmp.path());
    assert_eq!(volumes.len(), 2, "{volumes:?}");
    for volume in &volumes {
        assert!(fs::metadata(volume).unwrap().len() <= 50_000_000);
    }
    assert!(!String::from_utf8_lossy(&run.stderr).contains("Send to Kindle"));
    let small = tmp.path().join("small.epub");
    let run = build_offline(&column, &small, &["--max-width", "758"]);
    assert_success(&run, "--max-width 758");
    assert!(fs::metadata(&small).unwrap().len() <= 50_000_000);
    assert!(!String::from_utf8_lossy(&run.stderr).contains("Send to Kindle"));

    // These pictures are grey already; on colour photos `--grayscale` makes the book smaller.
    let column = tmp.path().join("colour");
    fs::create_dir(&column).unwrap();
    let mut seed = 0x9e37_79b9_u32;
    image::RgbImage::from_fn(1000, 800, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [r, g, b, _] = seed.to_le_bytes();
        image::Rgb([r, g, b])
    })
    .save(column.join("a.jpg"))
    .unwrap();
    fs::write(column.join("01 _ 彩图.md"), "# 彩图\n\n![](a.jpg)\n").unwrap();
    let size = |extra: &[&str]| {
        let out = tmp.path().join("colour.epub");
        assert_success(&build_offline(&column, &out, extra), "colour");
        fs::metadata(&out).unwrap().len()
    };
    assert!(size(&["--grayscale"]) < size(&[]));
}
