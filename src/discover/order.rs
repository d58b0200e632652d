//! The reading order of a column without a table of contents, from its file names.

use std::cmp::Ordering;
use std::path::Path;

/// How two lesson files of one folder sort: by where their names place them, then by path so the
/// order never depends on how the folder was listed.
pub(super) fn compare(a: &Path, b: &Path) -> Ordering {
    let (ka, kb) = (order_key(&super::stem(a)), order_key(&super::stem(b)));
    ka.cmp(&kb).then_with(|| a.cmp(b))
}

/// How two lesson names (folder names: nothing to strip) sort, as `compare` sorts files.
pub(super) fn compare_names(a: &str, b: &str) -> Ordering {
    order_key(a).cmp(&order_key(b)).then_with(|| a.cmp(b))
}

/// Where a lesson goes in a column without a table of contents.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Opening,
    /// Setting up before the first lesson (课前准备).
    Preparation,
    Numbered(u64),
    /// Everything unnumbered that is neither opening nor closing: 加餐, 特别放送, 直播加餐, 用户故事,
    /// 答疑, ….
    Extra,
    Closing(u8),
}

const OPENING: &[&str] = &["开篇词", "发刊词", "开篇", "导读", "前言", "序言"];
const PREPARATION: &[&str] = &["课前准备"];
// The farewell comes before the final quiz, as GeekTime publishes them.
const CLOSING: &[(&str, u8)] = &[
    ("结束语", 0),
    ("结语", 0),
    ("尾声", 0),
    ("后记", 0),
    ("结课测试", 1),
    ("期末测试", 1),
    ("期末考试", 1),
    ("结课", 1),
];

fn order_key(stem: &str) -> (Place, Vec<NaturalPart>) {
    let stem = stem.trim();
    let place = if OPENING.iter().any(|p| stem.starts_with(p)) {
        Place::Opening
    } else if PREPARATION.iter().any(|p| stem.starts_with(p)) {
        Place::Preparation
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn order(names: &[&str]) -> Vec<String> {
        let mut paths: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        paths.sort_by(|a, b| compare(a, b));
        paths
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
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
    fn preparation_follows_the_opening_and_final_exams_close() {
        let got = order(&[
            "期末考试 _ 来赴一场满分之约.md",
            "02 _ 二.md",
            "课前准备 _ 搭建环境.md",
            "结束语 _ 再见.md",
            "01 _ 一.md",
            "开篇词 _ 你好.md",
        ]);
        assert_eq!(
            got,
            [
                "开篇词 _ 你好.md",
                "课前准备 _ 搭建环境.md",
                "01 _ 一.md",
                "02 _ 二.md",
                "结束语 _ 再见.md",
                "期末考试 _ 来赴一场满分之约.md",
            ]
        );
    }

    #[test]
    fn special_broadcasts_and_live_extras_go_with_the_extras() {
        let got = order(&[
            "结课测试 _ 测试.md",
            "直播加餐 _ 答疑直播.md",
            "12 _ 十二.md",
            "特别放送（二） _ 书单.md",
            "加餐（一） _ 工具.md",
            "特别放送（一） _ 访谈.md",
            "开篇词 _ 你好.md",
        ]);
        assert_eq!(
            got,
            [
                "开篇词 _ 你好.md",
                "12 _ 十二.md",
                "加餐（一） _ 工具.md",
                "特别放送（一） _ 访谈.md",
                "特别放送（二） _ 书单.md",
                "直播加餐 _ 答疑直播.md",
                "结课测试 _ 测试.md",
            ]
        );
    }

    #[test]
    fn folder_names_sort_like_file_names() {
        let mut names = vec!["10 - 十", "Node.js 入门", "开篇词 - 你好", "2 - 二"];
        names.sort_by(|a, b| compare_names(a, b));
        assert_eq!(
            names,
            ["开篇词 - 你好", "2 - 二", "10 - 十", "Node.js 入门"]
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
}
