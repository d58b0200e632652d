//! The images that stand in for ones that cannot be had: drawn here, so the binary needs no
//! file at run time and every book gets byte-identical placeholders.

use image::{GrayImage, ImageEncoder, Luma, codecs::png::PngEncoder};

/// A 240x135 grey card with a frame and a stylized landscape: "an image was here". Small, so
/// a lesson full of missing images does not become pages of grey boxes.
pub fn article_png() -> Vec<u8> {
    let (w, h) = (240u32, 135u32);
    let img = GrayImage::from_fn(w, h, |x, y| {
        let border = x < 2 || y < 2 || x >= w - 2 || y >= h - 2;
        // A sun and a mountain, centred, in a darker grey.
        let (cx, cy) = (x as i64 - 100, y as i64 - 52);
        let sun = cx * cx + cy * cy <= 9 * 9;
        let (mx, my) = (x as i64 - 120, y as i64);
        let mountain = (65..=90).contains(&my) && mx.abs() <= (my - 55) * 2;
        Luma([if border || sun || mountain { 170 } else { 232 }])
    });
    encode(&img)
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
}
