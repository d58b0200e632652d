use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

mod allocator;
mod cli;
mod man;
mod messages;

use clap::{CommandFactory, FromArgMatches};
use lessonpub::config::{BuildPlan, CacheMode, Flags, UsageError};
use lessonpub::diagnostics::{count, for_terminal};
use lessonpub::images::ImageStats;
use lessonpub::validate::{CheckReport, Epubcheck};

use crate::cli::{BuildArgs, CheckArgs, Cli, Command};
use crate::messages::{error, note, warning};

fn main() -> ExitCode {
    let color = messages::color_from_args(std::env::args_os());
    messages::set_color(color);
    let matches = Cli::command().color(color).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Err(err) = lessonpub::interrupt::install() {
        warning(&format!(
            "cannot catch Ctrl-C ({err}); an interrupted build may leave a .part.epub file"
        ));
    }
    match cli.command {
        Command::Build(args) => build(&args),
        Command::Check(args) => check(&args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "lessonpub",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => match man::render(&mut std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                error(&format!("cannot write the man page: {err}"));
                ExitCode::FAILURE
            }
        },
    }
}

/// Exit status as ripgrep's: 2 when something could not be checked (it outranks what the others
/// found), 1 when EPUBCheck found errors, 0 when it found none.
fn check(args: &CheckArgs) -> ExitCode {
    let epubcheck = match Epubcheck::find() {
        Ok(found) => found,
        Err(err) => {
            error(&for_terminal(&format!("{err:#}")));
            return ExitCode::from(2);
        }
    };
    let (mut failed, mut unchecked) = (false, false);
    for file in &args.files {
        match epubcheck.check(file) {
            Ok(report) => {
                print_check(&mut std::io::stdout(), &file.display().to_string(), &report);
                failed |= report.failed();
            }
            Err(err) => {
                error(&for_terminal(&format!("{err:#}")));
                unchecked = true;
            }
        }
    }
    if unchecked {
        ExitCode::from(2)
    } else if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// EPUBCheck's verdict: on stdout for `check` (it is the result), on stderr for `build --check`.
fn print_check(out: &mut dyn Write, book: &str, report: &CheckReport) {
    let _ = writeln!(
        out,
        "EPUBCheck {} on `{}`: {} fatal, {}, {}",
        report.version,
        for_terminal(book),
        report.fatal,
        count(report.errors, "error"),
        count(report.warnings, "warning")
    );
    for finding in &report.findings {
        let _ = writeln!(out, "  {}", for_terminal(&finding.to_string()));
    }
}

fn build(args: &BuildArgs) -> ExitCode {
    let mut flags = flags(args);
    let (inputs, repeats) = lessonpub::batch::distinct(&flags.inputs);
    if !args.quiet {
        for (again, first) in &repeats {
            note(&for_terminal(&format!(
                "`{}` is the same folder as `{}`; it is built once",
                again.display(),
                first.display()
            )));
        }
    }
    flags.inputs = inputs;
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    let staging = if to_stdout {
        match build_for_stdout(&mut flags) {
            Ok(dir) => Some(dir),
            Err(code) => return code,
        }
    } else {
        None
    };
    let plan = match BuildPlan::from_flags(flags) {
        Ok(plan) => plan,
        Err(err) => {
            error(&for_terminal(&format!("{err:#}")));
            let usage = err.downcast_ref::<UsageError>().is_some();
            return if usage {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            };
        }
    };
    // Found now, not after minutes of building; the build's own check finds the same one.
    if args.check
        && let Err(err) = Epubcheck::find()
    {
        error(&format!(
            "--check needs EPUBCheck: {}",
            for_terminal(&format!("{err:#}"))
        ));
        return ExitCode::from(2);
    }
    let outcomes = lessonpub::batch::build_all(&plan);
    let batch = outcomes.len() > 1;
    for outcome in &outcomes {
        // In a batch, every message says which column it is about.
        let tag = if batch {
            format!("[{}] ", outcome.column.display())
        } else {
            String::new()
        };
        match &outcome.result {
            Ok(report) => {
                if !args.quiet {
                    for message in &report.warnings {
                        warning(&for_terminal(&format!("{tag}{message}")));
                    }
                    if report.images.sources > 0 {
                        eprintln!("{tag}{}", image_summary(&report.images));
                    }
                    if let Some(check) = &report.check {
                        print_check(
                            &mut std::io::stderr(),
                            &report.output.display().to_string(),
                            check,
                        );
                    }
                }
                if args.verbose {
                    eprintln!(
                        "  {tag}{}, {}",
                        report.layout,
                        count(report.lessons, "lesson")
                    );
                    for (stage, took) in &report.timings {
                        eprintln!("  {tag}{stage:<26} {:>8.1} ms", took.as_secs_f64() * 1e3);
                    }
                }
                let what = format!(
                    "{}, {}, {:.1} MB",
                    count(report.lessons, "lesson"),
                    count(report.comments, "comment"),
                    report.bytes as f64 / 1e6
                );
                if to_stdout && !report.volumes.is_empty() {
                    error(&format!(
                        "the book was cut into {} volumes, which cannot all go to stdout; \
                         write them to files with -o FILE.epub",
                        report.volumes.len()
                    ));
                    return ExitCode::FAILURE;
                }
                if to_stdout {
                    if let Err(err) = copy_to_stdout(&report.output) {
                        error(&format!("cannot write the book to stdout: {err}"));
                        return ExitCode::FAILURE;
                    }
                    if !args.quiet {
                        eprintln!("wrote the book to stdout: {what}");
                    }
                } else if !args.quiet && !batch && !report.volumes.is_empty() {
                    for volume in &report.volumes {
                        println!(
                            "wrote `{}`: {}, {:.1} MB",
                            for_terminal(&volume.output.display().to_string()),
                            count(volume.lessons, "lesson"),
                            volume.bytes as f64 / 1e6
                        );
                    }
                } else if !args.quiet && !batch {
                    println!(
                        "wrote `{}`: {what}",
                        for_terminal(&report.output.display().to_string()),
                    );
                }
            }
            Err(err) => error(&for_terminal(&format!("{tag}{err:#}"))),
        }
    }
    drop(staging);
    if batch && !args.quiet {
        print_table(&outcomes);
    }
    if outcomes.iter().all(|o| o.result.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `-o -`: points `flags` at a book in a new temporary folder, which is copied to stdout only
/// once it is complete, so a failed build writes nothing there at all. Refused when stdout is a
/// terminal, which a book would fill with binary.
fn build_for_stdout(flags: &mut Flags) -> Result<tempfile::TempDir, ExitCode> {
    if std::io::stdout().is_terminal() {
        error(
            "`-o -` writes the book to stdout, which is a terminal; redirect it \
             (`-o - > book.epub`) or name a file with `-o FILE`",
        );
        return Err(ExitCode::from(2));
    }
    let dir = tempfile::tempdir().map_err(|err| {
        error(&format!(
            "cannot make a temporary folder for the book (`-o -` builds it there): {err}"
        ));
        ExitCode::FAILURE
    })?;
    let book = dir.path().join("book.epub");
    // Ctrl-C runs no destructor: the finished book must not be left in the temporary folder.
    let _ =
        lessonpub::interrupt::create_guarded(|| Ok::<_, std::io::Error>(book.clone()), |book| book);
    flags.output = Some(book);
    Ok(dir)
}

/// Copies the finished book to stdout in one go.
fn copy_to_stdout(book: &Path) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    std::io::copy(&mut std::fs::File::open(book)?, &mut out)?;
    out.flush()
}

/// The library's view of the command line: the same values, out of clap's types.
fn flags(args: &BuildArgs) -> Flags {
    Flags {
        inputs: args.inputs.clone(),
        config: args.config.clone(),
        output: args.output.clone(),
        out_dir: args.out_dir.clone(),
        title: args.title.clone(),
        author: args.author.clone(),
        language: args.language.clone(),
        cover: args.cover.clone(),
        comments: args.comments,
        min_likes: args.min_likes,
        with_reply: args.with_reply,
        offline: args.offline,
        jobs: args.jobs.map(usize::from),
        cache_dir: args.cache_dir.clone(),
        // clap refuses the two together.
        cache_mode: if args.no_cache {
            CacheMode::Off
        } else if args.refresh {
            CacheMode::Refresh
        } else {
            CacheMode::Use
        },
        max_width: args.max_width,
        // clap lets the later of the two win.
        grayscale: if args.grayscale {
            Some(true)
        } else if args.no_grayscale {
            Some(false)
        } else {
            None
        },
        profile: args.profile,
        css: args.css.clone(),
        lessons: args.lessons.clone(),
        volumes: args.volumes,
        max_size: args.max_size.map(|size| size.0),
        strict: args.strict,
        check: args.check,
        quiet: args.quiet,
        verbose: args.verbose,
    }
}

/// The results of a batch build, one row per column.
fn print_table(outcomes: &[lessonpub::batch::Outcome]) {
    println!(
        "{:<32} {:>7} {:>8} {:>8}  result",
        "column", "lessons", "comments", "MB"
    );
    for o in outcomes {
        let name = for_terminal(&o.column.display().to_string()).into_owned();
        match &o.result {
            Ok(r) => println!(
                "{name:<32} {:>7} {:>8} {:>8.1}  wrote `{}`",
                r.lessons,
                r.comments,
                r.bytes as f64 / 1e6,
                for_terminal(&r.output.display().to_string())
            ),
            Err(err) => println!(
                "{name:<32} {:>7} {:>8} {:>8}  FAILED: {}",
                "-",
                "-",
                "-",
                for_terminal(first_line(&format!("{err:#}")))
            ),
        }
    }
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    println!("{} built, {failed} failed", outcomes.len() - failed);
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// One line on what the image stage did, in two sums that add up: what became of the sources
/// (embedded, failed to convert, failed to fetch, not in the cache), and how the ones had were
/// had (downloaded, from cache, local) = embedded + failed to convert.
fn image_summary(stats: &ImageStats) -> String {
    let had = stats.downloaded + stats.from_cache + stats.local;
    let unfetched = stats
        .failed
        .saturating_sub(stats.unconverted + stats.not_cached);
    let mut outcome = vec![format!(
        "{} embedded",
        had.saturating_sub(stats.unconverted)
    )];
    for (n, what) in [
        (stats.unconverted, "failed to convert"),
        (unfetched, "failed to fetch"),
        (stats.not_cached, "not in the cache (--offline)"),
    ] {
        if n > 0 {
            outcome.push(format!("{n} {what}"));
        }
    }
    let mut how = vec![
        format!(
            "{} downloaded ({:.1} MB)",
            stats.downloaded,
            stats.downloaded_bytes as f64 / 1e6
        ),
        format!("{} from cache", stats.from_cache),
    ];
    if stats.local > 0 {
        how.push(format!("{} local", stats.local));
    }
    format!(
        "images: {}: {}; {}; {} in the book ({:.1} MB)",
        count(stats.sources, "source"),
        outcome.join(", "),
        how.join(", "),
        count(stats.files, "file"),
        stats.file_bytes as f64 / 1e6
    )
}
