//! The parts of a column, for a second level in the table of contents: where lesson titles
//! name them (MkDocs `nav:` sections are read by `discover`), and the contents' first level.
//!
//! GeekTime names a column's parts in its lesson titles: `03 | 基础篇：…`, `10 | 案例篇：…`. A
//! label is a part only where the lessons that carry it sit together: when every label makes
//! one run of consecutive lessons, each run is a part. When a label comes back after another
//! one (`linux-perf` alternates 基础篇, 案例篇 and 套路篇 within each of its real parts, which
//! its titles do not name), the labels say what kind of lesson each is, not where it belongs,
//! and the contents stay flat: a part invented from them would split the column in pieces of
//! one or two lessons. Lessons without a label (开篇词, 加餐, 结束语) stay outside any part.

use std::ops::Range;

use crate::model::Part;

/// One entry of the contents' first level: a part and the chapters in it, or a chapter alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Part {
        name: String,
        chapters: Range<usize>,
    },
    Chapter(usize),
}

/// The contents' first level for `count` lessons that form `parts` (in order, each a run of
/// lessons): each part with its lessons, every lesson outside a part on its own.
pub fn entries(parts: &[Part], count: usize) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut next = 0;
    for part in parts {
        entries.extend((next..part.lessons.start).map(Entry::Chapter));
        entries.push(Entry::Part {
            name: part.name.clone(),
            chapters: part.lessons.clone(),
        });
        next = part.lessons.end;
    }
    entries.extend((next..count).map(Entry::Chapter));
    entries
}

/// The parts of the lessons `range` holds, counted from its start (a volume's share of the
/// column's parts; a part cut by the volume's edge keeps its name on each side).
pub fn within(parts: &[Part], range: Range<usize>) -> Vec<Part> {
    parts
        .iter()
        .filter_map(|p| {
            let start = p.lessons.start.max(range.start);
            let end = p.lessons.end.min(range.end);
            (start < end).then(|| Part {
                name: p.name.clone(),
                lessons: start - range.start..end - range.start,
            })
        })
        .collect()
}

/// The parts once only the lessons whose `kept` is true remain (`--lessons`); a part left
/// without lessons goes.
pub fn kept(parts: &[Part], kept: &[bool]) -> Vec<Part> {
    // Where each lesson lands: the number of kept lessons before it.
    let mut position = Vec::with_capacity(kept.len() + 1);
    let mut n = 0;
    for &k in kept {
        position.push(n);
        n += usize::from(k);
    }
    position.push(n);
    parts
        .iter()
        .map(|p| Part {
            name: p.name.clone(),
            lessons: position[p.lessons.start]..position[p.lessons.end],
        })
        .filter(|p| !p.lessons.is_empty())
        .collect()
}

/// The parts lesson titles name, in order; none when they name fewer than two, or when a label
/// comes back after another one.
pub fn from_titles(titles: &[&str]) -> Vec<Part> {
    let labels: Vec<Option<&str>> = titles.iter().map(|t| label(t)).collect();
    let mut parts: Vec<Part> = Vec::new();
    let mut i = 0;
    while i < labels.len() {
        let Some(name) = labels[i] else {
            i += 1;
            continue;
        };
        if parts.iter().any(|p| p.name == name) {
            return Vec::new();
        }
        let end = (i..labels.len())
            .find(|&j| labels[j] != Some(name))
            .unwrap_or(labels.len());
        parts.push(Part {
            name: name.to_owned(),
            lessons: i..end,
        });
        i = end;
    }
    if parts.len() < 2 {
        return Vec::new();
    }
    parts
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

    fn part(name: &str, lessons: Range<usize>) -> Part {
        Part {
            name: name.into(),
            lessons,
        }
    }

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
            from_titles(&titles),
            [
                part("基础篇", 1..3),
                part("进阶篇", 3..4),
                part("实战篇", 5..6)
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
        assert_eq!(from_titles(&titles), []);
    }

    #[test]
    fn titles_without_part_labels_name_no_parts() {
        let titles = [
            "07 | 运行时（上）：不同语言",
            "08 | 运行时（下）：不同语言",
            "19 | 实战进阶（一）：连接器",
        ];
        assert_eq!(from_titles(&titles), []);
        // One label alone divides nothing.
        assert_eq!(from_titles(&["01 | 基础篇：一", "02 | 其他"]), []);
    }

    #[test]
    fn a_volume_or_a_choice_of_lessons_keeps_the_parts_of_its_lessons() {
        let parts = [part("基础篇", 1..4), part("实战篇", 4..6)];
        assert_eq!(
            within(&parts, 2..5),
            [part("基础篇", 0..2), part("实战篇", 2..3)]
        );
        assert_eq!(within(&parts, 0..1), []);
        let chosen = [true, false, true, false, false, true];
        assert_eq!(
            kept(&parts, &chosen),
            [part("基础篇", 1..2), part("实战篇", 2..3)]
        );
    }

    #[test]
    fn entries_put_lessons_outside_parts_between_them() {
        let parts = [part("基础篇", 1..3), part("实战篇", 4..5)];
        assert_eq!(
            entries(&parts, 6),
            [
                Entry::Chapter(0),
                Entry::Part {
                    name: "基础篇".into(),
                    chapters: 1..3
                },
                Entry::Chapter(3),
                Entry::Part {
                    name: "实战篇".into(),
                    chapters: 4..5
                },
                Entry::Chapter(5),
            ]
        );
        assert_eq!(entries(&[], 2), [Entry::Chapter(0), Entry::Chapter(1)]);
    }
}
