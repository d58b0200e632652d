//! Micro-benchmarks of the stages that cost the most: parsing a lesson, sanitizing and rendering
//! it, and processing one image of each kind. Run with `cargo bench`; whole builds against pandoc
//! are measured by `bench/compare.sh`.
//!
//! Real corpus lessons and sample images are read from `../shared`; without it, the benchmarks
//! fall back to the project's own fixtures and skip the images (and say so).

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lessonpub::discover::LessonFile;
use lessonpub::images::Kind;
use lessonpub::images::convert::{self, Settings};
use lessonpub::parse::{self, Format};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// (name, path, format) of one lesson per format: the largest corpus lesson when available.
fn lessons() -> Vec<(&'static str, PathBuf, Format)> {
    let corpus = root().join("../shared/corpus");
    if corpus.is_dir() {
        vec![
            (
                "md-comments",
                corpus.join("md/sql-must-know/docs/13丨什么是存储过程，在实际项目中用得多么？.md"),
                Format::Markdown,
            ),
            (
                "html-comments",
                corpus.join(
                    "html/linux-perf/05 _ 基础篇：某个应用的CPU使用率居然达到100%，我该怎么办？.md",
                ),
                Format::Html,
            ),
        ]
    } else {
        eprintln!("!!! ../shared/corpus is absent: benchmarking the small fixtures instead");
        vec![
            (
                "md-comments",
                root().join("tests/fixtures/md-column/docs/开篇词丨为什么要学.md"),
                Format::Markdown,
            ),
            (
                "html-comments",
                root().join("tests/fixtures/html-column/开篇词｜你好.md"),
                Format::Html,
            ),
        ]
    }
}

fn lesson_benches(c: &mut Criterion) {
    for (name, path, format) in lessons() {
        let text = lessonpub::text::decode(&fs::read(&path).expect("lesson file"))
            .expect("decodable lesson")
            .text;
        let file = LessonFile {
            path: path.clone(),
            title: "bench".into(),
        };
        let mut group = c.benchmark_group(format!("lesson/{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function("parse", |b| {
            b.iter(|| parse::from_text(black_box(&text), format, &file))
        });
        // The same lesson with 20 times its comments: parsing should keep its throughput, which a
        // cost per comment that grows with the lesson (once: counting lines from the start for
        // each comment) would cut twentyfold.
        let crowded = with_comments_repeated(&text, format, 20);
        group.throughput(Throughput::Bytes(crowded.len() as u64));
        group.bench_function("parse, comments x20", |b| {
            b.iter(|| parse::from_text(black_box(&crowded), format, &file))
        });
        group.throughput(Throughput::Bytes(text.len() as u64));
        let (parsed, _) = parse::from_text(&text, format, &file);
        group.bench_function("sanitize+render", |b| {
            b.iter(|| {
                let lesson = lessonpub::sanitize::lesson(parsed.clone());
                lessonpub::render::chapter(black_box(&lesson), "zh-CN")
            })
        });
        group.finish();
    }
}

/// `text` with its comment list repeated `times` times.
fn with_comments_repeated(text: &str, format: Format, times: usize) -> String {
    let first_item = match format {
        Format::Html => text
            .find("class=\"_2sjJGcOH_0\"")
            .and_then(|marker| text[..marker].rfind("<li>")),
        Format::Markdown | Format::Site => text
            .find("精选留言")
            .and_then(|heading| text[heading..].find("<li>").map(|i| heading + i)),
    }
    .expect("the benchmarked lesson has comments");
    let list_end = text.rfind("</ul>").expect("the comment list is closed");
    let items = &text[first_item..list_end];
    format!(
        "{}{}{}",
        &text[..first_item],
        items.repeat(times),
        &text[list_end..]
    )
}

fn image_benches(c: &mut Criterion) {
    let dir = root().join("../shared/checks/images");
    if !dir.is_dir() {
        eprintln!("!!! ../shared/checks/images is absent: image benchmarks skipped");
        return;
    }
    let settings = Settings {
        max_width: lessonpub::config::DEFAULT_MAX_WIDTH,
        grayscale: false,
    };
    let mut group = c.benchmark_group("image");
    group.sample_size(20);
    for (file, kind) in [
        ("photo-3000x2000.jpg", Kind::Article),
        ("progressive-1200x800.jpg", Kind::Article),
        ("cmyk-1000x700.jpg", Kind::Article),
        ("diagram-1400x900.png", Kind::Article),
        ("long-screenshot-800x6000.png", Kind::Article),
        ("picture-800x600.webp", Kind::Article),
        ("animated-320x240.gif", Kind::Article),
        ("avatar-132.jpg", Kind::Avatar),
        ("avatar-alpha.png", Kind::Avatar),
    ] {
        let bytes = fs::read(dir.join(file)).expect("sample image");
        group.bench_function(file, |b| {
            b.iter(|| convert::process(black_box(&bytes), kind, &settings))
        });
    }
    group.finish();
}

criterion_group!(benches, lesson_benches, image_benches);
criterion_main!(benches);
