//! Decides which integration tests can run here. The tests that read `../shared` (the real
//! columns and sample images, a separate repository cloned beside this one) are compiled as
//! `#[ignore]`d when it is absent, so `cargo test` lists them as ignored, with the reason, rather
//! than passing them without running anything (libtest cannot ignore a test at run time).
//! With `LESSONPUB_REQUIRE_CORPUS=1` (CI) they are never ignored: a missing `../shared` fails.
//! `LESSONPUB_SHARED` points the tests at another copy, or at none to see what happens without.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=LESSONPUB_SHARED");
    println!("cargo::rerun-if-env-changed=LESSONPUB_REQUIRE_CORPUS");
    let shared = match std::env::var_os("LESSONPUB_SHARED") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"))
            .join("../shared"),
    };
    let required =
        std::env::var("LESSONPUB_REQUIRE_CORPUS").is_ok_and(|v| !v.is_empty() && v != "0");
    for (folder, cfg) in [
        ("corpus", "no_corpus"),
        ("checks/images", "no_image_samples"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        let dir = shared.join(folder);
        if dir.is_dir() {
            // So that its removal is noticed. A path that does not exist would make cargo run
            // this script, and rebuild the crate, on every build: an absent folder is not watched
            // (the test `shared_folders_are_still_missing` notices one that appears later).
            println!("cargo::rerun-if-changed={}", dir.display());
        } else if !required {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
    println!("cargo::rustc-env=LESSONPUB_SHARED_DIR={}", shared.display());
}
