//! The book's cover image: a generated one, drawn from the title, unless the user gives one.

use image::{ImageEncoder, Rgb, RgbImage, codecs::png::PngEncoder};
use sha2::{Digest, Sha256};

use crate::model::Asset;

/// The largest cover kept as it is; bigger ones are scaled down to fit (Kindle's recommended
/// 1600x2560, far more than any library view shows).
const MAX_USER_COVER: (u32, u32) = (1600, 2560);

/// The user's cover image (`--cover`). JPEG and PNG within the size limit are embedded as they
/// are; anything else is decoded (by its bytes, not its name), scaled to fit and re-encoded.
pub fn from_file(path: &std::path::Path) -> anyhow::Result<Asset> {
    use anyhow::Context;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read cover image `{}`", path.display()))?;
    let unreadable = || {
        format!(
            "cover image `{}` is not a picture lessonpub can read (JPEG, PNG, WebP, GIF, BMP)",
            path.display()
        )
    };
    let format = image::guess_format(&bytes).with_context(unreadable)?;
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(&bytes), format);
    reader.limits(limits_for_cover());
    let (width, height) = reader.into_dimensions().with_context(unreadable)?;
    let fits = width <= MAX_USER_COVER.0 && height <= MAX_USER_COVER.1;
    match format {
        image::ImageFormat::Jpeg if fits => return Ok(cover_asset("jpg", "image/jpeg", bytes)),
        image::ImageFormat::Png if fits => return Ok(cover_asset("png", "image/png", bytes)),
        _ => {}
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(&bytes), format);
    reader.limits(limits_for_cover());
    let img = reader.decode().with_context(unreadable)?;
    let img = if fits {
        img
    } else {
        img.resize(
            MAX_USER_COVER.0,
            MAX_USER_COVER.1,
            image::imageops::FilterType::Lanczos3,
        )
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88)
        .encode_image(&img.to_rgb8())
        .with_context(|| format!("cannot encode cover image `{}`", path.display()))?;
    Ok(cover_asset("jpg", "image/jpeg", out))
}

fn limits_for_cover() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(512 * 1024 * 1024);
    limits
}

fn cover_asset(extension: &str, media_type: &'static str, bytes: Vec<u8>) -> Asset {
    Asset {
        book_path: format!("images/cover.{extension}"),
        media_type,
        bytes,
    }
}

/// Cover size: the 1:1.6 portrait ratio Kindle and Kobo library views expect.
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 1600;

/// A cover drawn for `title`: a colour field chosen from the title (so every column looks
/// different in a library view, and the same column always the same), with a light panel.
pub fn generated(title: &str) -> Asset {
    let hash = Sha256::digest(title.as_bytes());
    let hue = u16::from_be_bytes([hash[0], hash[1]]) as f32 / 65535.0 * 360.0;
    let background = hsl_to_rgb(hue, 0.45, 0.35);
    let band = hsl_to_rgb(hue, 0.45, 0.25);
    let panel = Rgb([246, 244, 238]);
    let img = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let in_panel = (80..WIDTH - 80).contains(&x) && (360..1080).contains(&y);
        let in_band = (1280..1340).contains(&y);
        if in_panel {
            panel
        } else if in_band {
            band
        } else {
            background
        }
    });
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(img.as_raw(), WIDTH, HEIGHT, image::ExtendedColorType::Rgb8)
        .expect("encoding an in-memory PNG cannot fail");
    Asset {
        book_path: "images/cover.png".into(),
        media_type: "image/png",
        bytes,
    }
}

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
    fn cover_is_a_portrait_png_that_depends_on_the_title() {
        let a = generated("Linux性能优化实战");
        let img = image::load_from_memory(&a.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        assert_eq!(a.bytes, generated("Linux性能优化实战").bytes);
        assert_ne!(a.bytes, generated("SRE实战手册").bytes);
    }
}
