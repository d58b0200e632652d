//! What a build tells its caller: what it wrote, and the warnings the stages returned.
//!
//! Only `lib.rs` builds a `Report`; `main.rs` decides how to show it.

use std::path::PathBuf;

use crate::diagnostics::Warning;

/// The outcome of one successful build.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub output: PathBuf,
    pub title: String,
    /// How the column folder held its lessons.
    pub layout: crate::discover::Layout,
    /// Lessons in the book, the introduction page aside.
    pub lessons: usize,
    pub comments: usize,
    pub images: crate::images::ImageStats,
    pub bytes: u64,
    pub warnings: Vec<Warning>,
    /// EPUBCheck's verdict, with `--check`.
    pub check: Option<crate::validate::CheckReport>,
    /// Wall time of each pipeline stage, in order.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    /// The volumes written, when the column was cut into several (`output` is the first, and
    /// `bytes` their sum).
    pub volumes: Vec<Written>,
}

/// One file written.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub output: PathBuf,
    /// Lessons in it, the introduction page aside.
    pub lessons: usize,
    pub bytes: u64,
}
