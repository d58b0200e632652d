//! The images that stand in for ones that cannot be had: drawn here, so the binary needs no
//! file at run time and every book gets byte-identical placeholders.

use image::{GrayImage, ImageEncoder, Luma, codecs::png::PngEncoder};

/// A 480x270 grey card with a frame and a stylized landscape: "an image was here".
pub fn article_png() -> Vec<u8> {
    let (w, h) = (480u32, 270u32);
    let img = GrayImage::from_fn(w, h, |x, y| {
        let border = x < 3 || y < 3 || x >= w - 3 || y >= h - 3;
        // A sun and a mountain, centred, in a darker grey.
        let (cx, cy) = (x as i64 - 200, y as i64 - 105);
        let sun = cx * cx + cy * cy <= 18 * 18;
        let (mx, my) = (x as i64 - 240, y as i64);
        let mountain = (130..=180).contains(&my) && mx.abs() <= (my - 110) * 2;
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
        assert_eq!((article.width(), article.height()), (480, 270));
        let avatar = image::load_from_memory(&avatar_png()).unwrap();
        assert_eq!((avatar.width(), avatar.height()), (96, 96));
    }
}
