//! A built MkDocs-Material site column: one `<lesson>/index.html` page per lesson folder.
//!
//! Every page carries the site's navigation, which lists the pages of its own column in the
//! column's order (its `mkdocs.yml` nav), the introduction page first: links `../<folder>/` to
//! the others and `./` to itself. Links that lead anywhere else (other columns, categories, the
//! page's table of contents) are not this column's. Titles are the folder names: the page's own
//! `<h1>` and nav labels were made from them with every `-` and `_` turned into a space.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::Result;
use scraper::{ElementRef, Html, Selector};

use super::{Column, Layout, LessonFile, order, readable_title, sub_folders};
use crate::diagnostics::Warning;
use crate::files;
use crate::parse::{self, Format};

/// The column of the site in `dir`, if `dir` holds lesson folders with an `index.html` each.
pub(super) fn column(dir: &Path) -> Result<Option<Column>> {
    let mut pages = Vec::new();
    for folder in sub_folders(dir)? {
        let page = folder.join("index.html");
        if page.is_file()
            && files::inside(&page, dir)
            && let Some(name) = folder.file_name()
        {
            pages.push((name.to_string_lossy().into_owned(), page));
        }
    }
    if pages.is_empty() {
        return Ok(None);
    }
    let mut warnings = Vec::new();
    let found = pages.iter().find_map(|(name, page)| {
        let text = read(page)?;
        navigation(&text, name).map(|nav| (nav, page))
    });
    let (order, column_name) = match found {
        Some((nav, read_from)) => {
            let listed: HashSet<&str> = nav.pages.iter().map(String::as_str).collect();
            let present: HashSet<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
            for name in nav.pages.iter().filter(|n| !present.contains(n.as_str())) {
                warnings.push(Warning::in_file(
                    read_from,
                    None,
                    format!(
                        "the site's navigation lists `{name}`, which is not a folder with an \
                         `index.html` in `{}`; skipped",
                        dir.display()
                    ),
                ));
            }
            for (_, page) in pages.iter().filter(|(n, _)| !listed.contains(n.as_str())) {
                warnings.push(Warning::in_file(
                    page,
                    None,
                    "not in the site's navigation, so not in the book",
                ));
            }
            (nav.pages, nav.column)
        }
        None => {
            warnings.push(Warning::in_file(
                dir,
                None,
                "no page holds the site's navigation, so the lessons are ordered by their folder \
                 names",
            ));
            let mut names: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
            names.sort_by(|a, b| order::compare_names(a, b));
            (names, None)
        }
    };

    let by_name: HashMap<&str, &PathBuf> = pages.iter().map(|(n, p)| (n.as_str(), p)).collect();
    let own_name = folder_name(dir);
    let is_intro = |name: &str| {
        column_name.as_deref().is_some_and(|c| same_label(c, name))
            || own_name.as_deref() == Some(name)
    };
    let mut front = None;
    let mut lessons = Vec::new();
    for name in &order {
        let Some(&path) = by_name.get(name.as_str()) else {
            continue;
        };
        let file = LessonFile {
            path: path.clone(),
            title: readable_title(name),
        };
        if front.is_none() && is_intro(name) {
            front = Some((name.clone(), file));
        } else {
            lessons.push(file);
        }
    }
    let (title, front) = match front {
        Some((name, file)) => (Some(name), Some(file)),
        None => (column_name, None),
    };
    Ok(Some(Column {
        layout: Layout::MkDocsSite,
        title,
        front,
        lessons,
        parts: Vec::new(),
        warnings,
    }))
}

/// One lesson folder of a site (`dir` holds only `page`): a book of that lesson, titled after the
/// folder. `files` is what the plain reading found, kept when `page` is no site page.
pub(super) fn page(dir: &Path, files: Column) -> Result<Column> {
    let Some(page) = files.lessons.first() else {
        return Ok(files);
    };
    let is_site_page = read(&page.path).is_some_and(|text| parse::detect(&text) == Format::Site);
    let Some(name) = folder_name(dir).filter(|_| is_site_page) else {
        return Ok(files);
    };
    let title = readable_title(&name);
    Ok(Column {
        layout: Layout::MkDocsSitePage,
        title: Some(title.clone()),
        front: None,
        lessons: vec![LessonFile {
            path: page.path.clone(),
            title,
        }],
        parts: Vec::new(),
        warnings: files.warnings,
    })
}

/// What a page's navigation says about its own column.
#[derive(Debug, PartialEq)]
struct Navigation {
    /// The column's page folders, in the site's order.
    pages: Vec<String>,
    /// The label of the navigation section that holds them: the column's name, as MkDocs shows
    /// it.
    column: Option<String>,
}

/// The navigation of the page in folder `page`, as far as it lists pages of the same column.
fn navigation(html: &str, page: &str) -> Option<Navigation> {
    static LINKS: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("nav.md-nav--primary a[href]").expect("valid selector"));
    let doc = Html::parse_document(html);
    let mut pages = Vec::new();
    let mut links = Vec::new();
    for link in doc.select(&LINKS) {
        let Some(target) = link.attr("href").and_then(|href| sibling(href, page)) else {
            continue;
        };
        if !pages.contains(&target) {
            pages.push(target);
            links.push(link);
        }
    }
    if pages.is_empty() {
        return None;
    }
    Some(Navigation {
        pages,
        column: section_label(&links),
    })
}

/// The folder a link in the page of folder `page` leads to, when that is a folder of the same
/// column (`./`, `../<folder>/`, `../<folder>/index.html`).
fn sibling(href: &str, page: &str) -> Option<String> {
    let path = href.split(['#', '?']).next().unwrap_or_default();
    if path.is_empty() || path.starts_with('/') || path.contains(':') {
        return None;
    }
    let path = path.strip_suffix("index.html").unwrap_or(path);
    let mut at = vec![page.to_owned()];
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                at.pop()?;
            }
            name => {
                let decoded = crate::images::percent_decode(name.as_bytes());
                at.push(String::from_utf8(decoded).ok()?);
            }
        }
    }
    match at.as_slice() {
        [name] => Some(name.clone()),
        _ => None,
    }
}

/// The title of the innermost navigation section that holds all of `links`.
fn section_label(links: &[ElementRef<'_>]) -> Option<String> {
    let first = links.first()?;
    let section = first
        .ancestors()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "nav")
        .find(|nav| {
            links
                .iter()
                .all(|l| l.ancestors().any(|a| a.id() == nav.id()))
        })?;
    let label = section
        .children()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().classes().any(|c| c == "md-nav__title"))?;
    let text = label.text().collect::<String>();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// Whether a navigation label is MkDocs' rendering of the folder name `name`: every `-` and `_`
/// shown as a space, spaces collapsed.
fn same_label(label: &str, name: &str) -> bool {
    let words = |s: &str| {
        s.replace(['-', '_'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    words(label) == words(name)
}

/// The name of folder `dir`, also when it was given as `.` or `..`.
fn folder_name(dir: &Path) -> Option<String> {
    let dir = dir.canonicalize().ok()?;
    Some(dir.file_name()?.to_string_lossy().into_owned())
}

/// The text of a page; a page that cannot be read is reported when its lesson is read.
fn read(page: &Path) -> Option<String> {
    let bytes = files::read_regular(page, parse::MAX_LESSON_BYTES).ok()?;
    Some(crate::text::decode(&bytes).ok()?.text)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    /// A page of folder `page` in a column whose navigation lists `column` (folder names), the
    /// column section labelled `label`, with another column and a category around it.
    fn page_html(page: &str, label: &str, column: &[&str]) -> String {
        let items: String = column
            .iter()
            .map(|name| {
                if *name == page {
                    format!(
                        "<li class=\"md-nav__item md-nav__item--active\"><label class=\"md-nav__link md-nav__link--active\" for=\"__toc\">{name}</label><a href=\"./\" class=\"md-nav__link md-nav__link--active\">{name}</a><nav class=\"md-nav md-nav--secondary\" aria-label=\"目录\"><label class=\"md-nav__title\" for=\"__toc\">目录</label><ul class=\"md-nav__list\"><li class=\"md-nav__item\"><a href=\"#_1\" class=\"md-nav__link\">小节</a></li></ul></nav></li>"
                    )
                } else {
                    let href: String = name
                        .bytes()
                        .map(|b| {
                            if b.is_ascii_alphanumeric() {
                                char::from(b).to_string()
                            } else {
                                format!("%{b:02X}")
                            }
                        })
                        .collect();
                    format!(
                        "<li class=\"md-nav__item\"><a href=\"../{href}/\" class=\"md-nav__link\">{name}</a></li>"
                    )
                }
            })
            .collect();
        format!(
            "<!doctype html><html><head><link rel=\"prev\" href=\"../../其他专栏/结束语/\"></head><body>\
             <nav class=\"md-nav md-nav--primary\" aria-label=\"导航栏\" data-md-level=\"0\">\
             <label class=\"md-nav__title\" for=\"__drawer\"><a href=\"../../..\" class=\"md-nav__button md-logo\">logo</a>极客时间文档</label>\
             <ul class=\"md-nav__list\"><li class=\"md-nav__item md-nav__item--active md-nav__item--nested\">\
             <a href=\"../../\" class=\"md-nav__link\">运维-测试</a>\
             <nav class=\"md-nav\" data-md-level=\"1\"><label class=\"md-nav__title\">运维-测试</label><ul class=\"md-nav__list\">\
             <li class=\"md-nav__item md-nav__item--pruned md-nav__item--nested\"><a href=\"../../%E5%85%B6%E4%BB%96/%E5%85%B6%E4%BB%96/\" class=\"md-nav__link\">其他</a></li>\
             <li class=\"md-nav__item md-nav__item--active md-nav__item--nested\"><label class=\"md-nav__link\" for=\"__nav_7_19\">{label}</label>\
             <nav class=\"md-nav\" data-md-level=\"2\"><label class=\"md-nav__title\" for=\"__nav_7_19\"><span class=\"md-nav__icon md-icon\"></span>\n    {label}\n  </label><ul class=\"md-nav__list\">{items}</ul></nav></li>\
             </ul></nav></li></ul></nav>\
             <div class=\"md-content\"><article class=\"md-content__inner md-typeset\"><h1>{page}</h1><p>正文</p></article></div>\
             <footer><a href=\"../../%E5%85%B6%E4%BB%96/%E5%85%B6%E4%BB%96/\" class=\"md-footer__link\">下一篇</a></footer></body></html>"
        )
    }

    /// A site column folder `dir` holding `folders`, each page listing `nav`.
    fn site(dir: &Path, label: &str, folders: &[&str], nav: &[&str]) {
        for name in folders {
            fs::create_dir_all(dir.join(name)).unwrap();
            fs::write(
                dir.join(name).join("index.html"),
                page_html(name, label, nav),
            )
            .unwrap();
        }
    }

    #[test]
    fn hrefs_lead_to_sibling_folders_only() {
        assert_eq!(sibling("./", "01 - a"), Some("01 - a".to_owned()));
        assert_eq!(
            sibling("../02%20-%20%E4%BA%8C/", "01 - a"),
            Some("02 - 二".to_owned())
        );
        assert_eq!(sibling("../b/index.html#top", "a"), Some("b".to_owned()));
        assert_eq!(sibling("#_1", "a"), None);
        assert_eq!(sibling("../../", "a"), None);
        assert_eq!(sibling("../../other/other/", "a"), None);
        assert_eq!(sibling("../../..", "a"), None);
        assert_eq!(sibling("sub/", "a"), None);
        assert_eq!(sibling("https://example.com/a/", "a"), None);
        assert_eq!(sibling("/abs/", "a"), None);
    }

    #[test]
    fn navigation_lists_the_column_in_order_with_its_label() {
        let nav = [
            "接口测试入门课",
            "开篇词 - 把接口测试做深",
            "01 - 基础",
            "结束语 - 再见",
        ];
        let got = navigation(&page_html("01 - 基础", "接口测试入门课", &nav), "01 - 基础").unwrap();
        assert_eq!(got.pages, nav);
        assert_eq!(got.column.as_deref(), Some("接口测试入门课"));
        assert_eq!(navigation("<html><p>no nav</p></html>", "a"), None);
    }

    #[test]
    fn column_follows_the_site_navigation_with_the_introduction_first() {
        let dir = tempfile::tempdir().unwrap();
        let col = dir.path().join("kafka-core");
        // Folder names sort `加餐` and `开篇词` after the numbers; the navigation says otherwise.
        let nav = [
            "Kafka核心技术与实战",
            "开篇词 - 为什么要学习Kafka？",
            "01 -  消息引擎系统ABC",
            "02 - 术语",
            "加餐 - 搭建开发环境",
            "期末测试 - 这些Kafka核心要点",
        ];
        site(&col, "Kafka核心技术与实战", &nav, &nav);
        let column = column(&col).unwrap().unwrap();
        assert_eq!(column.layout, Layout::MkDocsSite);
        assert_eq!(column.title.as_deref(), Some("Kafka核心技术与实战"));
        let front = column.front.unwrap();
        assert_eq!(front.title, "Kafka核心技术与实战");
        assert!(front.path.ends_with("Kafka核心技术与实战/index.html"));
        let titles: Vec<_> = column.lessons.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "开篇词 | 为什么要学习Kafka？",
                "01 | 消息引擎系统ABC",
                "02 | 术语",
                "加餐 | 搭建开发环境",
                "期末测试 | 这些Kafka核心要点"
            ]
        );
        assert!(column.warnings.is_empty(), "{:?}", column.warnings);
    }

    #[test]
    fn the_introduction_is_found_by_the_label_mkdocs_made_of_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let nav = ["A-B测试_入门", "01 - 一"];
        site(dir.path(), "A B测试 入门", &nav, &nav);
        let column = column(dir.path()).unwrap().unwrap();
        assert_eq!(column.title.as_deref(), Some("A-B测试_入门"));
        assert_eq!(column.lessons.len(), 1);
    }

    #[test]
    fn folders_missing_from_the_navigation_or_the_disk_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        site(
            dir.path(),
            "课",
            &["课", "01 - 一", "99 - 多余"],
            &["课", "01 - 一", "02 - 丢失"],
        );
        let column = column(dir.path()).unwrap().unwrap();
        assert_eq!(column.lessons.len(), 1);
        let warnings: Vec<_> = column.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            warnings.iter().any(|w| w.contains("02 - 丢失")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("99 - 多余") && w.contains("not in the site's navigation")),
            "{warnings:?}"
        );
    }

    #[test]
    fn without_navigation_folder_names_give_the_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["10 - 十", "开篇词 - 你好", "2 - 二"] {
            fs::create_dir(dir.path().join(name)).unwrap();
            fs::write(dir.path().join(name).join("index.html"), "<p>正文</p>").unwrap();
        }
        let column = column(dir.path()).unwrap().unwrap();
        let titles: Vec<_> = column.lessons.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(titles, ["开篇词 | 你好", "2 | 二", "10 | 十"]);
        assert!(
            column.warnings[0]
                .to_string()
                .contains("ordered by their folder names")
        );
    }

    #[test]
    fn a_folder_without_lesson_folders_is_no_site() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("images")).unwrap();
        assert_eq!(column(dir.path()).unwrap(), None);
    }
}
