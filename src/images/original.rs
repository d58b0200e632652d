//! An original's bytes from getting them until they are converted.
//!
//! They wait in an unnamed temporary file, which the operating system removes however the
//! process ends: which originals are large is chance, several are had at once (eight downloads,
//! six waiting for a converting thread), and held in memory they were what grew most with the
//! number of pictures. A download is written there as it arrives, so not even one body is held
//! whole. When no temporary file can be made, they wait in memory.

use std::fs::File;
use std::io::{self, Read, Seek, Write};

/// The bytes of one original.
#[derive(Debug)]
pub(super) enum Original {
    File(File, u64),
    Memory(Vec<u8>),
}

/// Why a body could not be had: reading it, or keeping it.
#[derive(Debug)]
pub(super) enum Failed {
    Read(io::Error),
    Keep(io::Error),
}

impl Original {
    /// Bytes had at hand (from the cache, a local file, a `data:` URL), put to wait.
    pub fn park(bytes: Vec<u8>) -> Self {
        let parked = tempfile::tempfile().and_then(|mut file| {
            file.write_all(&bytes)?;
            Ok(file)
        });
        match parked {
            Ok(file) => Original::File(file, bytes.len() as u64),
            Err(_) => Original::Memory(bytes),
        }
    }

    /// Everything `body` yields, written to the temporary file as it is read; `announced` is
    /// the size the server gave, which sizes the buffer when the bytes must wait in memory.
    pub fn read(body: &mut dyn Read, announced: Option<u64>) -> Result<Self, Failed> {
        let Ok(mut file) = tempfile::tempfile() else {
            // Sized as announced: grown by doubling, a body takes up to twice its size.
            let capacity = usize::try_from(announced.unwrap_or(0)).unwrap_or(0);
            let mut bytes = Vec::with_capacity(capacity);
            body.read_to_end(&mut bytes).map_err(Failed::Read)?;
            return Ok(Original::Memory(bytes));
        };
        let mut buffer = vec![0; 64 << 10];
        let mut len = 0;
        loop {
            let n = match body.read(&mut buffer) {
                Ok(0) => return Ok(Original::File(file, len)),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failed::Read(e)),
            };
            file.write_all(&buffer[..n]).map_err(Failed::Keep)?;
            len += n as u64;
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Original::File(_, len) => *len,
            Original::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// Copies every byte to `out`, from the start, as often as asked.
    pub fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match self {
            Original::File(file, len) => {
                file.rewind()?;
                let copied = io::copy(&mut file.take(*len), out)?;
                if copied != *len {
                    return Err(short());
                }
                Ok(())
            }
            Original::Memory(bytes) => out.write_all(bytes),
        }
    }

    /// The first `n` bytes, or all of them when there are fewer.
    pub fn head(&mut self, n: usize) -> io::Result<Vec<u8>> {
        match self {
            Original::File(file, len) => {
                file.rewind()?;
                let want = (*len).min(n as u64);
                let mut head = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
                file.take(want).read_to_end(&mut head)?;
                if head.len() as u64 != want {
                    return Err(short());
                }
                Ok(head)
            }
            Original::Memory(bytes) => Ok(bytes[..bytes.len().min(n)].to_vec()),
        }
    }

    /// All of the bytes, in memory, for converting.
    pub fn bytes(mut self) -> io::Result<Vec<u8>> {
        match self {
            Original::File(..) => {
                let mut bytes = Vec::with_capacity(usize::try_from(self.len()).unwrap_or(0));
                self.copy_to(&mut bytes)?;
                Ok(bytes)
            }
            Original::Memory(bytes) => Ok(bytes),
        }
    }
}

fn short() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the temporary file of an image is shorter than what was written to it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern() -> Vec<u8> {
        (0..200_000u32).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn an_original_comes_back_whole_however_it_came() {
        let bytes = pattern();
        let parked = Original::park(bytes.clone());
        assert!(matches!(parked, Original::File(..)), "kept in memory");
        assert_eq!(parked.bytes().unwrap(), bytes);
        // Read in pieces, as a network body arrives.
        let mut body = io::Cursor::new(bytes.clone()).chain(io::Cursor::new(vec![7u8; 10]));
        let mut read = Original::read(&mut body, None).unwrap();
        assert!(matches!(read, Original::File(..)), "kept in memory");
        assert_eq!(read.len(), bytes.len() as u64 + 10);
        // Copied twice (the cache's checksum, then its entry), then read for converting.
        for _ in 0..2 {
            let mut copy = Vec::new();
            read.copy_to(&mut copy).unwrap();
            assert_eq!(copy.len(), bytes.len() + 10);
        }
        assert_eq!(read.head(1000).unwrap(), &bytes[..1000]);
        assert_eq!(read.head(1 << 20).unwrap().len(), bytes.len() + 10);
        let all = read.bytes().unwrap();
        assert_eq!(&all[..bytes.len()], bytes.as_slice());
        assert_eq!(&all[bytes.len()..], &[7u8; 10]);
    }

    #[test]
    fn a_body_that_fails_midway_says_it_was_the_reading() {
        struct Cut(usize);
        impl Read for Cut {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"));
                }
                let n = self.0.min(buf.len());
                self.0 -= n;
                Ok(n)
            }
        }
        let failed = Original::read(&mut Cut(100_000), Some(200_000)).unwrap_err();
        assert!(matches!(failed, Failed::Read(e) if e.kind() == io::ErrorKind::ConnectionReset));
    }
}
