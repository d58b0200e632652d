//! Replays every input that once crashed a fuzz target (`fuzz/regressions/<target>/`), and the
//! fuzz seed corpus, through the very checks the fuzz targets make.

use std::fs;
use std::path::Path;

use lessonpub::parse::Format;

use crate::common::checks;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for kind in ["regressions", "corpus"] {
        let Ok(entries) = fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(result.is_ok(), "{target} fails on {}", path.display());
            replayed += 1;
        }
    }
    replayed
}

#[test]
fn fuzz_inputs_are_replayed() {
    let markdown = replay("parse_markdown", |d| checks::lesson(d, Format::Markdown));
    let html = replay("parse_html", |d| checks::lesson(d, Format::Html));
    let fragment = replay("sanitize_serialize", checks::fragment);
    assert!(
        markdown > 0 && html > 0 && fragment > 0,
        "the seed corpus is part of the repository"
    );
}
