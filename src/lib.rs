//! lessonpub: a folder of saved course lessons -> one clean, offline EPUB 3.
//!
//! The pipeline, top to bottom (`build`): discover the lesson files -> parse each (one module per
//! input format) -> select comments -> sanitize the article -> lay out and highlight its code
//! blocks -> embed images -> render XHTML chapters -> package the EPUB. Data flows one way through the plain structs of `model`: each
//! stage takes the book (or a lesson) and hands the next a finished thing.

pub mod batch;
pub mod config;
pub mod cover;
pub mod diagnostics;
pub mod discover;
pub mod elements;
pub mod emoji;
pub mod files;
pub mod highlight;
pub mod images;
pub mod interrupt;
pub mod lessons;
pub mod model;
pub mod package;
pub mod parse;
pub mod parts;
pub mod profile;
pub mod progress;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod select;
pub mod spool;
pub mod stylesheet;
pub mod text;
pub mod validate;
pub mod volumes;
pub mod xhtml;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use time::OffsetDateTime;

use crate::config::{BuildConfig, Output};
use crate::diagnostics::{Warning, count};
use crate::discover::LessonFile;
use crate::model::{Article, Book, Lesson};
use crate::progress::Progress;
use crate::report::Report;
use crate::select::CommentChoice;

/// Builds one book as `config` says and reports what was written; `progress` shows each stage.
pub fn build(config: &BuildConfig, progress: &mut Progress) -> Result<Report> {
    let mut timings = Timings::start();
    progress.stage("discover");
    let mut column = discover::column(&config.input)?;
    if let Some(selection) = &config.lessons {
        choose_lessons(&mut column, selection)?;
    }
    timings.lap("discover");
    progress.done("discover", &count(column.lessons.len(), "lesson file"));
    let mut warnings = column.warnings.clone();

    // A cover image file is read first, so a bad one fails the build at once. A drawn cover
    // waits for the lessons, which may name the author.
    let title = book_title(config, column.title.as_deref());
    let output = output_path(config, &title);
    check_output(&output, &config.input)?;
    let cover_file = match (&config.cover, &config.cover_named_by) {
        // A cover that does not exist is left for `cover::from_file` to report.
        (Some(path), Some(settings)) if path.exists() && !files::inside(path, &config.input) => {
            warnings.push(Warning::in_file(
                settings,
                None,
                format!(
                    "cover `{}` is outside the column folder, so it is not used (a column's own \
                     settings may only name files inside it; pass `--cover` to use it)",
                    path.display()
                ),
            ));
            None
        }
        (Some(path), _) => Some(cover::from_file(path)?),
        (None, _) => None,
    };
    let user_css = match (&config.css, &config.css_named_by) {
        (Some(path), Some(settings)) if path.exists() && !files::inside(path, &config.input) => {
            warnings.push(Warning::in_file(
                settings,
                None,
                format!(
                    "stylesheet `{}` is outside the column folder, so it is not used (a column's \
                     own settings may only name files inside it; pass `--css` to use it)",
                    path.display()
                ),
            ));
            None
        }
        (Some(path), _) => Some(stylesheet::read_user_css(path)?),
        (None, _) => None,
    };
    let css = stylesheet::assemble(config.profile, user_css.as_deref());

    progress.stage("parse");
    let highlighter = highlight::Highlighter::default();
    // The lessons wait in it, written out, until the book is packaged.
    let spool = spool::Spool::new().ok();
    let read = |f: &LessonFile| read_lesson(f, &config.comments, &highlighter, spool.as_ref());
    let front = column.front.as_ref().map(read).transpose()?;
    let lessons: Vec<ReadLesson> = column.lessons.par_iter().map(read).collect::<Result<_>>()?;
    let mut book = Book {
        title,
        author: config.author.clone(),
        language: config.language.clone(),
        front: None,
        lessons: Vec::with_capacity(lessons.len()),
        parts: Vec::new(),
        images: Vec::new(),
    };
    if let Some(read) = front {
        warnings.extend(read.warnings);
        book.front = Some(read.lesson);
    }
    let mut openings = Vec::with_capacity(lessons.len());
    for read in lessons {
        warnings.extend(read.warnings);
        book.lessons.push(read.lesson);
        openings.push(read.opening);
    }
    drop(highlighter);
    check_comment_choice(&book, &config.comments)?;
    // The sections of MkDocs `nav:`, failing those the parts the lesson titles name.
    book.parts = if column.parts.is_empty() {
        let titles: Vec<&str> = book.lessons.iter().map(|l| l.title.as_str()).collect();
        parts::from_titles(&titles)
    } else {
        column.parts.clone()
    };
    // `--author` or the settings file; failing both, the name the lessons greet the reader with.
    if book.author.is_none() {
        book.author = parse::column_author(&openings);
    }
    timings.lap("parse, select, sanitize");
    let comments = book.lessons.iter().map(|l| l.comments.len()).sum::<usize>();
    progress.done(
        "parse",
        &format!(
            "{}, {}",
            count(book.lessons.len(), "lesson"),
            count(comments, "comment")
        ),
    );

    // Drawn before the images fill memory: its buffer (megabytes) is gone by then.
    progress.stage("cover");
    let users_cover = cover_file.is_some();
    let (cover, how) = match cover_file {
        Some(file) => (file, "from the file"),
        None => (
            cover::generated(&book.title, book.author.as_deref()),
            "drawn",
        ),
    };
    timings.lap("cover");
    progress.done("cover", how);

    let images = images::embed(&mut book, &config.input, &config.images, progress);
    if config.strict
        && let Some(first) = images.failures.first()
    {
        let more = match images.failures.len() {
            1 => String::new(),
            n => format!(", and {} failed", diagnostics::count(n - 1, "more image")),
        };
        bail!(
            "{}{more} (--strict makes a failed image an error; nothing was written)",
            first.warning()
        );
    }
    warnings.extend(images.warnings);
    timings.lap("images");
    progress.done(
        "images",
        &format!(
            "{}, {} in the book",
            count(images.stats.sources, "source"),
            count(images.stats.files, "file")
        ),
    );

    progress.stage("package");
    let packaging = Packaging {
        cover: &cover,
        users_cover,
        extras: package::Extras {
            css: &css,
            volume: None,
        },
        modified: modified_time(&column)?,
    };
    let parts = plan_parts(config, &book, &packaging)?;
    if config.volumes.is_some() || config.max_size.is_some() {
        timings.lap("plan volumes");
    }
    let staged = stage_parts(config, &book, &parts, &packaging, &output)?;
    timings.lap("render and package");
    progress.done("package", &count(book.chapters().count(), "chapter"));
    let check = if config.check {
        progress.stage("check");
        let report = check_staged(staged.iter().map(|(file, _)| file))?;
        timings.lap("EPUBCheck");
        progress.done(
            "check",
            &format!(
                "{}, {}",
                count(report.fatal + report.errors, "error"),
                count(report.warnings, "warning")
            ),
        );
        Some(report)
    } else {
        None
    };
    let volumes = staged.len();
    let mut written = Vec::with_capacity(volumes);
    for (book_file, mut done) in staged {
        done.bytes = book_file.commit()?;
        written.push(done);
    }
    warnings.extend(size_warnings(config, &written));
    Ok(Report {
        output: written[0].output.clone(),
        title: book.title.clone(),
        layout: column.layout,
        lessons: book.lessons.len(),
        comments: book.lessons.iter().map(|l| l.comments.len()).sum(),
        images: images.stats,
        bytes: written.iter().map(|w| w.bytes).sum(),
        warnings,
        check,
        timings: timings.stages,
        volumes: if volumes > 1 { written } else { Vec::new() },
    })
}

/// What a book is packaged with, besides its lessons.
struct Packaging<'a> {
    cover: &'a model::Asset,
    /// Whether `cover` is the user's picture, which every volume shows; otherwise each volume
    /// gets a cover drawn with its own title.
    users_cover: bool,
    extras: package::Extras<'a>,
    modified: OffsetDateTime,
}

impl<'a> Packaging<'a> {
    /// Volume `number` (from 1) of `count` of `book`, holding the lessons of `part`: the book,
    /// its cover and what else it is packaged with.
    fn volume(
        &self,
        book: &'a Book,
        part: std::ops::Range<usize>,
        number: usize,
        count: usize,
    ) -> (Book, model::Asset, package::Extras<'a>) {
        let volume = volumes::volume_book(book, part, number, count);
        let cover = if self.users_cover {
            self.cover.clone()
        } else {
            cover::generated(&volume.title, volume.author.as_deref())
        };
        let extras = package::Extras {
            volume: Some(package::Volume {
                series: &book.title,
                number,
            }),
            ..self.extras
        };
        (volume, cover, extras)
    }
}

/// Stages the book in a temporary file beside `output`; or, cut into several `parts`, each
/// volume beside its own file, made and staged one at a time.
fn stage_parts(
    config: &BuildConfig,
    book: &Book,
    parts: &[std::ops::Range<usize>],
    packaging: &Packaging,
    output: &Path,
) -> Result<Vec<(package::Staged, report::Written)>> {
    let p = packaging;
    if let [_] = parts {
        let chapters = render::chapters(book);
        let staged = package::stage(book, p.cover, p.extras, chapters, p.modified, output)?;
        let done = report::Written {
            output: output.to_path_buf(),
            lessons: book.lessons.len(),
            bytes: 0,
        };
        return Ok(vec![(staged, done)]);
    }
    let count = parts.len();
    (parts.iter().enumerate())
        .map(|(i, part)| {
            let out = volumes::volume_path(output, i + 1, count);
            check_output(&out, &config.input)?;
            let (volume, cover, extras) = p.volume(book, part.clone(), i + 1, count);
            let chapters = render::chapters(&volume);
            let staged = package::stage(&volume, &cover, extras, chapters, p.modified, &out)?;
            let done = report::Written {
                output: out,
                lessons: volume.lessons.len(),
                bytes: 0,
            };
            Ok((staged, done))
        })
        .collect()
}

/// Keeps the lessons `selection` names; the introduction page stays only with lesson 1.
fn choose_lessons(
    column: &mut discover::Column,
    selection: &lessons::LessonSelection,
) -> Result<()> {
    let keep = selection.indices(column.lessons.len(), column.front.is_some())?;
    if keep.first() != Some(&0) {
        column.front = None;
    }
    let mut lessons = std::mem::take(&mut column.lessons);
    let kept: Vec<bool> = (0..lessons.len())
        .map(|i| keep.binary_search(&i).is_ok())
        .collect();
    let mut i = 0;
    lessons.retain(|_| {
        i += 1;
        kept[i - 1]
    });
    column.lessons = lessons;
    column.parts = parts::kept(&column.parts, &kept);
    Ok(())
}

/// The lessons of each book to write: one part, all the lessons, unless `--volumes` or
/// `--max-size` cuts the book. Under `--max-size` each planned volume is measured whole, as it
/// will be written; when one is over (its drawn cover, contents and package documents are not in
/// the estimate), the plan is made again with as much to spare as the estimates fell short.
fn plan_parts(
    config: &BuildConfig,
    book: &Book,
    packaging: &Packaging,
) -> Result<Vec<std::ops::Range<usize>>> {
    let p = packaging;
    let all = 0..book.lessons.len();
    if let Some(count) = config.volumes {
        return volumes::plan_by_count(book.lessons.len(), count);
    }
    let Some(limit) = config.max_size else {
        return Ok(vec![all]);
    };
    let skeleton = Book {
        title: book.title.clone(),
        author: book.author.clone(),
        language: book.language.clone(),
        front: None,
        lessons: Vec::new(),
        parts: Vec::new(),
        images: Vec::new(),
    };
    let fixed = package::measure(&skeleton, p.cover, p.extras, std::iter::empty(), p.modified)?;
    let costs = volumes::costs(book, fixed).context(package::READ_BACK)?;
    let mut margin = 0;
    // Each round widens the margin by the worst excess at least, and to the estimates' worst
    // shortfall; a few rounds settle any real book.
    for _ in 0..8 {
        let parts = volumes::plan_by_size(&costs, limit, margin)?;
        let count = parts.len();
        // How far the worst volume is over the limit, and how far over its estimate.
        let (mut excess, mut missed) = (0, 0);
        for (i, part) in parts.iter().enumerate() {
            if part.len() == 1 {
                continue;
            }
            let size = if count == 1 {
                let chapters = render::chapters(book);
                package::measure(book, p.cover, p.extras, chapters, p.modified)?
            } else {
                let (volume, cover, extras) = p.volume(book, part.clone(), i + 1, count);
                let chapters = render::chapters(&volume);
                package::measure(&volume, &cover, extras, chapters, p.modified)?
            };
            excess = excess.max(size.saturating_sub(limit));
            missed = missed.max(size.saturating_sub(costs.volume_size(part.clone())));
        }
        if excess == 0 {
            return Ok(parts);
        }
        margin = (margin + excess).max(missed);
    }
    bail!(
        "`--max-size {}`: no cut of the book into volumes under that size was found; give a \
         larger size",
        volumes::human_size(limit)
    )
}

/// What the sizes of the written books call for: a volume over `--max-size` (a lesson too big
/// on its own, or `--volumes` too few), or, without `--max-size`, a book over Send to Kindle's
/// limit, with what would shrink it.
fn size_warnings(config: &BuildConfig, written: &[report::Written]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for book in written {
        let size = volumes::human_size(book.bytes);
        let shown = book.output.display();
        match config.max_size {
            Some(limit) if book.bytes > limit => {
                let why = if config.volumes.is_some() {
                    "raise --volumes, or leave it out to let --max-size choose the number"
                        .to_owned()
                } else {
                    "it holds a single lesson, which cannot be cut".to_owned()
                };
                warnings.push(Warning::new(format!(
                    "`{shown}` is {size}, over --max-size {}: {why}",
                    volumes::human_size(limit)
                )));
            }
            Some(_) => {}
            None if book.bytes > volumes::SEND_TO_KINDLE_LIMIT => {
                warnings.push(Warning::new(format!(
                    "`{shown}` is {size}, over the {} Send to Kindle takes by e-mail; {}",
                    volumes::human_size(volumes::SEND_TO_KINDLE_LIMIT),
                    shrink_hint(config)
                )));
            }
            None => {}
        }
    }
    warnings
}

/// What would make a book fit Send to Kindle's e-mail limit, of what the build did not use.
fn shrink_hint(config: &BuildConfig) -> String {
    let mut ways = vec!["`--max-size 50MB` cuts it into volumes under that".to_owned()];
    if !config.images.grayscale {
        ways.push("`--grayscale` stores its images in grey".to_owned());
    }
    if config.images.max_width > 758 {
        ways.push("`--max-width 758` stores smaller images".to_owned());
    }
    ways.join(", ")
}

/// Runs EPUBCheck on the staged book or volumes; errors fail the build before anything is
/// written. The report is the first book's, with the warnings of all.
fn check_staged<'a>(
    staged: impl Iterator<Item = &'a package::Staged>,
) -> Result<validate::CheckReport> {
    let mut all: Option<validate::CheckReport> = None;
    for book in staged {
        let report = validate::epubcheck(book.path())?;
        if report.failed() {
            let findings: Vec<String> = report
                .findings
                .iter()
                .take(10)
                .map(|f| format!("\n  {f}"))
                .collect();
            bail!(
                "EPUBCheck found {} in the book, so it was not written:{}",
                diagnostics::count(report.fatal + report.errors, "error"),
                findings.concat()
            );
        }
        match &mut all {
            None => all = Some(report),
            Some(all) => {
                all.warnings += report.warnings;
                all.findings.extend(report.findings);
            }
        }
    }
    all.context("no book was staged to check")
}

/// Wall time per pipeline stage, for `--verbose`.
struct Timings {
    stages: Vec<(&'static str, std::time::Duration)>,
    last: std::time::Instant,
}

impl Timings {
    fn start() -> Self {
        Timings {
            stages: Vec::new(),
            last: std::time::Instant::now(),
        }
    }

    /// Records the time since the previous lap as `stage`.
    fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        self.stages.push((stage, now - self.last));
        self.last = now;
    }
}

/// Parse -> select comments -> sanitize -> lay out code blocks, for one lesson file.
/// One lesson file read: the lesson, its article written out ahead; the opening of its text,
/// where it may greet the reader by the author's name; what was wrong with it.
struct ReadLesson {
    lesson: Lesson,
    opening: String,
    warnings: Vec<Warning>,
}

/// Reads one lesson file and writes its article out ahead, so that a column's article trees
/// are never all held at once (four times the lessons made the peak while reading them 25%
/// higher).
fn read_lesson(
    file: &LessonFile,
    choice: &CommentChoice,
    highlighter: &highlight::Highlighter,
    spool: Option<&spool::Spool>,
) -> Result<ReadLesson> {
    let (mut parsed, warnings) = parse::lesson(file)?;
    parsed.comments = select::select(std::mem::take(&mut parsed.comments), choice);
    let mut lesson = highlighter.lesson(sanitize::lesson(parsed));
    let opening = match &lesson.article {
        Article::Tree(nodes) => parse::opening(nodes),
        Article::Written(_) => String::new(),
    };
    render::write_ahead(&mut lesson, spool);
    Ok(ReadLesson {
        lesson,
        opening,
        warnings,
    })
}

/// `--min-likes` on a column that records no likes would silently drop every comment.
fn check_comment_choice(book: &Book, choice: &CommentChoice) -> Result<()> {
    let Some(min) = choice.min_likes else {
        return Ok(());
    };
    let has_comments = book.lessons.iter().any(|l| l.comments_in_source > 0);
    let any_likes = book.lessons.iter().any(|l| l.likes_recorded);
    if has_comments && !any_likes && min > 0 {
        bail!(
            "`--min-likes {min}`: the comments of this column record no likes (its lessons are in the \
             html-comments format), so no comment could qualify; drop the flag, or use `--comments N` \
             to keep the first N comments of each lesson"
        );
    }
    Ok(())
}

fn book_title(config: &BuildConfig, column_title: Option<&str>) -> String {
    config
        .title
        .clone()
        .filter(|t| text::has_visible(t))
        .or_else(|| column_title.map(str::to_owned))
        .or_else(|| {
            let dir = config
                .input
                .canonicalize()
                .unwrap_or_else(|_| config.input.clone());
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .filter(|t| text::has_visible(t))
        })
        .unwrap_or_else(|| "lessons".to_owned())
}

/// The title the book of `config` will have, without building it (for naming batch outputs).
pub fn planned_title(config: &BuildConfig) -> Result<String> {
    let column = discover::column(&config.input)?;
    Ok(book_title(config, column.title.as_deref()))
}

/// Fails before any work when the book could not be written to `output`, or would be written
/// where it destroys something: over a file that is not an earlier book (`package` checks that),
/// or inside the `column` folder under a name the next build would read (a lesson, the
/// settings, the nav): there, only `.epub` names.
fn check_output(output: &Path, column: &Path) -> Result<()> {
    package::destination_dir(output)?;
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let is_epub_name = output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("epub"));
    if !is_epub_name && files::inside(dir, column) {
        bail!(
            "`{}` is inside the column folder `{}`, where the next build would read it as one of \
             its files; name the book `….epub`, or write it outside the column",
            output.display(),
            column.display()
        );
    }
    Ok(())
}

fn output_path(config: &BuildConfig, title: &str) -> PathBuf {
    match &config.output {
        Output::File(path) => path.clone(),
        Output::Folder(dir) => book_file(dir, title, 1),
    }
}

/// The book file lessonpub names itself in `dir` for a book titled `title`: `<title>.epub`, or
/// `<title> (n).epub` for the `n`th book of that title in a batch.
pub(crate) fn book_file(dir: &Path, title: &str, n: usize) -> PathBuf {
    let suffix = match n {
        1 => ".epub".to_owned(),
        n => format!(" ({n}).epub"),
    };
    dir.join(format!(
        "{}{suffix}",
        file_name_safe(title, MAX_NAME_BYTES - suffix.len())
    ))
}

/// File systems refuse names longer than 255 bytes (ext4, APFS, NTFS in UTF-16 units).
const MAX_NAME_BYTES: usize = 255;

/// A title made safe as a file name on every common file system, at most `max_bytes` long
/// (cut at a character boundary: lessonpub chose the name, so it must be one the file system
/// takes).
fn file_name_safe(title: &str, max_bytes: usize) -> String {
    let name: String = title
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut name = name.trim().trim_start_matches('.').to_owned();
    if name.len() > max_bytes {
        let mut end = max_bytes;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
        name = name.trim_end().to_owned();
    }
    if name.is_empty() {
        "book".to_owned()
    } else {
        name
    }
}

/// `SOURCE_DATE_EPOCH` when set (reproducible builds), else the newest input file's time, so
/// the same input always gives the same bytes.
fn modified_time(column: &discover::Column) -> Result<OffsetDateTime> {
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let secs: i64 = epoch.trim().parse().map_err(|_| {
            anyhow::anyhow!("SOURCE_DATE_EPOCH=`{epoch}` is not a number of seconds")
        })?;
        return OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|_| anyhow::anyhow!("SOURCE_DATE_EPOCH=`{epoch}` is out of range"));
    }
    let newest = column
        .front
        .iter()
        .chain(&column.lessons)
        .filter_map(|f| mtime(&f.path))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(OffsetDateTime::from(newest))
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_files_are_names_every_file_system_takes() {
        let dir = Path::new("out");
        assert_eq!(
            book_file(dir, " .Linux/性能:优化? ", 1),
            dir.join("Linux_性能_优化_.epub")
        );
        assert_eq!(book_file(dir, "\u{1}", 2), dir.join("_ (2).epub"));
        assert_eq!(book_file(dir, "  ", 1), dir.join("book.epub"));
        // 3-byte characters that do not divide the limit: the cut falls inside one.
        let long = "性能".repeat(200);
        for n in [1, 2, 1000] {
            let name = book_file(dir, &long, n);
            let name = name.file_name().unwrap().to_str().unwrap();
            assert!(name.len() <= 255, "{} bytes", name.len());
            assert!(
                name.starts_with("性能性能") && name.ends_with(".epub"),
                "{name}"
            );
        }
        let created = tempfile::tempdir().unwrap();
        std::fs::write(book_file(created.path(), &long, 12), b"x").unwrap();
    }
}
