//! Parsed lessons wait here, on disk, between parsing and rendering.
//!
//! Every image of a book must be known (and fetched) before its first chapter can be rendered,
//! so each lesson is parsed long before it is rendered. Its text is most of a column's size;
//! held in memory, it would make memory grow with the column. Instead each lesson is written,
//! as soon as it is parsed, to one unnamed temporary file (in `TMPDIR`, like `sort` spills) and
//! read back when its chapter is rendered. The file has no name, so it disappears with the
//! process however the process ends.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use anyhow::{Context, Result};

use crate::model::Lesson;

/// The temporary file and how far it is written.
#[derive(Debug)]
pub struct Spool {
    file: Mutex<(File, u64)>,
}

/// Where one lesson sits in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parked {
    offset: u64,
    len: usize,
}

impl Spool {
    pub fn new() -> Result<Spool> {
        let file = tempfile::tempfile().with_context(|| {
            format!(
                "cannot create a temporary file in `{}` to hold the parsed lessons; set TMPDIR \
                 to a writable folder",
                std::env::temp_dir().display()
            )
        })?;
        Ok(Spool {
            file: Mutex::new((file, 0)),
        })
    }

    /// Writes `lesson` to the spool; `unpark` gives it back.
    pub fn park(&self, lesson: &Lesson) -> Result<Parked> {
        let bytes = serde_json::to_vec(lesson).context("cannot serialize a parsed lesson")?;
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let (file, end) = &mut *guard;
        let parked = Parked {
            offset: *end,
            len: bytes.len(),
        };
        file.seek(SeekFrom::Start(parked.offset))
            .and_then(|_| file.write_all(&bytes))
            .with_context(|| {
                format!(
                    "cannot write `{}` to the temporary file that holds the parsed lessons; \
                     is `{}` full?",
                    lesson.source.display(),
                    std::env::temp_dir().display()
                )
            })?;
        *end += bytes.len() as u64;
        Ok(parked)
    }

    /// The lesson that `park` wrote at `parked`.
    pub fn unpark(&self, parked: Parked) -> Result<Lesson> {
        let mut bytes = vec![0; parked.len];
        {
            let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
            let (file, _) = &mut *guard;
            file.seek(SeekFrom::Start(parked.offset))
                .and_then(|_| file.read_exact(&mut bytes))
                .context("cannot read back a parsed lesson from its temporary file")?;
        }
        serde_json::from_slice(&bytes)
            .context("a parsed lesson came back damaged from its temporary file")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Comment, Reply, ReplyBy};
    use rayon::prelude::*;

    fn lesson(n: usize) -> Lesson {
        Lesson {
            source: format!("/c/第{n}讲 | 性能.md").into(),
            title: format!("第{n}讲｜性能 \"quoted\" \\ 𝕏"),
            article_html: format!("<p>正文 {n}<br>\r\n<code>a &lt; b</code>\t</p>"),
            article_images: vec![
                format!("https://h/{n}.png"),
                "data:image/png;base64,AA==".into(),
            ],
            comments: vec![
                Comment {
                    author: "小明".into(),
                    avatar: Some(String::new()),
                    likes: Some(u32::MAX),
                    date: "2019-01-02 14:46:22".into(),
                    text: "第一行\n第二行 \u{2028} 😀".into(),
                    reply: Some(Reply {
                        by: ReplyBy::Editor,
                        text: "谢谢".into(),
                    }),
                    reply_count: Some(-1),
                },
                Comment::default(),
            ],
            comments_in_source: 7,
        }
    }

    #[test]
    fn lessons_come_back_exactly_as_parked() {
        let spool = Spool::new().unwrap();
        let parked: Vec<Parked> = (0..40)
            .into_par_iter()
            .map(|n| spool.park(&lesson(n)).unwrap())
            .collect();
        // Read back out of order, and twice: a chapter may be rendered again.
        for n in (0..40).rev().chain(0..40) {
            assert_eq!(spool.unpark(parked[n]).unwrap(), lesson(n));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_name_that_is_not_utf8_comes_back() {
        use std::os::unix::ffi::OsStrExt;
        let spool = Spool::new().unwrap();
        let mut gbk_named = lesson(1);
        gbk_named.source = std::ffi::OsStr::from_bytes(b"01 | \xc4\xe3\xba\xc3.md").into();
        let parked = spool.park(&gbk_named).unwrap();
        assert_eq!(spool.unpark(parked).unwrap(), gbk_named);
    }

    #[test]
    fn a_damaged_spool_is_an_error_not_a_panic() {
        let spool = Spool::new().unwrap();
        let parked = spool.park(&lesson(1)).unwrap();
        let beyond = Parked {
            offset: parked.offset + 1,
            len: parked.len,
        };
        assert!(spool.unpark(beyond).is_err());
    }
}
