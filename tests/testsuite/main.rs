//! Integration tests: the real binary on real and hand-made columns.

// Test helpers panic on purpose: a failed setup step is a failed test.
#![allow(clippy::unwrap_used)]

mod article;
mod batch;
mod check;
mod cli;
mod comments;
mod common;
mod corpus;
mod devices;
mod docs;
mod fixtures;
mod hints;
mod images;
mod output;
mod parsers;
mod properties;
mod regressions;
mod rendering;
mod settings;
mod volumes;
