use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use lessonpub::cli::{BuildArgs, CheckArgs, Cli, Command};
use lessonpub::config::BuildConfig;
use lessonpub::validate::CheckReport;

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

fn check(args: &CheckArgs) -> ExitCode {
    match lessonpub::validate::epubcheck(&args.file) {
        Ok(report) => {
            print_check(
                &mut std::io::stdout(),
                &args.file.display().to_string(),
                &report,
            );
            if report.failed() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// EPUBCheck's verdict: on stdout for `check` (it is the result), on stderr for `build --check`.
fn print_check(out: &mut dyn Write, book: &str, report: &CheckReport) {
    let _ = writeln!(
        out,
        "EPUBCheck {} on `{book}`: {} fatal, {} errors, {} warnings",
        report.version, report.fatal, report.errors, report.warnings
    );
    for finding in &report.findings {
        let _ = writeln!(out, "  {finding}");
    }
}

fn build(args: &BuildArgs) -> ExitCode {
    let result = BuildConfig::from_args(args).and_then(|config| lessonpub::build(&config));
    match result {
        Ok(report) => {
            if !args.quiet {
                for warning in &report.warnings {
                    eprintln!("warning: {warning}");
                }
                if args.verbose {
                    for (stage, took) in &report.timings {
                        eprintln!("  {stage:<26} {:>8.1} ms", took.as_secs_f64() * 1e3);
                    }
                }
                if let Some(check) = &report.check {
                    print_check(
                        &mut std::io::stderr(),
                        &report.output.display().to_string(),
                        check,
                    );
                }
                eprintln!(
                    "wrote `{}`: {} lessons, {} comments, {:.1} MB",
                    report.output.display(),
                    report.lessons,
                    report.comments,
                    report.bytes as f64 / 1e6
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
