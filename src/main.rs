use std::process::ExitCode;

use clap::Parser;
use lessonpub::cli::{BuildArgs, Cli, Command};
use lessonpub::config::BuildConfig;
use lessonpub::images::ImageStats;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = lessonpub::interrupt::install() {
        eprintln!(
            "warning: cannot catch Ctrl-C ({err}); an interrupted build may leave a .epub.part file"
        );
    }
    match cli.command {
        Command::Build(args) => build(&args),
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
                if report.images.sources > 0 {
                    eprintln!("{}", image_summary(&report.images));
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

/// One line: where the images came from and what the book holds.
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
