//! Images end to end: the real binary builds a small column whose images come from a loopback
//! server started here (real image bytes of every kind, and every way a server misbehaves), then
//! the book is unzipped and checked. No test reaches a real host.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use image::GenericImageView;

use crate::common::image_samples;
use crate::common::server::{Response, Server};

/// What the server answers for a path.
#[derive(Clone)]
enum Reply {
    File(&'static str),
    Slow(&'static str, Duration),
    Status(u16),
    /// 503 on the first request, the file after.
    FlakyThen(&'static str),
    /// A body far over the size cap, without Content-Length.
    Endless,
}

/// A loopback server answering the paths of `routes` with the sample images, 404 elsewhere.
fn serve(samples: &Path, routes: &[(&str, Reply)]) -> Server {
    let routes: HashMap<String, Reply> = routes
        .iter()
        .map(|(p, r)| (p.to_string(), r.clone()))
        .collect();
    let dir = samples.to_path_buf();
    Server::start(move |request| {
        let file = |name: &str| std::fs::read(dir.join(name)).unwrap();
        match routes.get(&request.path) {
            None => Response::status(404),
            Some(Reply::File(name)) => Response::ok(file(name)),
            Some(Reply::Slow(name, delay)) => Response::ok(file(name)).delay(*delay),
            Some(Reply::Status(code)) => Response::status(*code),
            Some(Reply::FlakyThen(_)) if request.count_for_path == 0 => Response::status(503),
            Some(Reply::FlakyThen(name)) => Response::ok(file(name)),
            Some(Reply::Endless) => Response::unannounced(200 << 20),
        }
    })
}

/// A column folder of Markdown lessons (md-comments format, with avatars).
struct Column {
    _temp: tempfile::TempDir,
    dir: PathBuf,
    cache: PathBuf,
    out: PathBuf,
}

/// A lesson of a test column: file stem, article images as (alt, src), comment avatars.
type LessonSpec<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

fn column(lessons: &[LessonSpec]) -> Column {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("column");
    std::fs::create_dir_all(dir.join("images")).unwrap();
    for (name, images, avatars) in lessons {
        let mut text = String::from("你好，我是作者。\n\n");
        for (alt, src) in *images {
            text.push_str(&format!("![{alt}]({src})\n\n"));
        }
        text.push_str("结束。");
        if !avatars.is_empty() {
            text.push_str(&format!(
                "\n<div><strong>精选留言（{}）</strong></div><ul>\n",
                avatars.len()
            ));
            for (i, avatar) in avatars.iter().enumerate() {
                text.push_str(&format!(
                    "<li><img src=\"{avatar}\" width=\"30px\"><span>读者{i}</span> 👍（{i}） \
                     💬（0）<div>评论</div>2019-01-0{}</li><br/>",
                    i % 9 + 1
                ));
            }
            text.push_str("\n</ul>");
        }
        std::fs::write(dir.join(format!("{name}.md")), text).unwrap();
    }
    let cache = temp.path().join("cache");
    let out = temp.path().join("book.epub");
    Column {
        _temp: temp,
        dir,
        cache,
        out,
    }
}

fn lessonpub(column: &Column, extra: &[&str]) -> Output {
    let mut cmd = crate::common::command();
    cmd.arg("build")
        .arg(&column.dir)
        .arg("-o")
        .arg(&column.out)
        .arg("--cache-dir")
        .arg(&column.cache)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    eprintln!(
        "$ lessonpub {extra:?}\nexit: {}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[track_caller]
fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The built book: zip entries by name.
struct Book {
    files: HashMap<String, Vec<u8>>,
}

impl Book {
    fn open(path: &Path) -> Book {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut files = HashMap::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            files.insert(entry.name().unwrap().into_owned(), bytes);
        }
        Book { files }
    }

    fn text(&self, name: &str) -> String {
        String::from_utf8(self.files[name].clone()).unwrap()
    }

    /// The `src` of every `<img>` with this `alt` in the chapter, in document order, as paths
    /// inside the archive.
    fn images(&self, chapter: &str, alt: &str) -> Vec<String> {
        self.img_paths(chapter, |n| {
            n.has_tag_name("img") && n.attribute("alt") == Some(alt)
        })
    }

    fn avatars(&self, chapter: &str) -> Vec<String> {
        self.img_paths(chapter, |n| n.attribute("class") == Some("avatar"))
    }

    /// The `src` of every element of the chapter that `pick` picks, as paths inside the archive.
    fn img_paths(&self, chapter: &str, pick: impl Fn(&roxmltree::Node) -> bool) -> Vec<String> {
        let xhtml = self.text(&format!("EPUB/text/{chapter}.xhtml"));
        let doc = roxmltree::Document::parse_with_options(
            &xhtml,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap();
        doc.descendants()
            .filter(|n| pick(n))
            .map(|n| {
                let src = n.attribute("src").unwrap();
                format!("EPUB/{}", src.strip_prefix("../").unwrap())
            })
            .collect()
    }

    /// The image at `path`, decoded by sniffing, with its sniffed format.
    fn image(&self, path: &str) -> (image::ImageFormat, image::DynamicImage) {
        let bytes = &self.files[path];
        let format = image::guess_format(bytes).unwrap();
        let img = image::ImageReader::with_format(Cursor::new(bytes), format)
            .decode()
            .unwrap();
        (format, img)
    }

    /// Media type of every manifest item, by archive path.
    fn media_types(&self) -> HashMap<String, String> {
        let opf = self.text("EPUB/package.opf");
        let doc = roxmltree::Document::parse(&opf).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("item"))
            .map(|n| {
                (
                    format!("EPUB/{}", n.attribute("href").unwrap()),
                    n.attribute("media-type").unwrap().to_owned(),
                )
            })
            .collect()
    }
}

const PLACEHOLDER: &str = "EPUB/images/placeholder.png";
const AVATAR_PLACEHOLDER: &str = "EPUB/images/avatar.png";

fn routes() -> Vec<(&'static str, Reply)> {
    vec![
        ("/photo.jpg", Reply::File("photo-3000x2000.jpg")),
        ("/diagram.png", Reply::File("diagram-1400x900.png")),
        ("/long.png", Reply::File("long-screenshot-800x6000.png")),
        ("/picture.webp", Reply::File("picture-800x600.webp")),
        ("/progressive", Reply::File("progressive-1200x800.jpg")),
        ("/cmyk.jpg", Reply::File("cmyk-1000x700.jpg")),
        ("/animated.gif", Reply::File("animated-320x240.gif")),
        (
            "/slow.jpg",
            Reply::Slow("avatar-132.jpg", Duration::from_millis(1500)),
        ),
        ("/flaky.png", Reply::FlakyThen("diagram-1400x900.png")),
        ("/missing.png", Reply::Status(404)),
        ("/garbage.jpg", Reply::File("garbage.bin")),
        ("/truncated.jpg", Reply::File("truncated.jpg")),
        ("/page.png", Reply::File("not-an-image.html")),
        ("/bomb.png", Reply::File("bomb-20000x20000.png")),
        ("/huge.jpg", Reply::Endless),
        ("/mmopen/132", Reply::File("avatar-132.jpg")),
        ("/avatar/alpha", Reply::File("avatar-alpha.png")),
    ]
}

/// A small PNG as a data: URL.
const DATA_PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4zwAE/xkgFAAb8gP91pbyKwAAAABJRU5ErkJggg==";

#[test]
#[cfg_attr(
    no_image_samples,
    ignore = "needs ../shared/checks/images, which is missing"
)]
fn every_kind_of_image_and_failure_ends_up_right_in_the_book() {
    let samples = image_samples();
    let server = serve(&samples, &routes());
    let u = |p: &str| server.url(p);
    let good = [
        ("photo", u("/photo.jpg")),
        ("diagram", u("/diagram.png")),
        ("long", u("/long.png")),
        ("webp", u("/picture.webp")),
        ("progressive", u("/progressive")),
        ("cmyk", u("/cmyk.jpg")),
        ("gif", u("/animated.gif")),
        ("slow", u("/slow.jpg")),
        ("flaky", u("/flaky.png")),
        ("local", "images/local.png".to_owned()),
        ("data", DATA_PNG.to_owned()),
    ];
    let bad = [
        ("missing", u("/missing.png"), "HTTP 404"),
        ("garbage", u("/garbage.jpg"), "not an image"),
        ("truncated", u("/truncated.jpg"), "truncated"),
        ("page", u("/page.png"), "HTML page"),
        ("bomb", u("/bomb.png"), "decompression bomb"),
        ("huge", u("/huge.jpg"), "larger than"),
        ("escape", "../outside.png".to_owned(), "outside the column"),
    ];
    let mut first: Vec<(&str, &str)> = good.iter().map(|(a, s)| (*a, s.as_str())).collect();
    first.extend(bad.iter().map(|(a, s, _)| (*a, s.as_str())));
    let photo = u("/photo.jpg");
    let diagram = u("/diagram.png");
    let (avatar_jpg, avatar_png) = (u("/mmopen/132"), u("/avatar/alpha"));
    let file = "file:///etc/hostname";
    let avatars = [
        avatar_jpg.as_str(),
        avatar_png.as_str(),
        photo.as_str(),
        avatar_jpg.as_str(),
        file,
    ];
    let second = [("photo", photo.as_str()), ("diagram", diagram.as_str())];
    let col = column(&[
        ("01 | 图片", &first, &avatars),
        ("02 | 重复", &second, &[avatar_jpg.as_str()]),
    ]);
    std::fs::copy(
        samples.join("avatar-alpha.png"),
        col.dir.join("images/local.png"),
    )
    .unwrap();
    std::fs::copy(
        samples.join("avatar-96.jpg"),
        col.dir.join("../outside.png"),
    )
    .unwrap();

    let out = lessonpub(&col, &[]);
    assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);

    // Each URL was asked for once, however often the book uses it; only the 503 was retried.
    let requests = server.hits_by_path();
    for (path, n) in &requests {
        let expected = if path == "/flaky.png" { 2 } else { 1 };
        assert_eq!(*n, expected, "{path} requested {n} times: {requests:?}");
    }
    assert_eq!(requests.len(), routes().len(), "{requests:?}");

    let book = Book::open(&col.out);
    let types = book.media_types();
    let one = |alt: &str| {
        let paths = book.images("lesson-001", alt);
        assert_eq!(paths.len(), 1, "{alt}: {paths:?}");
        paths[0].clone()
    };
    let expect = |alt: &str, format: image::ImageFormat, size: (u32, u32)| {
        let path = one(alt);
        let (found, img) = book.image(&path);
        assert_eq!(found, format, "{alt}");
        assert_eq!(img.dimensions(), size, "{alt}");
        let ext = if format == image::ImageFormat::Jpeg {
            "jpg"
        } else {
            "png"
        };
        assert!(path.ends_with(ext), "{alt}: {path}");
        assert_eq!(
            types[&path],
            format!("image/{}", if ext == "jpg" { "jpeg" } else { "png" })
        );
    };
    use image::ImageFormat::{Jpeg, Png};
    expect("photo", Jpeg, (1264, 842));
    expect("diagram", Png, (1264, 812));
    expect("progressive", Jpeg, (1200, 800));
    expect("cmyk", Jpeg, (1000, 700));
    expect("slow", Jpeg, (132, 132));
    expect("flaky", Png, (1264, 812));
    expect("local", Png, (200, 200));
    expect("data", Png, (2, 2));
    for alt in ["webp", "gif"] {
        let (format, _) = book.image(&one(alt));
        assert!(matches!(format, Jpeg | Png), "{alt}");
    }
    assert_eq!(book.image(&one("webp")).1.dimensions(), (800, 600));
    assert_eq!(book.image(&one("gif")).1.dimensions(), (320, 240));
    // 800 x 6000: slices a page (800 x 1066) tall at most, top to bottom, nothing lost.
    let long = book.images("lesson-001", "long");
    assert!(long.len() >= 6, "{long:?}");
    let mut height = 0;
    for slice in &long {
        let (w, h) = book.image(slice).1.dimensions();
        assert_eq!(w, 800);
        assert!(h * 3 <= w * 4, "{w}x{h}");
        height += h;
    }
    assert_eq!(height, 6000);
    // The same diagram bytes (two URLs) and the same photo (two lessons) are stored once.
    assert_eq!(one("flaky"), one("diagram"));
    assert_eq!(book.images("lesson-002", "photo"), vec![one("photo")]);

    for (alt, src, reason) in &bad {
        assert_eq!(one(alt), PLACEHOLDER, "{alt}");
        let line = stderr
            .lines()
            .find(|l| l.contains(&format!("`{src}`")))
            .unwrap_or_else(|| panic!("no warning names {src}"));
        assert!(line.contains("01 | 图片.md"), "{line}");
        assert!(line.contains(reason), "{alt}: {line}");
    }
    // Garbage, truncated, an HTML page and a bomb were downloaded and failed to convert; the
    // 404, the oversized body, the escape and the `file:` avatar were never had.
    assert!(
        stderr.contains("4 failed to convert, 4 failed to fetch;"),
        "{stderr}"
    );

    let avatars = book.avatars("lesson-001");
    assert_eq!(avatars.len(), 5);
    assert_eq!(avatars[0], avatars[3]);
    for path in &avatars[..4] {
        assert_eq!(book.image(path).1.dimensions(), (96, 96), "{path}");
    }
    // A `file:` avatar is never read.
    assert_eq!(avatars[4], AVATAR_PLACEHOLDER);
    assert!(stderr.contains("image `file:///etc/hostname`: the `file:` scheme is not allowed"));
    assert!(book.files.contains_key(AVATAR_PLACEHOLDER));
    // Everything in images/ is in the manifest and nothing remote is left.
    for name in book.files.keys().filter(|n| n.starts_with("EPUB/images/")) {
        assert!(types.contains_key(name), "{name} not in the manifest");
    }
    for (name, bytes) in &book.files {
        if name.ends_with(".xhtml") {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains("src=\"http"),
                "{name} refers to a remote image"
            );
        }
    }

    // A rebuild with the same cache asks the server nothing more and writes the same book.
    let before = server.hits();
    let first_book = std::fs::read(&col.out).unwrap();
    let out = lessonpub(&col, &[]);
    assert_ok(&out);
    assert_eq!(server.hits(), before, "the warm rebuild made requests");
    // The 404 and the oversized body are remembered as such; everything else is cached.
    assert_eq!(std::fs::read(&col.out).unwrap(), first_book);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HTTP 404 (remembered"), "{stderr}");
}

#[test]
#[cfg_attr(
    no_image_samples,
    ignore = "needs ../shared/checks/images, which is missing"
)]
fn warm_cache_rebuild_makes_no_request_and_offline_uses_the_cache() {
    let samples = image_samples();
    let server = serve(&samples, &routes());
    let (photo, long, avatar) = (
        server.url("/photo.jpg"),
        server.url("/long.png"),
        server.url("/mmopen/132"),
    );
    let col = column(&[("01 | a", &[("photo", &photo), ("long", &long)], &[&avatar])]);
    assert_ok(&lessonpub(&col, &[]));
    assert_eq!(server.hits(), 3);
    let cold = std::fs::read(&col.out).unwrap();

    let out = lessonpub(&col, &[]);
    assert_ok(&out);
    assert_eq!(server.hits(), 3, "warm rebuild made requests");
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 downloaded (0.0 MB), 3 from cache"));

    let out = lessonpub(&col, &["--offline", "--strict"]);
    assert_ok(&out);
    assert_eq!(server.hits(), 3, "--offline made requests");
    assert_eq!(std::fs::read(&col.out).unwrap(), cold);

    // A warm rebuild goes from each URL to its processed image: it needs no original.
    std::fs::remove_dir_all(col.cache.join("v2/originals")).unwrap();
    assert_ok(&lessonpub(&col, &["--offline", "--strict"]));
    assert_eq!(std::fs::read(&col.out).unwrap(), cold);

    // --refresh downloads again; --no-cache neither reads nor fills the cache.
    assert_ok(&lessonpub(&col, &["--refresh"]));
    assert_eq!(server.hits(), 6);
    std::fs::remove_dir_all(&col.cache).unwrap();
    assert_ok(&lessonpub(&col, &["--no-cache"]));
    assert_eq!(server.hits(), 9);
    assert!(!col.cache.exists());
}

#[test]
#[cfg_attr(
    no_image_samples,
    ignore = "needs ../shared/checks/images, which is missing"
)]
fn offline_without_cache_makes_no_request_and_warns_once() {
    let samples = image_samples();
    let server = serve(&samples, &routes());
    let urls: Vec<String> = ["/photo.jpg", "/diagram.png", "/missing.png"]
        .iter()
        .map(|p| server.url(p))
        .collect();
    let images: Vec<(&str, &str)> = urls.iter().map(|u| ("x", u.as_str())).collect();
    let col = column(&[("01 | a", &images, &[])]);
    let out = lessonpub(&col, &["--offline"]);
    assert_ok(&out);
    assert_eq!(server.hits(), 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("3 remote images"), "{stderr}");
    let book = Book::open(&col.out);
    assert_eq!(book.images("lesson-001", "x"), vec![PLACEHOLDER; 3]);

    // -v names each of them.
    let out = lessonpub(&col, &["--offline", "-v"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for url in &urls {
        assert!(stderr.contains(url.as_str()), "{stderr}");
    }
}

#[test]
#[cfg_attr(
    no_image_samples,
    ignore = "needs ../shared/checks/images, which is missing"
)]
fn strict_fails_on_a_failed_image_and_writes_nothing() {
    let samples = image_samples();
    let server = serve(&samples, &routes());
    let (ok, missing) = (server.url("/diagram.png"), server.url("/missing.png"));
    let col = column(&[("01 | a", &[("ok", &ok), ("missing", &missing)], &[])]);
    let out = lessonpub(&col, &["--strict"]);
    assert!(!out.status.success());
    assert!(!col.out.exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&missing) && stderr.contains("01 | a.md"),
        "{stderr}"
    );
    assert!(stderr.contains("HTTP 404"), "{stderr}");
}

#[test]
#[cfg_attr(
    no_image_samples,
    ignore = "needs ../shared/checks/images, which is missing"
)]
fn grayscale_and_max_width_shape_the_images() {
    let samples = image_samples();
    let server = serve(&samples, &routes());
    let photo = server.url("/photo.jpg");
    let col = column(&[("01 | a", &[("photo", &photo)], &[])]);
    assert_ok(&lessonpub(&col, &["--grayscale", "--max-width", "758"]));
    let book = Book::open(&col.out);
    let paths = book.images("lesson-001", "photo");
    let (_, img) = book.image(&paths[0]);
    assert_eq!(img.dimensions(), (758, 505));
    assert_eq!(img.color(), image::ColorType::L8);
}

/// Runs the binary as `lessonpub` does, but gives up after `limit`: a build that hangs fails
/// its test instead of hanging the suite.
fn lessonpub_within(column: &Column, extra: &[&str], limit: Duration) -> Output {
    let mut cmd = crate::common::command();
    cmd.arg("build")
        .arg(&column.dir)
        .arg("-o")
        .arg(&column.out)
        .arg("--cache-dir")
        .arg(&column.cache)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("the build still ran after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    eprintln!(
        "$ lessonpub {extra:?}\nexit: {}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Flips 64 bytes in the middle of every entry of `area` of the cache; returns how many.
fn flip_bytes(cache: &Path, area: &str) -> usize {
    let files = files_under(&cache.join("v2").join(area));
    for path in &files {
        let mut bytes = std::fs::read(path).unwrap();
        let (middle, len) = (bytes.len() / 2, bytes.len());
        for b in &mut bytes[middle.saturating_sub(32)..(middle + 32).min(len)] {
            *b ^= 0x5a;
        }
        std::fs::write(path, bytes).unwrap();
    }
    files.len()
}

#[test]
#[cfg_attr(
    no_image_samples,
    ignore = "needs ../shared/checks/images, which is missing"
)]
fn a_damaged_cache_entry_is_dropped_and_remade_and_never_reaches_a_book() {
    let samples = image_samples();
    let server = serve(&samples, &routes());
    let (photo, diagram, avatar) = (
        server.url("/photo.jpg"),
        server.url("/diagram.png"),
        server.url("/mmopen/132"),
    );
    let col = column(&[(
        "01 | a",
        &[("photo", &photo), ("diagram", &diagram)],
        &[&avatar],
    )]);
    assert_ok(&lessonpub(&col, &[]));
    let good = std::fs::read(&col.out).unwrap();
    assert_eq!(server.hits(), 3);

    // Flipped bytes inside every processed image: converted again from the originals, with a
    // warning; no download, and the very same book.
    assert_eq!(flip_bytes(&col.cache, "processed"), 3);
    for extra in [&[][..], &["--offline"][..]] {
        let out = lessonpub(&col, extra);
        assert_ok(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("3 damaged entries of the image cache"),
            "{stderr}"
        );
        assert_eq!(std::fs::read(&col.out).unwrap(), good);
        assert_eq!(server.hits(), 3);
        flip_bytes(&col.cache, "processed");
    }

    // Damaged originals too (and processed images, so the originals are needed): downloaded
    // again.
    flip_bytes(&col.cache, "originals");
    let out = lessonpub(&col, &[]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("6 damaged entries"));
    assert_eq!(std::fs::read(&col.out).unwrap(), good);
    assert_eq!(server.hits(), 6);

    // A truncated original, downloaded again.
    std::fs::remove_dir_all(col.cache.join("v2/processed")).unwrap();
    for path in files_under(&col.cache.join("v2/originals")) {
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    }
    assert_ok(&lessonpub(&col, &[]));
    assert_eq!(std::fs::read(&col.out).unwrap(), good);
    assert_eq!(server.hits(), 9);

    // A FIFO in place of an entry: read by nobody, so no build waits on it.
    let links = files_under(&col.cache.join("v2/by-url"));
    let processed = files_under(&col.cache.join("v2/processed"));
    for path in links.iter().chain(&processed) {
        std::fs::remove_file(path).unwrap();
        let made = Command::new("mkfifo").arg(path).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED: mkfifo is not available");
            return;
        }
    }
    let out = lessonpub_within(&col, &["--offline"], Duration::from_secs(60));
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    assert_eq!(std::fs::read(&col.out).unwrap(), good);
}

#[test]
#[cfg_attr(
    no_image_samples,
    ignore = "needs ../shared/checks/images, which is missing"
)]
fn an_image_cut_short_by_its_server_tells_how_to_download_it_again() {
    let samples = image_samples();
    let server = serve(&samples, &routes());
    let cut = server.url("/truncated.jpg");
    let col = column(&[("01 | a", &[("cut", &cut)], &[])]);
    let out = lessonpub(&col, &[]);
    assert_ok(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("--refresh"));
    // From the cache the next time, which says so, and how to ask the server again.
    let out = lessonpub(&col, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("truncated") && stderr.contains("--refresh downloads it again"),
        "{stderr}"
    );
    assert_eq!(server.hits(), 1);
}

/// A one-colour gray PNG of `width` x `height` (a few hundred bytes, however tall).
fn gray_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().unwrap();
    writer
        .write_image_data(&vec![90; width as usize * height as usize])
        .unwrap();
    writer.finish().unwrap();
    out
}

#[test]
fn tall_narrow_images_make_a_bounded_number_of_pictures() {
    let col = column(&[(
        "01 | a",
        &[("strip", "images/strip.png"), ("tower", "images/tower.png")],
        &[],
    )]);
    // 274 bytes that once became 100,000 <img> (75,000 slices of 1x1 at the default width).
    std::fs::write(col.dir.join("images/strip.png"), gray_png(1, 100_000)).unwrap();
    std::fs::write(col.dir.join("images/tower.png"), gray_png(200, 60_000)).unwrap();
    assert_ok(&lessonpub(&col, &["--offline"]));
    let book = Book::open(&col.out);
    let strip = book.images("lesson-001", "strip");
    assert_eq!(strip.len(), 1);
    assert_eq!(book.image(&strip[0]).1.dimensions(), (1, 1685));
    let tower = book.images("lesson-001", "tower");
    assert_eq!(tower.len(), 50);
    // The slices are stored once: they are all alike.
    assert!(book.files.len() < 20, "{}", book.files.len());
}

/// What the `process_image` fuzz target asserts.
#[path = "../../fuzz/fuzz_targets/image_checks.rs"]
mod image_checks;

#[test]
fn the_image_fuzz_targets_inputs_are_replayed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for kind in ["regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind).join("process_image")) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| image_checks::image(&data));
            assert!(result.is_ok(), "process_image fails on {}", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "the seed corpus is part of the repository");
}
