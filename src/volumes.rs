//! Cutting a column into volumes: `--volumes N` (N books of about as many lessons each) or
//! `--max-size 50MB` (as few books as keep each under the size, of about equal size).
//!
//! Sizes are real: what each lesson's chapter and image files take in the archive, compressed
//! as `package` compresses them, each image counted once per volume however many lessons show
//! it. The caller measures every planned volume whole before writing it and plans again when
//! one is over (`plan_by_size` takes the margin).
//!
//! Each volume is a complete book (`volume_book`): the lessons of its part, the images they
//! show, and a title with its number; the column's introduction page goes with the first.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Result, bail};

use crate::model::{Book, Lesson};

/// Send to Kindle's limit for a book sent by e-mail (its app takes 200 MB).
pub const SEND_TO_KINDLE_LIMIT: u64 = 50_000_000;

/// The most volumes `--volumes` makes.
pub const MAX_VOLUMES: i64 = 999;

/// `--volumes N` and `volumes = N`: from 1 (one book, uncut) to `MAX_VOLUMES`.
pub fn check_count(n: i64) -> Result<u32, String> {
    match u32::try_from(n) {
        Ok(n) if (1..=MAX_VOLUMES).contains(&i64::from(n)) => Ok(n),
        _ => Err(format!(
            "expected a number of volumes from 1 to {MAX_VOLUMES}, not {n}"
        )),
    }
}

/// A size in bytes, written with a unit: `50MB`, `800KB`, `1.5GB` (powers of 1000, as Send to
/// Kindle counts its 50 MB), or `KiB`, `MiB`, `GiB` (powers of 1024).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let bad = || {
            format!("`{text}`: expected a size with its unit, such as `50MB`, `800KB` or `1.5GB`")
        };
        let number: f64 = number.parse().map_err(|_| bad())?;
        let unit = match unit.trim().to_ascii_lowercase().as_str() {
            "kb" | "k" => 1e3,
            "mb" | "m" => 1e6,
            "gb" | "g" => 1e9,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024.0,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            _ => return Err(bad()),
        };
        let bytes = (number * unit).round();
        if !(1.0..=1e15).contains(&bytes) {
            return Err(bad());
        }
        Ok(ByteSize(bytes as u64))
    }
}

/// A size as people write it: megabytes with one decimal, as the build's summary shows sizes,
/// or kilobytes under one megabyte.
pub fn human_size(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{} KB", bytes.div_ceil(1000))
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// `count` runs of consecutive lessons out of `lessons`, their lengths differing by one at most
/// (the longer ones first).
pub fn plan_by_count(lessons: usize, count: u32) -> Result<Vec<Range<usize>>> {
    let count = count as usize;
    if count > lessons {
        bail!(
            "`--volumes {count}`: the book has {lessons} lessons, so it cannot make {count} volumes \
             of at least one lesson each"
        );
    }
    let (each, longer) = (lessons / count, lessons % count);
    let mut start = 0;
    Ok((0..count)
        .map(|i| {
            let len = each + usize::from(i < longer);
            start += len;
            start - len..start
        })
        .collect())
}

/// What one lesson adds to a volume.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonCost {
    /// Its chapter in the archive.
    pub chapter: u64,
    /// The image files it shows, as indices of the book's images.
    pub images: Vec<usize>,
}

/// The sizes a book's volumes are planned from.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    /// A volume without lessons: package documents, stylesheet, cover.
    pub fixed: u64,
    pub lessons: Vec<LessonCost>,
    /// Each image file of the book in the archive.
    pub images: Vec<u64>,
}

impl Costs {
    /// Volumes in column order, each of `fixed` and as many whole lessons as fit in `cap` (a
    /// lesson that alone does not fit gets a volume of its own).
    fn greedy(&self, cap: u64) -> Vec<Range<usize>> {
        let mut volumes = Vec::new();
        let (mut start, mut size, mut held) = (0, self.fixed, HashSet::new());
        for (i, lesson) in self.lessons.iter().enumerate() {
            let images = |held: &HashSet<usize>| -> u64 {
                let new = lesson.images.iter().filter(|&j| !held.contains(j));
                new.collect::<HashSet<_>>()
                    .iter()
                    .map(|&&j| self.images[j])
                    .sum()
            };
            let added = lesson.chapter + images(&held);
            if i > start && size + added > cap {
                volumes.push(start..i);
                (start, size) = (i, self.fixed);
                held.clear();
                size += lesson.chapter + images(&held);
            } else {
                size += added;
            }
            held.extend(lesson.images.iter().copied());
        }
        if start < self.lessons.len() {
            volumes.push(start..self.lessons.len());
        }
        volumes
    }

    /// The size of the volume of `lessons`, as the costs count it.
    pub fn volume_size(&self, lessons: Range<usize>) -> u64 {
        let images: HashSet<usize> = self.lessons[lessons.clone()]
            .iter()
            .flat_map(|l| l.images.iter().copied())
            .collect();
        let chapters: u64 = self.lessons[lessons].iter().map(|l| l.chapter).sum();
        self.fixed + chapters + images.iter().map(|&j| self.images[j]).sum::<u64>()
    }
}

/// As few volumes as keep each, with `margin` to spare, under `limit` bytes, of sizes as even as
/// their number allows. A lesson too big for the limit alone gets a volume of its own.
pub fn plan_by_size(costs: &Costs, limit: u64, margin: u64) -> Result<Vec<Range<usize>>> {
    let cap = limit.saturating_sub(margin);
    if costs.fixed >= cap {
        bail!(
            "`--max-size {}`: a volume's cover, contents and stylesheet alone take {}; give a \
             larger size",
            human_size(limit),
            human_size(costs.fixed + margin)
        );
    }
    let most = costs.greedy(cap);
    // The smallest cap that needs no more volumes evens them out: greedy packing under it
    // leaves no short last volume.
    let (mut low, mut high) = (costs.fixed, cap);
    while low + 1 < high {
        let mid = low + (high - low) / 2;
        if costs.greedy(mid).len() <= most.len() {
            high = mid;
        } else {
            low = mid;
        }
    }
    Ok(costs.greedy(high))
}

/// The book of volume `number` (from 1) of `count`, holding the lessons of `part`: its title
/// says which volume it is, the introduction page goes with the first, and it holds the image
/// files its lessons show.
pub fn volume_book(book: &Book, part: Range<usize>, number: usize, count: usize) -> Book {
    let front = book.front.clone().filter(|_| number == 1);
    let parts = crate::parts::within(&book.parts, part.clone());
    let lessons = book.lessons[part].to_vec();
    let used: HashSet<&str> = front
        .iter()
        .chain(&lessons)
        .flat_map(stored_files)
        .collect();
    Book {
        title: format!("{} ({number}/{count})", book.title),
        author: book.author.clone(),
        language: book.language.clone(),
        images: (book.images.iter())
            .filter(|a| used.contains(a.book_path.as_str()))
            .cloned()
            .collect(),
        front,
        lessons,
        parts,
    }
}

/// The sizes of `book`'s lessons and images in the archive; `fixed` is the size of a volume
/// without lessons, which the caller measures. `Err` when a lesson written ahead cannot be
/// read back.
pub fn costs(book: &Book, fixed: u64) -> std::io::Result<Costs> {
    let index: HashMap<&str, usize> = (book.images.iter().enumerate())
        .map(|(i, a)| (a.book_path.as_str(), i))
        .collect();
    let cost = |lesson: &Lesson| {
        Ok(LessonCost {
            chapter: crate::package::entry_size(
                "text/lesson-001.xhtml",
                crate::render::chapter(lesson, &book.language)?.as_bytes(),
                true,
            ),
            images: stored_files(lesson)
                .filter_map(|f| index.get(f).copied())
                .collect(),
        })
    };
    let mut lessons: Vec<LessonCost> = book
        .lessons
        .iter()
        .map(cost)
        .collect::<std::io::Result<_>>()?;
    // The introduction page travels with the first lesson.
    if let (Some(front), Some(first)) = (&book.front, lessons.first_mut()) {
        let front = cost(front)?;
        first.chapter += front.chapter;
        first.images.extend(front.images);
    }
    Ok(Costs {
        fixed,
        lessons,
        images: (book.images.iter())
            // Stored as they are: the entry is its header and directory line, whatever the
            // bytes, plus the bytes.
            .map(|a| crate::package::entry_size(&a.book_path, &[], false) + a.bytes.len())
            .collect(),
    })
}

/// The files the book stores for the images a lesson shows, article and avatars.
fn stored_files(lesson: &Lesson) -> impl Iterator<Item = &str> {
    let article = (lesson.article.images().into_iter()).flat_map(|i| i.image.stored.iter());
    let avatars = (lesson.comments.avatars().into_iter()).flat_map(|a| a.stored.iter());
    article.chain(avatars).map(String::as_str)
}

/// The file of volume `number` of `count`: `book.epub` -> `book-2.epub` (`book-02.epub` when
/// there are ten or more, so they sort in order).
pub fn volume_path(book: &Path, number: usize, count: usize) -> PathBuf {
    let width = count.to_string().len();
    let stem = book.file_stem().map(|s| s.to_string_lossy().into_owned());
    let ext = book.extension().map(|e| e.to_string_lossy().into_owned());
    let name = format!(
        "{}-{number:0width$}{}",
        stem.unwrap_or_default(),
        ext.map(|e| format!(".{e}")).unwrap_or_default()
    );
    book.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!("50MB".parse(), Ok(ByteSize(50_000_000)));
        assert_eq!(" 800 kb".parse(), Ok(ByteSize(800_000)));
        assert_eq!("1.5GB".parse(), Ok(ByteSize(1_500_000_000)));
        assert_eq!("2MiB".parse(), Ok(ByteSize(2 << 20)));
        assert_eq!("300K".parse(), Ok(ByteSize(300_000)));
        for bad in ["50", "MB", "-5MB", "5 TB", "0MB", "1e3MB", ""] {
            let err = bad.parse::<ByteSize>().unwrap_err();
            assert!(err.contains("such as `50MB`"), "{bad}: {err}");
        }
    }

    #[test]
    fn volume_counts_are_checked() {
        assert_eq!(check_count(3), Ok(3));
        assert!(check_count(0).unwrap_err().contains("from 1 to 999"));
        assert!(check_count(-2).is_err() && check_count(1000).is_err());
    }

    #[test]
    fn equal_volumes_differ_by_one_lesson_at_most() {
        assert_eq!(plan_by_count(10, 3).unwrap(), [0..4, 4..7, 7..10]);
        assert_eq!(plan_by_count(4, 4).unwrap(), [0..1, 1..2, 2..3, 3..4]);
        assert_eq!(plan_by_count(5, 1).unwrap(), vec![(0..5)]);
        let err = plan_by_count(2, 3).unwrap_err().to_string();
        assert!(err.contains("has 2 lessons"), "{err}");
    }

    fn sample(chapters: &[u64], images: &[&[usize]], image_bytes: &[u64]) -> Costs {
        Costs {
            fixed: 100,
            lessons: chapters
                .iter()
                .zip(images)
                .map(|(&chapter, images)| LessonCost {
                    chapter,
                    images: images.to_vec(),
                })
                .collect(),
            images: image_bytes.to_vec(),
        }
    }

    #[test]
    fn volumes_by_size_stay_under_the_limit_and_even_out() {
        let c = sample(&[300; 6], &[&[] as &[usize]; 6], &[]);
        // 100 + 6 x 300 = 1900 needs two volumes under 1300; filling the first would give 4 + 2.
        let plan = plan_by_size(&c, 1300, 0).unwrap();
        assert_eq!(plan, [0..3, 3..6]);
        assert!(plan.iter().all(|p| c.volume_size(p.clone()) <= 1300));
        assert_eq!(plan_by_size(&c, 5000, 0).unwrap(), vec![(0..6)]);
    }

    #[test]
    fn an_image_shared_by_lessons_counts_once_per_volume() {
        // Each lesson shows the same 500-byte image: together they fit in 100 + 3x100 + 500.
        let c = sample(&[100; 3], &[&[0], &[0], &[0]], &[500]);
        assert_eq!(plan_by_size(&c, 900, 0).unwrap(), vec![(0..3)]);
        assert_eq!(c.volume_size(0..3), 900);
        assert_eq!(plan_by_size(&c, 899, 0).unwrap().len(), 2);
    }

    #[test]
    fn a_lesson_bigger_than_the_limit_gets_its_own_volume() {
        let c = sample(&[100, 5000, 100], &[&[] as &[usize]; 3], &[]);
        let plan = plan_by_size(&c, 1000, 0).unwrap();
        assert_eq!(plan, [0..1, 1..2, 2..3]);
    }

    #[test]
    fn a_limit_under_the_fixed_part_is_an_error() {
        let c = sample(&[10], &[&[] as &[usize]], &[]);
        let err = plan_by_size(&c, 150, 60).unwrap_err().to_string();
        assert!(err.contains("give a larger size"), "{err}");
    }

    #[test]
    fn volume_files_are_numbered_to_sort() {
        let book = Path::new("out/书.epub");
        assert_eq!(volume_path(book, 2, 3), Path::new("out/书-2.epub"));
        assert_eq!(volume_path(book, 2, 12), Path::new("out/书-02.epub"));
    }
}
