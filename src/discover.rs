//! A column folder -> its lesson files, in the order the column reads.
//!
//! Two layouts are known. An MkDocs column (`mkdocs.yml` beside `docs/`) lists its lessons in
//! `nav:`; its `site_name` is the book title and `<site_name>.md` the introduction page. Any
//! other folder holds one lesson per file, ordered from the file names: 开篇词 first, numbered
//! lessons in numeric order, unnumbered extras after them, closing pieces last.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use yaml_rust2::parser::{Event, EventReceiver, Parser};
use yaml_rust2::{ScanError, Yaml, YamlLoader};

use crate::diagnostics::Warning;
use crate::text::has_visible;

/// Extensions of files that can hold a lesson (the format is detected from the content).
pub const LESSON_EXTENSIONS: &[&str] = &["md", "markdown", "html", "htm", "txt"];

/// What discovery found in a column folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name when the folder states it (MkDocs `site_name`).
    pub title: Option<String>,
    /// The introduction page, rendered before the lessons.
    pub front: Option<LessonFile>,
    pub lessons: Vec<LessonFile>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LessonFile {
    pub path: PathBuf,
    pub title: String,
}

/// Finds the lessons of `dir`.
pub fn column(dir: &Path) -> Result<Column> {
    let meta = fs::metadata(dir)
        .with_context(|| format!("cannot read column folder `{}`", dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "`{}` is not a folder; pass the folder that holds the lesson files",
            dir.display()
        );
    }
    let mkdocs = dir.join("mkdocs.yml");
    let mut column = if mkdocs.is_file() {
        mkdocs_column(dir, &mkdocs)?
    } else {
        plain_column(dir)?
    };
    // A title of nothing visible (a file named `　.md`, a `site_name` of control characters)
    // would leave an empty title in the book, which EPUBCheck refuses.
    column.title = column.title.filter(|t| has_visible(t));
    if let Some(front) = column.front.as_mut().filter(|f| !has_visible(&f.title)) {
        front.title = "前言".to_owned();
    }
    for (i, lesson) in column.lessons.iter_mut().enumerate() {
        if !has_visible(&lesson.title) {
            lesson.title = format!("第 {} 课", i + 1);
        }
    }
    if column.lessons.is_empty() {
        bail!(
            "no lesson files in `{}` (looked for {} files)",
            dir.display(),
            LESSON_EXTENSIONS
                .iter()
                .map(|e| format!(".{e}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(column)
}

fn is_lesson_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    let Some((stem, ext)) = lower.rsplit_once('.') else {
        return false;
    };
    // The files that come with a folder rather than a course (README, LICENSE, ...), in any
    // case and with any suffix (`README_CN.md`, `LICENSE-MIT.txt`).
    const NOT_LESSONS: &[&str] = &[
        "readme",
        "summary",
        "license",
        "licence",
        "copying",
        "changelog",
        "contributing",
        "authors",
    ];
    let first_word = stem
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    !stem.is_empty()
        && !lower.starts_with('.')
        && LESSON_EXTENSIONS.contains(&ext)
        && !NOT_LESSONS.contains(&first_word)
}

fn file_title(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    readable_title(&stem)
}

// ---------------------------------------------------------------------------------------------
// Plain folders

/// Whether `path` really is inside `root` (both resolved, symlinks followed): a lesson that links
/// out of the column folder (to `~/.ssh/…`, say, in a downloaded archive) must not end up in a
/// book.
pub(crate) fn stays_inside(path: &Path, root: &Path) -> bool {
    match (path.canonicalize(), root.canonicalize()) {
        (Ok(path), Ok(root)) => path.starts_with(root),
        _ => false,
    }
}

fn outside_warning(path: &Path) -> Warning {
    Warning::in_file(
        path,
        None,
        "leads outside the column folder (a link or `..`); skipped",
    )
}

fn plain_column(dir: &Path) -> Result<Column> {
    let mut lessons = Vec::new();
    let mut warnings = Vec::new();
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot list column folder `{}`", dir.display()))?;
    for entry in entries {
        let entry =
            entry.with_context(|| format!("cannot list column folder `{}`", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // `metadata` follows symlinks: a link to a lesson file counts, a link to a folder does not.
        if is_lesson_name(&name) && fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            let path = entry.path();
            if !stays_inside(&path, dir) {
                warnings.push(outside_warning(&path));
                continue;
            }
            lessons.push(LessonFile {
                title: file_title(&path),
                path,
            });
        }
    }
    lessons.sort_by(|a, b| {
        let (ka, kb) = (order_key(&stem_of(&a.path)), order_key(&stem_of(&b.path)));
        ka.cmp(&kb).then_with(|| a.path.cmp(&b.path))
    });
    Ok(Column {
        title: None,
        front: None,
        lessons,
        warnings,
    })
}

fn stem_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Where a lesson goes in a column without a table of contents.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Opening,
    Numbered(u64),
    Extra,
    Closing(u8),
}

const OPENING: &[&str] = &["开篇词", "发刊词", "开篇", "导读", "前言", "序言"];
// The farewell comes before the final quiz, as GeekTime publishes them.
const CLOSING: &[(&str, u8)] = &[
    ("结束语", 0),
    ("结语", 0),
    ("尾声", 0),
    ("后记", 0),
    ("结课测试", 1),
    ("期末测试", 1),
    ("结课", 1),
];

fn order_key(stem: &str) -> (Place, Vec<NaturalPart>) {
    let stem = stem.trim();
    let place = if OPENING.iter().any(|p| stem.starts_with(p)) {
        Place::Opening
    } else if let Some(rank) = CLOSING
        .iter()
        .find(|(p, _)| stem.starts_with(p))
        .map(|(_, r)| *r)
    {
        Place::Closing(rank)
    } else if let Some(n) = lesson_number(stem) {
        Place::Numbered(n)
    } else {
        Place::Extra
    };
    (place, natural_key(stem))
}

/// The number of a numbered lesson: `07 _ …`, `7｜…`, `第7讲 …`, `第十二讲 …`.
fn lesson_number(stem: &str) -> Option<u64> {
    let digits: String = stem.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        return digits.parse().ok();
    }
    let rest = stem.strip_prefix('第')?;
    let numeral: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || chinese_digit(*c).is_some())
        .collect();
    let after = rest[numeral.len()..].chars().next()?;
    if !"讲课章节篇回期部".contains(after) {
        return None;
    }
    numeral.parse().ok().or_else(|| chinese_number(&numeral))
}

/// A sort key that compares runs of digits (ASCII or Chinese numerals) by value.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum NaturalPart {
    Number(u64),
    Text(String),
}

fn natural_key(s: &str) -> Vec<NaturalPart> {
    let mut parts = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut run = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                run.push(d);
                chars.next();
            }
            parts.push(NaturalPart::Number(run.parse().unwrap_or(u64::MAX)));
        } else if chinese_digit(c).is_some() {
            let mut run = String::new();
            while let Some(&d) = chars.peek().filter(|d| chinese_digit(**d).is_some()) {
                run.push(d);
                chars.next();
            }
            match chinese_number(&run) {
                Some(n) => parts.push(NaturalPart::Number(n)),
                None => parts.push(NaturalPart::Text(run)),
            }
        } else {
            let mut run = String::new();
            while let Some(&d) = chars
                .peek()
                .filter(|d| !d.is_ascii_digit() && chinese_digit(**d).is_none())
            {
                run.push(d);
                chars.next();
            }
            parts.push(NaturalPart::Text(run));
        }
    }
    parts
}

fn chinese_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        '十' => 10,
        '百' => 100,
        _ => return None,
    })
}

/// Value of a Chinese numeral up to the hundreds: 一 1, 十 10, 十二 12, 二十 20, 一百零五 105.
fn chinese_number(s: &str) -> Option<u64> {
    let mut total = 0;
    let mut digit = None;
    for c in s.chars() {
        match chinese_digit(c)? {
            unit @ (10 | 100) => {
                total += digit.unwrap_or(1) * unit;
                digit = None;
            }
            d => digit = Some(d),
        }
    }
    Some(total + digit.unwrap_or(0))
}

// ---------------------------------------------------------------------------------------------
// MkDocs columns

/// Most values a mkdocs.yml may stand for with its aliases expanded. A real one has a few
/// hundred; nine aliases of nine aliases of … (a "billion laughs") would expand to billions in
/// memory, as the YAML loader copies each alias.
const MAX_YAML_VALUES: usize = 100_000;

/// How many values a YAML stream stands for with every alias expanded, counted from the
/// parser's events without expanding anything.
#[derive(Default)]
struct ExpandedSize {
    /// The collections open now: their anchor (0 for none) and their size so far.
    open: Vec<(usize, usize)>,
    /// The size of each anchored value, by anchor.
    anchored: HashMap<usize, usize>,
    total: usize,
}

impl EventReceiver for ExpandedSize {
    fn on_event(&mut self, event: Event) {
        let (anchor, size) = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.open.push((anchor, 1));
                return;
            }
            Event::SequenceEnd | Event::MappingEnd => match self.open.pop() {
                Some(closed) => closed,
                None => return,
            },
            Event::Scalar(_, _, anchor, _) => (anchor, 1),
            Event::Alias(anchor) => (0, self.anchored.get(&anchor).copied().unwrap_or(1)),
            _ => return,
        };
        if anchor > 0 {
            self.anchored.insert(anchor, size);
        }
        let into = match self.open.last_mut() {
            Some((_, open)) => open,
            None => &mut self.total,
        };
        *into = into.saturating_add(size);
    }
}

fn mkdocs_column(dir: &Path, config_path: &Path) -> Result<Column> {
    // Any real mkdocs.yml is a few kilobytes.
    let decoded = crate::files::read_regular(config_path, 1 << 20)
        .and_then(|b| crate::text::decode(&b))
        .with_context(|| format!("cannot read `{}`", config_path.display()))?;
    let text = &decoded.text;
    let invalid = |e: ScanError| {
        anyhow::anyhow!(
            "`{}` line {}: not valid YAML: {}",
            config_path.display(),
            e.marker().line(),
            e.info()
        )
    };
    let mut size = ExpandedSize::default();
    Parser::new_from_str(text)
        .load(&mut size, true)
        .map_err(invalid)?;
    if size.total > MAX_YAML_VALUES {
        bail!(
            "`{}` stands for more than {MAX_YAML_VALUES} values once its aliases (`*name`) are \
             expanded, which no MkDocs config needs; is it really one?",
            config_path.display()
        );
    }
    let docs = YamlLoader::load_from_str(text).map_err(invalid)?;
    let config = docs.into_iter().next().unwrap_or(Yaml::Null);
    let site_name = config["site_name"]
        .as_str()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let docs_dir = dir.join(config["docs_dir"].as_str().unwrap_or("docs"));
    if !docs_dir.is_dir() {
        bail!(
            "`{}` describes an MkDocs column, but its docs folder `{}` is missing",
            config_path.display(),
            docs_dir.display()
        );
    }

    let mut nav = Vec::new();
    collect_nav(&config["nav"], None, 0, &mut nav);
    if nav.is_empty() {
        bail!(
            "`{}` has no `nav:` list of lesson files; add one, as MkDocs does",
            config_path.display()
        );
    }

    let intro_name = site_name.as_ref().map(|s| format!("{s}.md"));
    let mut warnings = Vec::new();
    if let Some(damage) = decoded.damage() {
        warnings.push(Warning::in_file(config_path, None, damage));
    }
    let mut front = None;
    let mut lessons = Vec::new();
    let mut listed = HashSet::new();
    for entry in nav {
        let path = docs_dir.join(&entry.file);
        listed.insert(path.clone());
        if path.is_file() && !stays_inside(&path, dir) {
            warnings.push(outside_warning(&path));
            continue;
        }
        if !path.is_file() {
            warnings.push(Warning::in_file(
                config_path,
                None,
                format!(
                    "`nav:` lists `{}`, which is not in `{}`; skipped",
                    entry.file,
                    docs_dir.display()
                ),
            ));
            continue;
        }
        let name = entry.file.rsplit('/').next().unwrap_or(&entry.file);
        if name == "index.md" {
            continue;
        }
        let title = entry.title.unwrap_or_else(|| file_title(&path));
        let file = LessonFile { path, title };
        if front.is_none() && intro_name.as_deref() == Some(name) {
            front = Some(file);
        } else {
            lessons.push(file);
        }
    }
    for unlisted in unlisted_lessons(&docs_dir, &listed)? {
        warnings.push(Warning::in_file(
            &unlisted,
            None,
            "not listed in `nav:` of mkdocs.yml, so not in the book (MkDocs leaves it out too)",
        ));
    }
    Ok(Column {
        title: site_name,
        front,
        lessons,
        warnings,
    })
}

struct NavEntry {
    file: String,
    title: Option<String>,
}

/// Flattens MkDocs `nav:` (plain file names, `Title: file.md`, nested sections) in order.
fn collect_nav(node: &Yaml, title: Option<&str>, depth: usize, out: &mut Vec<NavEntry>) {
    // MkDocs nests sections a few levels; a hostile file nesting thousands must not recurse deeply.
    if depth > 16 {
        return;
    }
    match node {
        Yaml::String(file) if is_local_page(file) => out.push(NavEntry {
            file: file.trim().to_owned(),
            title: title.map(str::to_owned),
        }),
        Yaml::Array(items) => items
            .iter()
            .for_each(|item| collect_nav(item, None, depth + 1, out)),
        Yaml::Hash(map) => {
            for (key, value) in map {
                collect_nav(value, key.as_str(), depth + 1, out);
            }
        }
        _ => {}
    }
}

fn is_local_page(file: &str) -> bool {
    let file = file.trim();
    !file.contains("://") && is_lesson_name(file.rsplit('/').next().unwrap_or(file))
}

fn unlisted_lessons(docs_dir: &Path, listed: &HashSet<PathBuf>) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(docs_dir)
        .with_context(|| format!("cannot list docs folder `{}`", docs_dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if is_lesson_name(&name) && name != "index.md" && !listed.contains(&path) && path.is_file()
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Titles

/// Separators GeekTime file names use between a lesson's prefix and its title, longest first.
const SEPARATORS: &[&str] = &[" _ ", " | ", " - ", "｜", "丨", "|", "-"];

/// A file name made readable: whichever separator the saver used after the lesson's prefix
/// (`01 _ `, `01｜`, `05丨`, `01-`, `开篇词 - `) becomes ` | `, as GeekTime shows titles.
pub fn readable_title(stem: &str) -> String {
    let stem = stem.trim();
    let found = SEPARATORS
        .iter()
        .filter_map(|sep| stem.find(sep).map(|at| (at, *sep)))
        .filter(|&(at, sep)| at > 0 && (sep != "-" || is_bare_prefix(&stem[..at])))
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.len().cmp(&a.1.len())));
    match found {
        Some((at, sep)) => {
            let (prefix, rest) = (stem[..at].trim(), stem[at + sep.len()..].trim());
            if rest.is_empty() {
                stem.to_owned()
            } else {
                format!("{prefix} | {rest}")
            }
        }
        None => stem.to_owned(),
    }
}

/// A bare `-` separates only a short prefix such as `01`, `加餐01` or `开篇词`; in `K8s-入门`
/// or `Text-to-SQL` it is part of the title.
fn is_bare_prefix(prefix: &str) -> bool {
    prefix.chars().count() <= 8
        && !prefix
            .chars()
            .any(|c| c.is_ascii_alphabetic() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(names: &[&str]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            fs::write(dir.path().join(name), "text").unwrap();
        }
        column(dir.path())
            .unwrap()
            .lessons
            .into_iter()
            .map(|l| l.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn opening_numbers_extras_closing() {
        let got = order(&[
            "结课测试｜这些你都掌握了吗？.md",
            "10 _ 十.md",
            "加餐（二） _ 书单.md",
            "2 _ 二.md",
            "结束语 _ 再见.md",
            "用户故事 _ 故事.md",
            "开篇词 _ 为什么.md",
            "加餐（一） _ 书单.md",
            "01｜一.md",
        ]);
        assert_eq!(
            got,
            [
                "开篇词 _ 为什么.md",
                "01｜一.md",
                "2 _ 二.md",
                "10 _ 十.md",
                "加餐（一） _ 书单.md",
                "加餐（二） _ 书单.md",
                "用户故事 _ 故事.md",
                "结束语 _ 再见.md",
                "结课测试｜这些你都掌握了吗？.md",
            ]
        );
    }

    #[test]
    fn chinese_numerals_sort_by_value() {
        let got = order(&[
            "加餐（三）.md",
            "加餐（十一）.md",
            "加餐（二）.md",
            "加餐（一）.md",
        ]);
        assert_eq!(
            got,
            [
                "加餐（一）.md",
                "加餐（二）.md",
                "加餐（三）.md",
                "加餐（十一）.md"
            ]
        );
        assert_eq!(chinese_number("一百零五"), Some(105));
        assert_eq!(chinese_number("二十"), Some(20));
        assert_eq!(chinese_number("十二"), Some(12));
    }

    #[test]
    fn chapter_words_count_as_numbers() {
        assert_eq!(lesson_number("第十二讲 标题"), Some(12));
        assert_eq!(lesson_number("第3课"), Some(3));
        assert_eq!(lesson_number("第一次见面"), None);
    }

    #[test]
    fn readme_hidden_and_other_files_are_not_lessons() {
        let got = order(&[
            "README.md",
            "README_CN.md",
            "LICENSE.txt",
            "LICENSE-MIT.md",
            "CHANGELOG.md",
            "Licensing 101.md",
            ".hidden.md",
            "cover.png",
            "notes.txt",
            "01.html",
            "lessonpub.toml",
        ]);
        assert_eq!(got, ["01.html", "Licensing 101.md", "notes.txt"]);
    }

    #[test]
    fn yaml_aliases_that_expand_to_billions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("docs")).unwrap();
        fs::write(dir.path().join("docs/01.md"), "正文").unwrap();
        let mut yaml = String::from("site_name: X\nnav:\n  - 01.md\na0: &a0 [lol, lol, lol]\n");
        for i in 1..30 {
            let prev = format!("*a{}", i - 1);
            yaml.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                [prev.as_str(); 9].join(", ")
            ));
        }
        fs::write(dir.path().join("mkdocs.yml"), yaml).unwrap();
        let err = column(dir.path()).unwrap_err().to_string();
        assert!(err.contains("aliases"), "{err}");

        // A few aliases, as a hand-written config may use, are fine.
        let yaml = "site_name: X\nnav:\n  - 01.md\nextra: &e {a: 1}\nmore: *e\n";
        fs::write(dir.path().join("mkdocs.yml"), yaml).unwrap();
        assert_eq!(column(dir.path()).unwrap().lessons.len(), 1);
    }

    #[test]
    fn titles_of_nothing_visible_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["01 | 正常.md", "\u{3000}.md", "\u{1}\u{2}.md"] {
            fs::write(dir.path().join(name), "正文").unwrap();
        }
        let titles: Vec<String> = column(dir.path())
            .unwrap()
            .lessons
            .into_iter()
            .map(|l| l.title)
            .collect();
        assert!(titles.iter().all(|t| has_visible(t)), "{titles:?}");
        assert!(titles.contains(&"01 | 正常".to_owned()), "{titles:?}");
    }

    #[test]
    fn empty_folder_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("cover.png"), [0u8; 4]).unwrap();
        let err = column(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        assert!(err.contains("no lesson files"), "{err}");
    }

    #[test]
    fn separators_become_one_style() {
        assert_eq!(
            readable_title("01 _ 如何学习Linux性能优化？"),
            "01 | 如何学习Linux性能优化？"
        );
        assert_eq!(readable_title("01｜SRE迷思"), "01 | SRE迷思");
        assert_eq!(readable_title("05丨SQL"), "05 | SQL");
        assert_eq!(readable_title("01-以终为始"), "01 | 以终为始");
        assert_eq!(readable_title("开篇词 - 你好"), "开篇词 | 你好");
        assert_eq!(
            readable_title("加餐01-Text to SQL：自然语言写SQL查询"),
            "加餐01 | Text to SQL：自然语言写SQL查询"
        );
        assert_eq!(readable_title("开篇词 | 为什么学"), "开篇词 | 为什么学");
        assert_eq!(readable_title("K8s-入门"), "K8s-入门");
        assert_eq!(
            readable_title("罗剑锋老师出新课了？"),
            "罗剑锋老师出新课了？"
        );
        assert_eq!(
            readable_title("28丨从磁盘I-O的角度"),
            "28 | 从磁盘I-O的角度"
        );
    }

    #[cfg(unix)]
    #[test]
    fn lessons_leading_outside_the_column_are_skipped() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.md");
        fs::write(&secret, "private").unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("01 _ ok.md"), "x").unwrap();
        std::os::unix::fs::symlink(&secret, dir.path().join("02 _ link.md")).unwrap();
        let column = column(dir.path()).unwrap();
        assert_eq!(column.lessons.len(), 1);
        assert!(
            column.warnings[0]
                .to_string()
                .contains("outside the column folder")
        );

        // An MkDocs nav entry climbing out with `..` is refused too.
        let docs = dir.path().join("docs");
        fs::create_dir(&docs).unwrap();
        fs::write(docs.join("a.md"), "x").unwrap();
        let rel = format!(
            "../../{}/secret.md",
            outside.path().file_name().unwrap().to_string_lossy()
        );
        fs::write(
            dir.path().join("mkdocs.yml"),
            format!("site_name: s\nnav:\n  - a.md\n  - {rel}\n"),
        )
        .unwrap();
        let column = super::column(dir.path()).unwrap();
        assert_eq!(column.lessons.len(), 1);
        assert!(
            column
                .warnings
                .iter()
                .any(|w| w.to_string().contains("outside the column folder"))
        );
    }

    #[test]
    fn mkdocs_nav_gives_order_title_and_front_page() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        fs::create_dir(&docs).unwrap();
        for name in [
            "SQL必知必会.md",
            "index.md",
            "开篇词丨为什么.md",
            "旅程再启-新.md",
            "01丨了解SQL.md",
            "extra.md",
        ] {
            fs::write(docs.join(name), "x").unwrap();
        }
        fs::write(
            dir.path().join("mkdocs.yml"),
            "site_name: SQL必知必会\nnav:\n   - SQL必知必会.md\n  \n   - 旅程再启-新.md\n  \n   - 开篇词丨为什么.md\n   - Part:\n     - 01丨了解SQL.md\n   - gone.md\n",
        )
        .unwrap();
        let column = column(dir.path()).unwrap();
        assert_eq!(column.title.as_deref(), Some("SQL必知必会"));
        assert_eq!(column.front.unwrap().title, "SQL必知必会");
        let titles: Vec<_> = column.lessons.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(titles, ["旅程再启 | 新", "开篇词 | 为什么", "01 | 了解SQL"]);
        let warnings: Vec<_> = column.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            warnings.iter().any(|w| w.contains("gone.md")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("extra.md")),
            "{warnings:?}"
        );
    }
}
