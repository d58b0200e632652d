use std::process::ExitCode;

use clap::Parser;
use lessonpub::cli::{BuildArgs, Cli, Command};
use lessonpub::config::BuildConfig;

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
                if args.verbose {
                    for (stage, took) in &report.timings {
                        eprintln!("  {stage:<26} {:>8.1} ms", took.as_secs_f64() * 1e3);
                    }
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
