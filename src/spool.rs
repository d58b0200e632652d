//! Bytes kept on disk until the book is zipped.
//!
//! A column's pictures, once converted, are the largest thing a build makes (12 MB for
//! linux-perf, four times that for a column with four times the pictures), and nothing needs
//! them between converting and zipping. They are appended to one unnamed temporary file, which
//! the operating system removes however the process ends, and each is read back once.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

/// An unnamed temporary file that only grows.
#[derive(Debug, Clone)]
pub struct Spool(Arc<Mutex<File>>);

/// The bytes of one file in a `Spool`.
#[derive(Debug, Clone)]
pub struct Stretch {
    spool: Spool,
    offset: u64,
    len: u64,
}

impl Spool {
    pub fn new() -> io::Result<Self> {
        Ok(Spool(Arc::new(Mutex::new(tempfile::tempfile()?))))
    }

    /// Appends `bytes`; the stretch reads them back.
    pub fn append(&self, bytes: &[u8]) -> io::Result<Stretch> {
        let mut file = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let offset = file.seek(SeekFrom::End(0))?;
        file.write_all(bytes)?;
        Ok(Stretch {
            spool: self.clone(),
            offset,
            len: bytes.len() as u64,
        })
    }
}

impl Stretch {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies the bytes to `out`.
    pub fn copy_to(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut file = self.spool.0.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(self.offset))?;
        let copied = io::copy(&mut (&mut *file).take(self.len), out)?;
        if copied != self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the temporary file of converted images is shorter than what was written to it",
            ));
        }
        Ok(())
    }
}

impl PartialEq for Stretch {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.spool.0, &other.spool.0)
            && (self.offset, self.len) == (other.offset, other.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_read_back_what_was_appended_in_any_order() {
        let spool = Spool::new().unwrap();
        let a = spool.append(b"first").unwrap();
        let b = spool.append(b"").unwrap();
        let c = spool.append(&[7u8; 70_000]).unwrap();
        let read = |s: &Stretch| {
            let mut out = Vec::new();
            s.copy_to(&mut out).unwrap();
            out
        };
        assert_eq!(read(&c), vec![7u8; 70_000]);
        assert_eq!(read(&a), b"first");
        assert!(b.is_empty() && read(&b).is_empty());
        assert_eq!(c.len(), 70_000);
    }
}
