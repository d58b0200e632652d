//! Readable lesson titles from file names.

use std::path::Path;

/// The title of a lesson file that states none elsewhere: its name, made readable.
pub(super) fn of_file(path: &Path) -> String {
    readable_title(&super::stem(path))
}

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
}
