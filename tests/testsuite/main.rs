//! Integration tests: the real binary on real and hand-made columns.

mod batch;
mod check;
mod cli;
mod comments;
mod common;
mod corpus;
mod fixtures;
mod images;
mod parsers;
mod properties;
mod regressions;
mod settings;
