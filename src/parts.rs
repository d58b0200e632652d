//! Lesson titles -> the parts of a column, for a second level in the table of contents.
//!
//! GeekTime names a column's parts in its lesson titles: `03 | 基础篇：…`, `10 | 案例篇：…`. A
//! label is a part only where the lessons that carry it sit together: when every label makes
//! one run of consecutive lessons, each run is a part. When a label comes back after another
//! one (`linux-perf` alternates 基础篇, 案例篇 and 套路篇 within each of its real parts, which
//! its titles do not name), the labels say what kind of lesson each is, not where it belongs,
//! and the contents stay flat: a part invented from them would split the column in pieces of
//! one or two lessons. Lessons without a label (开篇词, 加餐, 结束语) stay outside any part.

use std::ops::Range;

/// One entry of the contents' first level: a part and the chapters in it, or a chapter alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Part {
        name: String,
        chapters: Range<usize>,
    },
    Chapter(usize),
}

/// The contents' first level for chapters titled `titles`, in order: parts where the titles
/// name them, every chapter on its own otherwise.
pub fn entries(titles: &[&str]) -> Vec<Entry> {
    let labels: Vec<Option<&str>> = titles.iter().map(|t| label(t)).collect();
    let mut entries = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < labels.len() {
        match labels[i] {
            None => {
                entries.push(Entry::Chapter(i));
                i += 1;
            }
            Some(name) => {
                if seen.contains(&name) {
                    return flat(titles.len());
                }
                seen.push(name);
                let end = (i..labels.len())
                    .find(|&j| labels[j] != Some(name))
                    .unwrap_or(labels.len());
                entries.push(Entry::Part {
                    name: name.to_owned(),
                    chapters: i..end,
                });
                i = end;
            }
        }
    }
    if seen.len() < 2 {
        return flat(titles.len());
    }
    entries
}

fn flat(n: usize) -> Vec<Entry> {
    (0..n).map(Entry::Chapter).collect()
}

/// The part a title names: `基础篇` in `03 | 基础篇：…` (after the lesson's number, before a
/// colon, a short name ending in 篇).
fn label(title: &str) -> Option<&str> {
    let rest = title.split_once(" | ").map_or(title, |(_, rest)| rest);
    let (head, _) = rest.split_once(['：', ':'])?;
    let head = head.trim();
    let chars = head.chars().count();
    (head.ends_with('篇') && (2..=8).contains(&chars)).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lessons_that_share_a_part_label_in_one_run_make_a_part() {
        let titles = [
            "开篇词 | 为什么学",
            "01 | 基础篇：一",
            "02 | 基础篇：二",
            "03 | 进阶篇：三",
            "加餐 | 书单",
            "04 | 实战篇：四",
            "结束语 | 再见",
        ];
        assert_eq!(
            entries(&titles),
            vec![
                Entry::Chapter(0),
                Entry::Part {
                    name: "基础篇".into(),
                    chapters: 1..3
                },
                Entry::Part {
                    name: "进阶篇".into(),
                    chapters: 3..4
                },
                Entry::Chapter(4),
                Entry::Part {
                    name: "实战篇".into(),
                    chapters: 5..6
                },
                Entry::Chapter(6),
            ]
        );
    }

    #[test]
    fn labels_that_come_back_are_kinds_not_parts() {
        // linux-perf: 基础篇, 案例篇 and 套路篇 alternate within each of its real parts.
        let titles = [
            "01 | 如何学习Linux性能优化？",
            "02 | 基础篇：到底应该怎么理解“平均负载”？",
            "06 | 案例篇：系统的 CPU 使用率很高",
            "09 | 基础篇：怎么理解Linux软中断？",
        ];
        assert_eq!(entries(&titles), flat(4));
    }

    #[test]
    fn titles_without_part_labels_stay_flat() {
        let titles = [
            "07 | 运行时（上）：不同语言",
            "08 | 运行时（下）：不同语言",
            "19 | 实战进阶（一）：连接器",
        ];
        assert_eq!(entries(&titles), flat(3));
        // One label alone divides nothing.
        assert_eq!(entries(&["01 | 基础篇：一", "02 | 其他"]), flat(2));
    }
}
