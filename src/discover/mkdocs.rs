//! An MkDocs column: `mkdocs.yml` names the column (`site_name`) and lists its lessons (`nav:`)
//! in the `docs_dir` folder.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use yaml_rust2::{ScanError, Yaml, YamlLoader};

use super::{Column, Layout, LessonFile, is_lesson_name, outside_warning, title, yaml};
use crate::diagnostics::Warning;
use crate::files;
use crate::model::Part;

/// Most values a mkdocs.yml may stand for with its aliases expanded. A real one has a few
/// hundred; nine aliases of nine aliases of … (a "billion laughs") would expand to billions in
/// memory, as the YAML loader copies each alias.
const MAX_YAML_VALUES: usize = 100_000;

pub(super) fn column(dir: &Path, config_path: &Path) -> Result<Column> {
    // Any real mkdocs.yml is a few kilobytes.
    let decoded = files::read_regular(config_path, 1 << 20)
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
    if yaml::expanded_size(text).map_err(invalid)? > MAX_YAML_VALUES {
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
    let docs_name = config["docs_dir"].as_str().unwrap_or("docs");
    let docs_dir = dir.join(docs_name);
    if docs_dir.is_dir() && !files::inside(&docs_dir, dir) {
        bail!(
            "`{}` says `docs_dir: {docs_name}`, which leads outside the column folder `{}`; \
             lessonpub reads only what is inside it",
            config_path.display(),
            dir.display()
        );
    }
    if !docs_dir.is_dir() {
        bail!(
            "`{}` describes an MkDocs column, but its docs folder `{}` is missing",
            config_path.display(),
            docs_dir.display()
        );
    }

    let mut nav = Vec::new();
    let complete = collect_nav(&config["nav"], None, None, 0, &mut nav);
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
    if !complete {
        warnings.push(Warning::in_file(
            config_path,
            None,
            format!(
                "`nav:` nests sections more than {MAX_NAV_LEVELS} levels deep; what is deeper is \
                 not in the book"
            ),
        ));
    }
    let mut front = None;
    let mut lessons = Vec::new();
    let mut sections: Vec<Option<String>> = Vec::new();
    let mut listed = HashSet::new();
    for entry in nav {
        let path = docs_dir.join(&entry.file);
        listed.insert(path.clone());
        if path.is_file() && !files::inside(&path, dir) {
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
        let title = entry.title.unwrap_or_else(|| title::of_file(&path));
        let file = LessonFile { path, title };
        if front.is_none() && intro_name.as_deref() == Some(name) {
            front = Some(file);
        } else {
            lessons.push(file);
            sections.push(entry.section);
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
        layout: Layout::MkDocs,
        title: site_name,
        front,
        lessons,
        parts: parts(&sections),
        warnings,
    })
}

/// The runs of lessons in the same section of `nav:`, as parts.
fn parts(sections: &[Option<String>]) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        let Some(name) = section else { continue };
        match parts.last_mut() {
            Some(part) if part.lessons.end == i && &part.name == name => part.lessons.end = i + 1,
            _ => parts.push(Part {
                name: name.clone(),
                lessons: i..i + 1,
            }),
        }
    }
    parts
}

struct NavEntry {
    file: String,
    title: Option<String>,
    /// The top-level section of `nav:` the page is in (`- 基础篇: [...]`), if any.
    section: Option<String>,
}

/// Section levels of `nav:` read. Real columns use two or three; a hostile file nesting
/// thousands must not recurse that deep.
const MAX_NAV_LEVELS: usize = 64;

/// Flattens MkDocs `nav:` (plain file names, `Title: file.md`, nested sections) in order, each
/// page with the top-level section it is in (`section`, deeper ones are part of it);
/// `false` when sections nested deeper than `MAX_NAV_LEVELS` were left out.
fn collect_nav(
    node: &Yaml,
    title: Option<&str>,
    section: Option<&str>,
    depth: usize,
    out: &mut Vec<NavEntry>,
) -> bool {
    // A section is a list inside a mapping: two YAML levels.
    if depth > 2 * MAX_NAV_LEVELS {
        return false;
    }
    match node {
        Yaml::String(file) if is_local_page(file) => {
            out.push(NavEntry {
                file: file.trim().to_owned(),
                title: title.map(str::to_owned),
                section: section.map(str::to_owned),
            });
            true
        }
        // Every entry is read even after one that nests too deep, hence no short-circuit.
        Yaml::Array(items) => {
            let mut complete = true;
            for item in items {
                complete &= collect_nav(item, None, section, depth + 1, out);
            }
            complete
        }
        Yaml::Hash(map) => {
            let mut complete = true;
            for (key, value) in map {
                // `Name: [pages]` is a section, `Title: page.md` a titled page.
                let section = match value {
                    Yaml::Array(_) => section.or(key.as_str().map(str::trim)),
                    _ => section,
                };
                complete &= collect_nav(value, key.as_str(), section, depth + 1, out);
            }
            complete
        }
        _ => true,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_aliases_that_expand_to_billions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("docs")).unwrap();
        fs::write(dir.path().join("docs/01.md"), "正文").unwrap();
        let config = dir.path().join("mkdocs.yml");
        let mut yaml = String::from("site_name: X\nnav:\n  - 01.md\na0: &a0 [lol, lol, lol]\n");
        for i in 1..30 {
            let prev = format!("*a{}", i - 1);
            yaml.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                [prev.as_str(); 9].join(", ")
            ));
        }
        fs::write(&config, yaml).unwrap();
        let err = column(dir.path(), &config).unwrap_err().to_string();
        assert!(err.contains("aliases"), "{err}");

        // A few aliases, as a hand-written config may use, are fine.
        let yaml = "site_name: X\nnav:\n  - 01.md\nextra: &e {a: 1}\nmore: *e\n";
        fs::write(&config, yaml).unwrap();
        assert_eq!(column(dir.path(), &config).unwrap().lessons.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn nav_entries_leading_outside_the_column_are_skipped() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.md"), "private").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        fs::create_dir(&docs).unwrap();
        fs::write(docs.join("a.md"), "x").unwrap();
        let rel = format!(
            "../../{}/secret.md",
            outside.path().file_name().unwrap().to_string_lossy()
        );
        let config = dir.path().join("mkdocs.yml");
        fs::write(
            &config,
            format!("site_name: s\nnav:\n  - a.md\n  - {rel}\n"),
        )
        .unwrap();
        let column = column(dir.path(), &config).unwrap();
        assert_eq!(column.lessons.len(), 1);
        assert!(
            column
                .warnings
                .iter()
                .any(|w| w.to_string().contains("outside the column folder"))
        );
    }

    #[test]
    fn top_level_sections_of_the_nav_are_the_columns_parts() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        fs::create_dir(&docs).unwrap();
        for name in ["X.md", "0.md", "1.md", "2.md", "3.md", "4.md"] {
            fs::write(docs.join(name), "x").unwrap();
        }
        let config = dir.path().join("mkdocs.yml");
        let yaml = "site_name: X\nnav:\n  - X.md\n  - 0.md\n  - 基础篇:\n    - 1.md\n    - 第二课: \
                    2.md\n  - 进阶篇:\n    - 小节:\n      - 3.md\n  - 4.md\n";
        fs::write(&config, yaml).unwrap();
        let column = column(dir.path(), &config).unwrap();
        let titles: Vec<&str> = column.lessons.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(titles, ["0", "1", "第二课", "3", "4"]);
        let part = |name: &str, lessons| Part {
            name: name.into(),
            lessons,
        };
        assert_eq!(
            column.parts,
            [part("基础篇", 1..3), part("进阶篇", 3..4)],
            "a nested section belongs to the top-level one"
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
        let config = dir.path().join("mkdocs.yml");
        fs::write(
            &config,
            "site_name: SQL必知必会\nnav:\n   - SQL必知必会.md\n  \n   - 旅程再启-新.md\n  \n   - 开篇词丨为什么.md\n   - Part:\n     - 01丨了解SQL.md\n   - gone.md\n",
        )
        .unwrap();
        let column = column(dir.path(), &config).unwrap();
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

    /// `nav:` with `levels` sections nested one in another, the lesson in the innermost.
    fn nested_nav(levels: usize) -> String {
        let mut yaml = String::from("site_name: s\nnav:\n");
        for level in 0..levels {
            yaml.push_str(&format!("{}- Part {level}:\n", "  ".repeat(level + 1)));
        }
        yaml.push_str(&format!("{}- a.md\n", "  ".repeat(levels + 1)));
        yaml
    }

    #[test]
    fn deeply_nested_sections_are_read_and_deeper_ones_said() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("docs")).unwrap();
        fs::write(dir.path().join("docs/a.md"), "x").unwrap();
        fs::write(dir.path().join("docs/b.md"), "x").unwrap();
        let config = dir.path().join("mkdocs.yml");
        fs::write(&config, nested_nav(8)).unwrap();
        let column = column(dir.path(), &config).unwrap();
        assert_eq!(column.lessons.len(), 1, "{:?}", column.warnings);
        let too_deep = format!("{}  - b.md\n", nested_nav(MAX_NAV_LEVELS + 1));
        fs::write(&config, too_deep).unwrap();
        let err = column_or_warnings(dir.path(), &config);
        assert!(err.contains("more than 64 levels"), "{err}");
    }

    /// The error, or else the warnings, of reading the column.
    fn column_or_warnings(dir: &Path, config: &Path) -> String {
        match column(dir, config) {
            Ok(c) => c.warnings.iter().map(|w| format!("{w}\n")).collect(),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn a_docs_dir_outside_the_column_is_refused_saying_why() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("col");
        fs::create_dir(&dir).unwrap();
        fs::write(parent.path().join("01.md"), "x").unwrap();
        let config = dir.join("mkdocs.yml");
        fs::write(&config, "site_name: s\ndocs_dir: ..\nnav:\n  - 01.md\n").unwrap();
        let err = column_or_warnings(&dir, &config);
        assert!(err.contains("`docs_dir: ..`, which leads outside"), "{err}");
    }
}
