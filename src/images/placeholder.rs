//! The images that stand in for ones that cannot be had: drawn here, so the binary needs no
//! file at run time and every book gets byte-identical placeholders.

use image::{GrayImage, ImageEncoder, Luma, codecs::png::PngEncoder};

/// What the article placeholder says under its picture.
pub const ARTICLE_LABEL: &str = "图片未能下载";

/// A 240x135 grey card with a frame, a stylized landscape and the words "图片未能下载" (the
/// image could not be downloaded): a reader learns that something is missing, not just sees a
/// grey box. Small, so a lesson full of missing images does not become pages of grey boxes.
pub fn article_png() -> Vec<u8> {
    let (w, h) = (240u32, 135u32);
    let card = GrayImage::from_fn(w, h, |x, y| {
        let border = x < 2 || y < 2 || x >= w - 2 || y >= h - 2;
        // A sun and a mountain, in a darker grey, above the words.
        let (cx, cy) = (x as i64 - 100, y as i64 - 30);
        let sun = cx * cx + cy * cy <= 9 * 9;
        let (mx, my) = (x as i64 - 120, y as i64);
        let mountain = (45..=70).contains(&my) && mx.abs() <= (my - 35) * 2;
        Luma([if border || sun || mountain { 170 } else { 232 }])
    });
    let mut rgb = image::DynamicImage::ImageLuma8(card).to_rgb8();
    crate::cover::draw_centred(
        &mut rgb,
        ARTICLE_LABEL,
        22.0,
        w as f32 / 2.0,
        108.0,
        image::Rgb([80, 80, 80]),
    );
    encode(&image::DynamicImage::ImageRgb8(rgb).to_luma8())
}

/// A 96x96 grey head-and-shoulders silhouette for a missing avatar.
pub fn avatar_png() -> Vec<u8> {
    let img = GrayImage::from_fn(96, 96, |x, y| {
        let (x, y) = (x as i64, y as i64);
        let head = (x - 48).pow(2) + (y - 36).pow(2) <= 18 * 18;
        let body = (x - 48).pow(2) + (y - 100).pow(2) <= 36 * 36;
        Luma([if head || body { 175 } else { 225 }])
    });
    encode(&img)
}

fn encode(img: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::L8,
        )
        .expect("encoding a small in-memory PNG cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_valid_pngs_of_the_stated_size() {
        let article = image::load_from_memory(&article_png()).unwrap();
        assert_eq!((article.width(), article.height()), (240, 135));
        let avatar = image::load_from_memory(&avatar_png()).unwrap();
        assert_eq!((avatar.width(), avatar.height()), (96, 96));
    }

    #[test]
    fn the_article_placeholder_carries_its_words_below_the_picture() {
        let card = image::load_from_memory(&article_png()).unwrap().to_luma8();
        // Dark ink (the words) only in the band where they are set, none in the picture above.
        let dark_rows: Vec<u32> = (0..card.height())
            .filter(|&y| (4..card.width() - 4).any(|x| card.get_pixel(x, y).0[0] < 120))
            .collect();
        assert!(!dark_rows.is_empty());
        assert!(
            dark_rows.iter().all(|&y| (85..125).contains(&y)),
            "{dark_rows:?}"
        );
    }
}
