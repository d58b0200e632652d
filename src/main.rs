use std::io::Write;
use std::process::ExitCode;

mod cli;

use clap::{CommandFactory, Parser};
use lessonpub::config::{BuildPlan, CacheMode, Flags, UsageError};
use lessonpub::diagnostics::for_terminal;
use lessonpub::images::ImageStats;
use lessonpub::validate::{CheckReport, Epubcheck};

use crate::cli::{BuildArgs, CheckArgs, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = lessonpub::interrupt::install() {
        eprintln!(
            "warning: cannot catch Ctrl-C ({err}); an interrupted build may leave a .epub.part file"
        );
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
        Command::Man => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: cannot write the man page: {err}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Exit status as ripgrep's: 2 when something could not be checked (it outranks what the others
/// found), 1 when EPUBCheck found errors, 0 when it found none.
fn check(args: &CheckArgs) -> ExitCode {
    let epubcheck = match Epubcheck::find() {
        Ok(found) => found,
        Err(err) => {
            eprintln!("error: {}", for_terminal(&format!("{err:#}")));
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
                eprintln!("error: {}", for_terminal(&format!("{err:#}")));
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
        "EPUBCheck {} on `{}`: {} fatal, {} errors, {} warnings",
        report.version,
        for_terminal(book),
        report.fatal,
        report.errors,
        report.warnings
    );
    for finding in &report.findings {
        let _ = writeln!(out, "  {}", for_terminal(&finding.to_string()));
    }
}

fn build(args: &BuildArgs) -> ExitCode {
    let plan = match BuildPlan::from_flags(flags(args)) {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("error: {}", for_terminal(&format!("{err:#}")));
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
        eprintln!(
            "error: --check needs EPUBCheck: {}",
            for_terminal(&format!("{err:#}"))
        );
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
                    for warning in &report.warnings {
                        eprintln!("warning: {}", for_terminal(&format!("{tag}{warning}")));
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
                    eprintln!("  {tag}{}, {} lessons", report.layout, report.lessons);
                    for (stage, took) in &report.timings {
                        eprintln!("  {tag}{stage:<26} {:>8.1} ms", took.as_secs_f64() * 1e3);
                    }
                }
                if !args.quiet && !batch {
                    for volume in &report.volumes {
                        println!(
                            "wrote `{}`: {} lessons, {:.1} MB",
                            for_terminal(&volume.output.display().to_string()),
                            volume.lessons,
                            volume.bytes as f64 / 1e6
                        );
                    }
                }
                if !args.quiet && !batch && report.volumes.is_empty() {
                    println!(
                        "wrote `{}`: {} lessons, {} comments, {:.1} MB",
                        for_terminal(&report.output.display().to_string()),
                        report.lessons,
                        report.comments,
                        report.bytes as f64 / 1e6
                    );
                }
            }
            Err(err) => eprintln!("error: {}", for_terminal(&format!("{tag}{err:#}"))),
        }
    }
    if batch && !args.quiet {
        print_table(&outcomes);
    }
    if outcomes.iter().all(|o| o.result.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
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

/// One line on what the image stage did.
fn image_summary(stats: &ImageStats) -> String {
    let mut line = format!(
        "images: {} downloaded ({:.1} MB), {} from cache",
        stats.downloaded,
        stats.downloaded_bytes as f64 / 1e6,
        stats.from_cache
    );
    if stats.local > 0 {
        line.push_str(&format!(", {} local", stats.local));
    }
    line.push_str(&format!(
        ", {} failed; {} files in the book ({:.1} MB)",
        stats.failed,
        stats.files,
        stats.file_bytes as f64 / 1e6
    ));
    line
}
