//! Several columns, one book each, built in parallel; one failing column does not stop the others.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{BuildConfig, BuildPlan, Output};
use crate::progress::Board;
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
    let wanted = configs
        .iter()
        .any(|(_, c)| c.as_ref().is_ok_and(|c| c.images.progress));
    let board = Board::new(wanted);
    let batch = configs.len() > 1;
    configs
        .into_par_iter()
        .map(|(column, config)| {
            let mut line = board.column(batch.then(|| {
                crate::diagnostics::for_terminal(&column.display().to_string()).into_owned()
            }));
            let result = config.and_then(|c| crate::build(&c, &mut line));
            line.finish();
            Outcome { result, column }
        })
        .collect()
}

/// `inputs` with every folder once, in first-seen order, and each repeat with the spelling it
/// repeats: `a`, `./a`, `a/` and a symlink to `a` are one folder (compared as canonical paths).
/// A path that does not resolve is kept as given, for the build to report.
pub fn distinct(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, PathBuf)>) {
    let mut seen: Vec<(PathBuf, &PathBuf)> = Vec::new();
    let mut kept = Vec::new();
    let mut repeats = Vec::new();
    for input in inputs {
        let key = input.canonicalize().unwrap_or_else(|_| input.clone());
        match seen.iter().find(|(k, _)| *k == key) {
            Some((_, first)) => repeats.push((input.clone(), (*first).clone())),
            None => {
                seen.push((key, input));
                kept.push(input.clone());
            }
        }
    }
    (kept, repeats)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_named_twice_in_any_spelling_is_kept_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::create_dir(&a).unwrap();
        let b = dir.path().join("b");
        std::fs::create_dir(&b).unwrap();
        let mut inputs = vec![
            a.clone(),
            b.clone(),
            a.join("."),
            PathBuf::from(format!("{}/", a.display())),
        ];
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&a, &link).unwrap();
            inputs.push(link);
        }
        let missing = dir.path().join("missing");
        inputs.push(missing.clone());
        let (kept, repeats) = distinct(&inputs);
        assert_eq!(kept, [a.clone(), b, missing]);
        assert_eq!(repeats.len(), inputs.len() - 3);
        assert!(repeats.iter().all(|(_, first)| *first == a), "{repeats:?}");
    }
}
