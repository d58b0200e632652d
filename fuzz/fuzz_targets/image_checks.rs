//! What the `process_image` target asserts, shared with the test suite
//! (`tests/testsuite/images.rs` includes this file and replays the target's inputs through it).

use lessonpub::images::Kind;
use lessonpub::images::convert::{self, Settings};

/// The settings the first byte of an image target's input chooses, and whether it also makes a
/// cover of the rest: bit 0 avatar, bit 1 grayscale, bits 2-3 the width, bit 4 a cover.
fn image_settings(first: u8) -> (Kind, Settings, bool) {
    let kind = if first & 1 == 0 {
        Kind::Article
    } else {
        Kind::Avatar
    };
    let settings = Settings {
        grayscale: first & 2 != 0,
        max_width: [64, 758, 1264, 8192][usize::from(first >> 2 & 3)],
    };
    (kind, settings, first & 16 != 0)
}

/// A settings byte then image bytes -> `convert::process` (and `convert::cover`): either a
/// reason, or parts that are what they claim to be and within every cap.
pub fn image(data: &[u8]) {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let (kind, settings, cover) = image_settings(first);
    if let Ok(parts) = convert::process(bytes, kind, &settings) {
        assert!(!parts.is_empty() && parts.len() <= convert::MAX_SLICES);
        let total: u64 = parts.iter().map(|p| p.bytes.len() as u64).sum();
        assert!(total <= convert::MAX_OUTPUT_BYTES);
        let sizes: Vec<(u32, u32)> = parts.iter().map(part_size).collect();
        let pixels: u64 = sizes
            .iter()
            .map(|&(w, h)| u64::from(w) * u64::from(h))
            .sum();
        assert!(pixels <= convert::MAX_OUTPUT_PIXELS, "{pixels} pixels");
        for &(w, h) in &sizes {
            match kind {
                Kind::Avatar => assert!(w == h && w <= convert::AVATAR_SIZE, "{w}x{h}"),
                // Slices share the width of the image they were cut from.
                Kind::Article => assert!(w <= settings.max_width && w == sizes[0].0, "{w}x{h}"),
            }
        }
    }
    if cover && let Ok(part) = convert::cover(bytes) {
        let (w, h) = part_size(&part);
        // A JPEG or PNG that fits is kept as it is; anything else is converted to fit.
        assert!(w <= 1600 && h <= 2560 || part.bytes == bytes, "{w}x{h}");
    }
}

/// The size of a part, which must decode as the format it says it is.
fn part_size(part: &convert::Part) -> (u32, u32) {
    let format = match part.format {
        convert::Format::Jpeg => image::ImageFormat::Jpeg,
        convert::Format::Png => image::ImageFormat::Png,
    };
    assert_eq!(image::guess_format(&part.bytes).ok(), Some(format));
    let decoded = image::load_from_memory_with_format(&part.bytes, format)
        .unwrap_or_else(|e| panic!("a {format:?} part that does not decode: {e}"));
    assert!(decoded.width() >= 1 && decoded.height() >= 1);
    (decoded.width(), decoded.height())
}
