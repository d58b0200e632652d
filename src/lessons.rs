//! Choosing lessons (`--lessons 1-20,30`): which of a column's lessons go into the book, by
//! their position in the column's order (the order the book's contents show).
//!
//! Positions count lessons only: the column's introduction page (an MkDocs column's
//! `<site_name>.md`) has no number, and goes into the book when lesson 1 does.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};

/// Lesson positions, 1-based: a list of single numbers and ranges, `N-` meaning "to the end".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonSelection {
    /// As the user wrote it, for messages.
    text: String,
    /// `None` as the end: the column's last lesson.
    ranges: Vec<(usize, Option<usize>)>,
}

impl FromStr for LessonSelection {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| {
            format!(
                "`{text}`: {why}; expected lesson positions such as `1-20,30` or `40-` (from 40 \
                 to the end), counting from 1"
            )
        };
        let number = |part: &str| -> Result<usize, String> {
            match part.trim().parse::<usize>() {
                Ok(0) => Err(bad("lessons are counted from 1")),
                Ok(n) => Ok(n),
                Err(_) => Err(bad(&format!("`{}` is not a lesson position", part.trim()))),
            }
        };
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let range = match part.split_once('-') {
                Some((start, end)) if end.trim().is_empty() => (number(start)?, None),
                Some((start, end)) => {
                    let (start, end) = (number(start)?, number(end)?);
                    if end < start {
                        return Err(bad(&format!("the range `{}` runs backwards", part.trim())));
                    }
                    (start, Some(end))
                }
                None => {
                    let n = number(part)?;
                    (n, Some(n))
                }
            };
            ranges.push(range);
        }
        Ok(LessonSelection {
            text: text.trim().to_owned(),
            ranges,
        })
    }
}

impl fmt::Display for LessonSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl LessonSelection {
    /// The 0-based indices this selection keeps of a column of `count` lessons (and an
    /// introduction page, when `front`), in column order, each once. A position past the end is
    /// an error that gives the column's count.
    pub fn indices(&self, count: usize, front: bool) -> Result<Vec<usize>> {
        let mut keep = vec![false; count];
        for &(start, end) in &self.ranges {
            let end = end.unwrap_or(count.max(start));
            if end > count {
                let what = if start == end {
                    format!("lesson {start}")
                } else {
                    format!("lessons {start}-{end}")
                };
                let front = if front {
                    "; the introduction page is not counted"
                } else {
                    ""
                };
                bail!(
                    "`--lessons {}`: asks for {what}, but the column has {count} lessons \
                     (1-{count}{front})",
                    self.text
                );
            }
            keep[start - 1..end].iter_mut().for_each(|k| *k = true);
        }
        Ok((0..count).filter(|&i| keep[i]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indices(text: &str, count: usize) -> Result<Vec<usize>> {
        text.parse::<LessonSelection>()
            .unwrap()
            .indices(count, false)
    }

    #[test]
    fn ranges_and_numbers_keep_column_order_once_each() {
        assert_eq!(indices("1-3,5", 6).unwrap(), [0, 1, 2, 4]);
        assert_eq!(indices("5, 1-2 ,2", 6).unwrap(), [0, 1, 4]);
        assert_eq!(indices("4-", 6).unwrap(), [3, 4, 5]);
        assert_eq!(indices("6-6", 6).unwrap(), [5]);
    }

    #[test]
    fn positions_past_the_end_name_the_column_count() {
        let err = indices("1-20,30", 25).unwrap_err().to_string();
        assert!(
            err.contains("lesson 30") && err.contains("has 25 lessons"),
            "{err}"
        );
        let err = indices("20-30", 25).unwrap_err().to_string();
        assert!(err.contains("lessons 20-30"), "{err}");
        let err = indices("30-", 25).unwrap_err().to_string();
        assert!(err.contains("lesson 30") && err.contains("(1-25)"), "{err}");
        let err = "26".parse::<LessonSelection>().unwrap().indices(25, true);
        let err = err.unwrap_err().to_string();
        assert!(err.contains("introduction page is not counted"), "{err}");
    }

    #[test]
    fn malformed_selections_say_what_is_expected() {
        for bad in ["", "0", "3-1", "a", "1-b", "1,,2", "-3"] {
            let err = bad.parse::<LessonSelection>().unwrap_err();
            assert!(err.contains("such as `1-20,30`"), "{bad}: {err}");
        }
        assert!(
            "2-1"
                .parse::<LessonSelection>()
                .unwrap_err()
                .contains("runs backwards")
        );
    }
}
