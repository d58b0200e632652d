//! The colours of a generated cover that depend on its title.

use image::Rgb;
use sha2::{Digest, Sha256};

/// The colours that depend on the title: a field chosen from a hash of it (so every column looks
/// different in a library view, and the same column always the same), and a darker band.
pub(super) struct Palette {
    pub(super) background: Rgb<u8>,
    pub(super) band: Rgb<u8>,
}

pub(super) fn for_title(title: &str) -> Palette {
    let hash = Sha256::digest(title.as_bytes());
    let hue = u16::from_be_bytes([hash[0], hash[1]]) as f32 / 65535.0 * 360.0;
    Palette {
        background: hsl_to_rgb(hue, 0.45, 0.35),
        band: hsl_to_rgb(hue, 0.45, 0.25),
    }
}

/// `h` in degrees, `s` and `l` in 0..=1.
fn hsl_to_rgb(h: f32, s: f32, l: f32) -> Rgb<u8> {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match h as u32 {
        0..60 => (c, x, 0.0),
        60..120 => (x, c, 0.0),
        120..180 => (0.0, c, x),
        180..240 => (0.0, x, c),
        240..300 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let to_u8 = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    Rgb([to_u8(r), to_u8(g), to_u8(b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsl_converts_to_the_expected_rgb() {
        assert_eq!(hsl_to_rgb(0.0, 1.0, 0.5), Rgb([255, 0, 0]));
        assert_eq!(hsl_to_rgb(120.0, 1.0, 0.5), Rgb([0, 255, 0]));
        assert_eq!(hsl_to_rgb(240.0, 1.0, 0.5), Rgb([0, 0, 255]));
        assert_eq!(hsl_to_rgb(60.0, 1.0, 0.25), Rgb([128, 128, 0]));
        assert_eq!(hsl_to_rgb(359.9, 0.0, 0.5), Rgb([128, 128, 128]));
    }

    #[test]
    fn the_band_is_a_darker_shade_of_the_background_and_titles_differ() {
        let a = for_title("Linux性能优化实战");
        let luma = |c: Rgb<u8>| c.0.iter().map(|&v| u32::from(v)).sum::<u32>();
        assert!(luma(a.band) < luma(a.background));
        assert_eq!(for_title("Linux性能优化实战").background, a.background);
        assert_ne!(for_title("SRE实战手册").background, a.background);
    }
}
