//! Bytes of a lesson file -> clean Rust text.
//!
//! Decodes UTF-8 (with or without BOM), UTF-16 with a BOM, and legacy Chinese encodings (GBK,
//! GB18030, Big5, ...) guessed with chardetng; normalizes line endings to `\n`; and drops every
//! character XML 1.0 forbids, so nothing downstream has to think about them again.

use anyhow::{Result, bail};
use encoding_rs::{Encoding, UTF_8};

/// A file's text, and how many damaged sequences in it were shown as U+FFFD.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub damaged: usize,
}

impl Decoded {
    /// What to warn about when the text had to be repaired to be read.
    pub fn damage(&self) -> Option<String> {
        (self.damaged > 0).then(|| {
            format!(
                "{} damaged sequence(s) (a file cut off or garbled in copying?) shown as `{}`",
                self.damaged,
                char::REPLACEMENT_CHARACTER
            )
        })
    }
}

/// Decodes one file's bytes. `Err` says why the bytes are not text; the caller adds the file name.
pub fn decode(bytes: &[u8]) -> Result<Decoded> {
    let mut damaged = 0;
    // Control characters tell binary data from text. Real text in a legacy encoding holds next
    // to none, while binary data read as one is full of them, so text whose encoding was
    // guessed may be at most 1/20 control characters. UTF-8 and text with a BOM are known to
    // be text and may hold any number (they are dropped below), as long as some text is left:
    // a file of NULs (zeroed by a crash, say) is valid UTF-8 too.
    let (text, max_control_share) = if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, damage) = decode_known(encoding, &bytes[bom_len..])?;
        damaged = damage;
        (text, None)
    } else if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, damage) = decode_known(encoding, bytes)?;
        damaged = damage;
        (text, Some(20))
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (text.to_owned(), None)
    } else if let Some(kind) =
        infer::get(bytes).filter(|kind| kind.matcher_type() != infer::MatcherType::Text)
    {
        bail!(
            "this is not a text file: its bytes are those of a `{}` file ({})",
            kind.extension(),
            kind.mime_type()
        );
    } else if bytes.contains(&0) {
        // Invalid UTF-8 with NUL bytes is not a legacy text encoding either (none of them
        // uses NUL), so calling it binary beats guessing and printing mojibake.
        bail!("this is not a text file (it holds NUL bytes and is not valid UTF-8)");
    } else if let Some((text, damage)) = damaged_utf8(bytes) {
        damaged = damage;
        (text, None)
    } else {
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(bytes, true);
        // No top-level-domain hint: `.cn` tips short Big5 text over to GBK mojibake.
        let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
        (decode_strict(guess, bytes)?, Some(20))
    };
    let (mut chars, mut controls, mut visible) = (0usize, 0usize, false);
    for c in text.chars() {
        chars += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}') {
            controls += 1;
        } else {
            visible |= !c.is_whitespace();
        }
    }
    let too_many = match max_control_share {
        Some(share) => controls * share > chars,
        None => !visible,
    };
    if controls > 0 && too_many {
        bail!(
            "this is not a text file ({controls} of its {chars} characters are control \
             characters)"
        );
    }
    Ok(Decoded {
        text: clean(&text),
        damaged,
    })
}

/// UTF-8 with a little damage (cut off inside its last character, or a few bytes garbled in a
/// bad copy) is still UTF-8, each damaged sequence shown as U+FFFD: when the only damage is a
/// character cut off at the very end, or when intact multi-byte characters outnumber damaged
/// sequences twenty to one. GBK or Big5 text read as UTF-8 is mostly damage, so it never
/// passes and goes on to the legacy-encoding detector.
fn damaged_utf8(bytes: &[u8]) -> Option<(String, usize)> {
    let (mut intact, mut damaged) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        intact += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        damaged += usize::from(!chunk.invalid().is_empty());
    }
    let cut_off_at_end = damaged == 1
        && std::str::from_utf8(bytes)
            .err()
            .is_some_and(|e| e.error_len().is_none());
    (cut_off_at_end || damaged * 20 <= intact)
        .then(|| (String::from_utf8_lossy(bytes).into_owned(), damaged))
}

/// UTF-16 saved without a BOM: markup and ASCII punctuation put a NUL in every other byte,
/// always on the same side (odd bytes for little-endian). Text of CJK only has no NULs and is
/// left to the other detectors.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    let pairs = sample.len() / 2;
    if pairs < 8 {
        return None;
    }
    let nul_at = |offset: usize| {
        sample
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (nul_at(0), nul_at(1));
    if odd * 5 >= pairs && even * 50 <= pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even * 5 >= pairs && odd * 50 <= pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Text in an encoding that is known (from a BOM, or UTF-16's NULs), read as damaged UTF-8 is:
/// a file cut off inside its last character, or with a few garbled units, keeps its text, each
/// damaged sequence shown as U+FFFD and counted.
fn decode_known(encoding: &'static Encoding, bytes: &[u8]) -> Result<(String, usize)> {
    if let Ok(text) = decode_strict(encoding, bytes) {
        return Ok((text, 0));
    }
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    let damaged = text.matches(char::REPLACEMENT_CHARACTER).count();
    let intact = text.chars().count() - damaged;
    let cut_off_at_end = damaged == 1 && text.ends_with(char::REPLACEMENT_CHARACTER);
    if cut_off_at_end || damaged * 20 <= intact {
        Ok((text.into_owned(), damaged))
    } else {
        decode_strict(encoding, bytes).map(|text| (text, 0))
    }
}

fn decode_strict(encoding: &'static Encoding, bytes: &[u8]) -> Result<String> {
    match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(text.into_owned()),
        None if encoding == UTF_8 => bail!("this is not valid UTF-8 text"),
        None => bail!(
            "this is neither UTF-8 nor valid {} text; convert it to UTF-8 (e.g. with iconv)",
            encoding.name()
        ),
    }
}

/// Normalizes CRLF and lone CR to LF and drops the characters XML forbids, and byte order marks
/// left inside the text by joining files (invisible, they would break search and copy of the
/// word they sit in).
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // CRLF becomes the LF that follows; a lone CR becomes LF.
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push('\n'),
            '\u{FEFF}' => {}
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether `text` shows anything on a page: a character for which `is_visible` holds.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(is_visible)
}

/// Whether `c` shows anything on a page: it is no space, no control character, none of those
/// `clean` drops, and none that Unicode says to render as nothing (Default_Ignorable_Code_Point:
/// zero-width spaces and joiners, direction marks, the soft hyphen, variation selectors, BOMs,
/// tags). Titles made only of such characters would be blank in a reader's table of contents and
/// on the cover.
pub fn is_visible(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && is_xml_char(c) && !is_default_ignorable(c)
}

/// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt), which is stable:
/// code points are not removed from it.
fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{115F}'..='\u{1160}'
        | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Whether XML 1.0 allows `c` in a document (`Char` production, minus the noncharacters
/// U+FFFE/U+FFFF that some readers reject as well).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Line number (1-based) of a byte offset in `text`, for error messages.
pub fn line_of(text: &str, offset: usize) -> usize {
    LineCounter::new(text).line_of(offset)
}

/// Line numbers of offsets in one text asked for in increasing order (one per comment, say),
/// counted on from the previous one: the lines of a 100,000-comment lesson take one pass, not
/// one pass each.
pub struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line (1-based) of byte `offset`; an offset before the previous one is counted again
    /// from the start.
    pub fn line_of(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            (self.offset, self.line) = (0, 1);
        }
        self.line += self.text[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_and_crlf_becomes_plain_lf_text() {
        let bytes = b"\xEF\xBB\xBF# t\r\n\r\nbody\rnext";
        assert_eq!(decode(bytes).unwrap().text, "# t\n\nbody\nnext");
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "正文".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode(&bytes).unwrap().text, "正文");
    }

    #[test]
    fn utf16_cut_off_inside_a_character_keeps_its_text_with_a_warning() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<p>正文 text</p>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        // Half a code unit, and then the first half of a surrogate pair cut off.
        let odd = [&bytes[..], &[0x3D]].concat();
        let surrogate = [&bytes[..], &0xD83Du16.to_le_bytes()].concat();
        for cut in [odd, surrogate] {
            let decoded = decode(&cut).unwrap();
            assert_eq!(decoded.text, "<p>正文 text</p>\u{FFFD}");
            assert_eq!(decoded.damaged, 1);
            assert!(decoded.damage().unwrap().contains("1 damaged"));
        }
    }

    #[test]
    fn utf16_without_bom_is_detected() {
        let text = "<p>正文 text</p>\n<h2>标题</h2>";
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode(&le).unwrap().text, text);
        assert_eq!(decode(&be).unwrap().text, text);
    }

    #[test]
    fn gb18030_four_byte_sequences_are_decoded() {
        let (bytes, _, _) = encoding_rs::GB18030
            .encode("今天我们来聊一聊容器技术，😀 这是一个表情。希望你能喜欢这一讲的内容。");
        assert_eq!(
            decode(&bytes).unwrap().text,
            "今天我们来聊一聊容器技术，😀 这是一个表情。希望你能喜欢这一讲的内容。"
        );
    }

    #[test]
    fn big5_is_detected_and_decoded() {
        let text = "今天我們來聊聊容器技術，這是一個很重要的話題。";
        let (bytes, _, _) = encoding_rs::BIG5.encode(text);
        assert_eq!(decode(&bytes).unwrap().text, text);
    }

    #[test]
    fn short_gbk_paragraph_is_detected() {
        let text = "<p>你好，我是作者。</p>";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode(&bytes).unwrap().text, text);
    }

    #[test]
    fn gbk_is_detected_and_decoded() {
        let (bytes, _, _) =
            encoding_rs::GBK.encode("今天我和你分享的主题是容器，希望张老师能出新的课程。");
        assert_eq!(
            decode(&bytes).unwrap().text,
            "今天我和你分享的主题是容器，希望张老师能出新的课程。"
        );
    }

    #[test]
    fn utf8_cut_off_inside_its_last_character_stays_utf8() {
        let text = "你好，我是作者。";
        let bytes = &text.as_bytes()[..text.len() - 1];
        let decoded = decode(bytes).unwrap();
        assert_eq!(decoded.text, "你好，我是作者\u{FFFD}");
        assert_eq!(decoded.damaged, 1);
        assert!(decoded.damage().unwrap().contains("1 damaged"));
    }

    #[test]
    fn utf8_with_a_stray_byte_stays_utf8() {
        let mut bytes = "今天我和你分享的主题是容器，希望张老师能出新的课程。"
            .repeat(2)
            .into_bytes();
        bytes.insert(30, 0xff);
        let decoded = decode(&bytes).unwrap();
        assert!(decoded.text.starts_with("今天我和你"), "{}", decoded.text);
        assert_eq!(decoded.damaged, 1);
    }

    #[test]
    fn intact_text_reports_no_damage() {
        assert!(decode("正文".as_bytes()).unwrap().damage().is_none());
    }

    #[test]
    fn known_binary_formats_are_named() {
        let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj";
        let err = decode(pdf).unwrap_err().to_string();
        assert!(err.contains("`pdf` file"), "{err}");
        let gzip = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00";
        let err = decode(gzip).unwrap_err().to_string();
        assert!(err.contains("`gz` file"), "{err}");
    }

    #[test]
    fn text_of_control_characters_is_refused_but_a_few_are_dropped() {
        let err = decode(&[0u8; 7]).unwrap_err().to_string();
        assert!(err.contains("7 of its 7 characters"), "{err}");
        // Binary read as UTF-16 is Latin-1 letters and C1 controls, not text.
        let utf16ish: Vec<u8> = (0..400u32)
            .flat_map(|i| [0x80 + (i * 37 % 0x7f) as u8, 0])
            .collect();
        assert!(decode(&utf16ish).is_err());
        assert_eq!(
            decode("正文\u{1}含有\u{b}非法\u{1f}字符\u{0}。".as_bytes())
                .unwrap()
                .text,
            "正文含有非法字符。"
        );
    }

    #[test]
    fn binary_bytes_are_refused() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(2048).collect();
        let err = decode(&bytes).unwrap_err().to_string();
        assert!(err.contains("not a text file"), "{err}");
    }

    #[test]
    fn characters_xml_forbids_are_dropped() {
        let text = "正文\u{1}含有\u{b}非法\u{1f}字符\u{0}。\u{FFFE}\u{8}";
        assert_eq!(clean(text), "正文含有非法字符。");
        assert_eq!(clean("kubect\u{FEFF}l get pods"), "kubectl get pods");
    }

    #[test]
    fn zero_width_and_format_characters_are_not_visible() {
        for blank in [
            "",
            " \t\n\u{3000}",
            "\u{200B}",
            "\u{200C}\u{200D}\u{2060}\u{FEFF}",
            "\u{200E}\u{202E}\u{061C}",
            "\u{AD}\u{FE0F}\u{E0041}",
            "\u{1}\u{7F}\u{FFFE}",
        ] {
            assert!(!has_visible(blank), "{blank:?}");
        }
        for shown in ["a", "\u{200B}标题\u{200B}", "·", "\u{20000}", "\u{FFFD}"] {
            assert!(has_visible(shown), "{shown:?}");
        }
    }

    #[test]
    fn line_numbers_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
        let mut lines = LineCounter::new("a\nb\nc\nd");
        assert_eq!(lines.line_of(2), 2);
        assert_eq!(lines.line_of(6), 4);
        assert_eq!(lines.line_of(4), 3, "an earlier offset is counted again");
    }
}
