//! Problems that did not stop the build, with the place they come from.
//!
//! Stages never print. They return warnings, and `main.rs` decides how to show them, so tests can
//! assert on them and `-q` can silence them in one place. This module depends on no stage, so
//! every stage can depend on it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem that did not stop the build, with the place it comes from when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: String,
}

impl Warning {
    pub fn new(message: impl Into<String>) -> Self {
        Warning {
            file: None,
            line: None,
            message: message.into(),
        }
    }

    pub fn in_file(file: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Warning {
            file: Some(file.to_path_buf()),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => {
                write!(f, "`{}` line {line}: {}", file.display(), self.message)
            }
            (Some(file), None) => write!(f, "`{}`: {}", file.display(), self.message),
            _ => f.write_str(&self.message),
        }
    }
}
