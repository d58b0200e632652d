//! An image `src` as written in a lesson -> where its bytes come from.
//!
//! `http(s)` URLs are downloaded, `data:` URLs are decoded here, and a path without a scheme is a
//! file relative to the lesson's folder (read by `local`). Every other scheme, `file:` included,
//! is refused: a book must not read arbitrary files because a saved page said so.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// An `http` or `https` URL.
    Remote(String),
    /// A whole `data:` URL.
    Data(String),
    /// A relative path, joined to the folder of the lesson that refers to it.
    Local(PathBuf),
    /// A source that is never read; the reason says why.
    Refused(String),
}

impl Source {
    pub fn classify(src: &str, lesson_dir: &Path) -> Source {
        let src = src.trim();
        let lower = src.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Source::Remote(src.to_owned())
        } else if src.starts_with("//") {
            // Protocol-relative: the pages were served over https.
            Source::Remote(format!("https:{src}"))
        } else if lower.starts_with("data:") {
            Source::Data(src.to_owned())
        } else if let Some(scheme) = scheme(src) {
            Source::Refused(format!(
                "the `{scheme}:` scheme is not allowed; only http, https and data: images are \
                 embedded"
            ))
        } else if src.starts_with(['/', '\\']) {
            Source::Refused(
                "an absolute path is not allowed; local images must be inside the column folder"
                    .to_owned(),
            )
        } else if src.is_empty() {
            Source::Refused("the image has an empty `src`".to_owned())
        } else {
            Source::Local(lesson_dir.join(src))
        }
    }
}

/// The scheme of a URL (`https`, `file`, `javascript`), or `None` for a path. A Windows drive
/// letter (`C:\x.png`) counts as a scheme, which refuses it as it should be.
fn scheme(src: &str) -> Option<&str> {
    let colon = src.find(':')?;
    let scheme = &src[..colon];
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(scheme)
}

/// The bytes of a `data:` URL (`data:[<type>][;base64],<data>`), at most `max_bytes`.
pub fn decode_data_url(url: &str, max_bytes: u64) -> Result<Vec<u8>> {
    let rest = &url["data:".len()..];
    let (meta, data) = rest
        .split_once(',')
        .context("malformed data: URL (no comma)")?;
    // Decoded data is never larger than its text.
    if data.len() as u64 > max_bytes.saturating_mul(2) {
        bail!(
            "the data: URL is larger than the {} MiB allowed",
            max_bytes >> 20
        );
    }
    let bytes = if meta.to_ascii_lowercase().ends_with(";base64") {
        let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let compact = percent_decode(compact.as_bytes());
        BASE64
            .decode(&compact)
            .context("the base64 data of the data: URL is invalid")?
    } else {
        percent_decode(data.as_bytes())
    };
    if bytes.len() as u64 > max_bytes {
        bail!(
            "the data: URL is larger than the {} MiB allowed",
            max_bytes >> 20
        );
    }
    Ok(bytes)
}

/// Base64 as found in pages: padding may be missing.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `%XX` escapes -> bytes; anything else is kept as it is.
pub fn percent_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if text[i] == b'%' && i + 2 < text.len() {
            if let (Some(h), Some(l)) = (hex(text[i + 1]), hex(text[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified_by_scheme() {
        let dir = Path::new("/col/docs");
        assert_eq!(
            Source::classify(" https://a/x.png ", dir),
            Source::Remote("https://a/x.png".into())
        );
        assert_eq!(
            Source::classify("//a/x.png", dir),
            Source::Remote("https://a/x.png".into())
        );
        assert_eq!(
            Source::classify("images/a.png", dir),
            Source::Local("/col/docs/images/a.png".into())
        );
        assert!(matches!(
            Source::classify("data:image/png;base64,AA", dir),
            Source::Data(_)
        ));
        for refused in [
            "/etc/passwd.png",
            "\\\\server\\x.png",
            "file:///etc/passwd",
            "ftp://a/b.png",
            "javascript:x",
            "C:\\x.png",
            "",
        ] {
            assert!(
                matches!(Source::classify(refused, dir), Source::Refused(_)),
                "{refused}"
            );
        }
    }

    #[test]
    fn data_urls_decode_base64_and_percent_escapes() {
        assert_eq!(
            decode_data_url("data:image/png;base64,iVBORw0K", 100).unwrap(),
            b"\x89PNG\r\n"
        );
        // Missing padding and line breaks, as pages have them.
        assert_eq!(
            decode_data_url("data:image/gif;BASE64,R0lG\nOA", 100).unwrap(),
            b"GIF8"
        );
        assert_eq!(
            decode_data_url("data:image/svg+xml,%3Csvg%3E", 100).unwrap(),
            b"<svg>"
        );
        assert!(decode_data_url("data:image/png;base64", 100).is_err());
        assert!(decode_data_url("data:image/png;base64,!!!!", 100).is_err());
        assert!(decode_data_url("data:image/png;base64,AAAAAAAAAAAA", 4).is_err());
    }

    #[test]
    fn percent_decode_keeps_stray_percent_signs() {
        assert_eq!(percent_decode(b"a%20b%2"), b"a b%2");
        assert_eq!(percent_decode(b"100%"), b"100%");
        assert_eq!(percent_decode(b"%E5%9B%BE"), "图".as_bytes());
    }
}
