//! Several columns, one book each, built in parallel; one failing column does not stop the others.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{BuildConfig, BuildPlan, Output};
use crate::report::Report;

/// What became of one column.
#[derive(Debug)]
pub struct Outcome {
    pub column: PathBuf,
    pub result: Result<Report>,
}

/// Builds every column of `plan`. Books that would land on the same file name get ` (2)`,
/// ` (3)`, … so no column overwrites another's book.
pub fn build_all(plan: &BuildPlan) -> Vec<Outcome> {
    let mut taken = HashSet::new();
    let configs: Vec<(PathBuf, Result<BuildConfig>)> = plan
        .columns()
        .iter()
        .map(|column| {
            (
                column.clone(),
                plan.config_for(column)
                    .and_then(|c| with_unique_output(c, &mut taken)),
            )
        })
        .collect();
    configs
        .into_par_iter()
        .map(|(column, config)| Outcome {
            result: config.and_then(|c| crate::build(&c)),
            column,
        })
        .collect()
}

/// Fixes the output file of `config`, avoiding the names already `taken` in this batch.
fn with_unique_output(
    mut config: BuildConfig,
    taken: &mut HashSet<PathBuf>,
) -> Result<BuildConfig> {
    if let Output::Folder(dir) = &config.output {
        let title = crate::planned_title(&config)?;
        let path = (1..)
            .map(|n| crate::book_file(dir, &title, n))
            .find(|p| !taken.contains(p))
            .expect("an unbounded range always has a free name");
        config.output = Output::File(path);
    }
    if let Output::File(path) = &config.output {
        taken.insert(path.clone());
    }
    Ok(config)
}
