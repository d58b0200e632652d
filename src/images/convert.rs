//! Image bytes -> files an e-reader shows well: decoded by sniffing, resized, re-encoded.
//!
//! Takes the original bytes of one image and what it is for; gives one or more JPEG or PNG files
//! (more than one when a very tall image is cut into page-sized slices). The format is read from
//! the bytes, never from a file name or a Content-Type. Decoding is bounded so that a
//! decompression bomb is refused before anything large is allocated. Nothing here touches the
//! network or the disk.

use std::collections::HashMap;
use std::io::Cursor;

use anyhow::{Context, Result, anyhow, bail};
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GenericImageView, ImageFormat, ImageReader, Limits};

use super::Kind;

/// The most pixels an image may have. 64 M pixels is a 8000x8000 photo, far beyond any article
/// image, while a 20000x20000 "bomb" (a few hundred KB of PNG) is refused before decoding.
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// Side of the square an avatar becomes: shown at 2em, so 96 px is sharp on a 300 ppi screen.
pub const AVATAR_SIZE: u32 = 96;

/// JPEG quality for photos: visually clean on e-ink and LCD at about a tenth of the raw size.
const JPEG_QUALITY: u8 = 80;

/// A slice is at most this many times as tall as it is wide: the shape of an e-reader page
/// (1264x1680 is 4:3), so each slice fills a page at full width.
const SLICE_RATIO: (u32, u32) = (4, 3);

/// Images up to this many times taller than wide are kept whole: a reader shrinks them to fit a
/// page by at most about 1.5x, which keeps text readable. Taller ones are sliced.
const MAX_WHOLE_RATIO: u32 = 2;

/// How an image is processed; part of the cache key of processed images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Settings {
    /// Article images wider than this are scaled down to it.
    pub max_width: u32,
    /// Store every image as 8-bit gray (e-ink shows 16 levels of gray anyway).
    pub grayscale: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }
}

/// One file to store in the book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// Decodes `bytes`, fits the image to its use and encodes it: one part, or several slices of a
/// very tall article image, top to bottom. `Err` says why the bytes are not a usable image.
pub fn process(bytes: &[u8], kind: Kind, settings: &Settings) -> Result<Vec<Part>> {
    let format = sniff(bytes)?;
    let image = decode(bytes, format)?;
    let image = normalize(image, settings.grayscale);
    // A JPEG is a photo or was already saved lossily; PNG would only make it bigger.
    let style = if format == ImageFormat::Jpeg {
        Style::Photo
    } else {
        Style::Lossless
    };
    match kind {
        Kind::Avatar => Ok(vec![encode(&avatar(image)?, style)]),
        Kind::Article => {
            // Shrinking line art blends new colours into its edges; it had a palette before, so
            // it gets one again (256 colours chosen to fit) instead of becoming a truecolour PNG
            // several times the size.
            let style = if style == Style::Lossless
                && image.width() > settings.max_width
                && palette(&image).is_some()
            {
                Style::LineArt
            } else {
                style
            };
            let image = fit_width(image, settings.max_width)?;
            Ok(slices(&image).iter().map(|s| encode(s, style)).collect())
        }
    }
}

/// The largest cover kept as it is; bigger ones are scaled down to fit (Kindle's recommended
/// 1600x2560, far more than any library view shows).
const MAX_COVER: (u32, u32) = (1600, 2560);

/// The book's cover from the bytes of the user's image. A JPEG or PNG within `MAX_COVER` is kept
/// byte for byte: the user chose it, and re-encoding could only lose. Anything else is decoded,
/// scaled down to fit and saved as JPEG, on white where it was transparent. `Err` says why the
/// bytes are not a usable image.
pub fn cover(bytes: &[u8]) -> Result<Part> {
    let format = sniff(bytes)?;
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| {
            let name = format!("{format:?}").to_uppercase();
            anyhow!("cannot read the {name} header: {e}")
        })?;
    let fits = width <= MAX_COVER.0 && height <= MAX_COVER.1;
    let kept = match format {
        ImageFormat::Jpeg if fits => Some(Format::Jpeg),
        ImageFormat::Png if fits => Some(Format::Png),
        _ => None,
    };
    if let Some(format) = kept {
        return Ok(Part {
            format,
            bytes: bytes.to_vec(),
        });
    }
    let image = flatten(normalize(decode(bytes, format)?, false));
    if fits {
        return Ok(jpeg(&image));
    }
    // Scaled by the tighter of the two ratios, so the other side ends up within its limit too.
    let (w, h) = (u64::from(width), u64::from(height));
    let (max_w, max_h) = (u64::from(MAX_COVER.0), u64::from(MAX_COVER.1));
    let (new_w, new_h) = if w * max_h >= h * max_w {
        (max_w, ((h * max_w + w / 2) / w).max(1))
    } else {
        (((w * max_h + h / 2) / h).max(1), max_h)
    };
    let side = |v: u64| u32::try_from(v).expect("at most the cover size");
    Ok(jpeg(&resize(&image, side(new_w), side(new_h))?))
}

/// What the source tells about the best encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// From a JPEG: stays JPEG.
    Photo,
    /// From a lossless format: PNG unless JPEG is much smaller.
    Lossless,
    /// Had at most 256 colours before scaling: a 256-colour PNG.
    LineArt,
}

/// The image format, told by the bytes alone.
fn sniff(bytes: &[u8]) -> Result<ImageFormat> {
    match image::guess_format(bytes) {
        Ok(
            f @ (ImageFormat::Jpeg
            | ImageFormat::Png
            | ImageFormat::Gif
            | ImageFormat::WebP
            | ImageFormat::Bmp),
        ) => Ok(f),
        Ok(other) => bail!("unsupported image format {other:?}"),
        Err(_) if bytes.is_empty() => bail!("the file is empty"),
        Err(_) if looks_like_html(bytes) => bail!("an HTML page, not an image"),
        Err(_) => bail!("not an image (the bytes match no known image format)"),
    }
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let start = &bytes[..bytes.len().min(512)];
    let text = String::from_utf8_lossy(start).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with('<')
        && (text.contains("<html") || text.contains("<!doctype") || text.contains("<body"))
}

/// Decodes with limits: the size is checked from the header before any pixel is decoded.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage> {
    let name = format!("{format:?}").to_uppercase();
    // Errors are flattened into one message: `ImageError` already shows its cause, and a
    // context chain would repeat it.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| anyhow!("cannot read the {name} header: {e}"))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 {
        bail!("the {name} image is empty ({width}x{height})");
    }
    if pixels > MAX_PIXELS {
        bail!(
            "the {name} image is {width}x{height} pixels, more than the {} M pixels allowed \
             (a decompression bomb, or far too large for a book)",
            MAX_PIXELS / (1024 * 1024)
        );
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        // The JPEG decoder fills a cut-off file with grey instead of failing.
        bail!("the JPEG file is truncated (no end-of-image marker)");
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // Room for the largest pixel type (RGBA 32-bit float) plus the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 16 + (64 << 20));
    reader.limits(limits);
    // For an animated GIF or WebP this is the first frame.
    reader
        .decode()
        .map_err(|e| anyhow!("cannot decode the {name} image (damaged or truncated): {e}"))
}

/// Whether the JPEG has its end-of-image marker after the image data. The segments before the
/// first scan are skipped by their lengths, so an EXIF thumbnail's marker does not count, and
/// data appended after the image (as some phones add) does no harm. Entropy-coded data cannot
/// hold the marker (a 0xFF there is followed by 0x00), so finding it proves the scan is whole.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            // Not a marker where one belongs: malformed, which the decoder will report better.
            return true;
        }
        match bytes[i + 1] {
            0xFF => i += 1, // fill byte
            0xDA => return bytes[i..].windows(2).any(|w| w == [0xFF, 0xD9]),
            0x01 | 0xD0..=0xD7 => i += 2, // markers without a length
            _ => i += 2 + usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]])),
        }
    }
    false
}

/// 8 bits per channel (the encoders and the resizer work on these), gray when asked, and no
/// alpha channel when every pixel is opaque.
fn normalize(image: DynamicImage, grayscale: bool) -> DynamicImage {
    let alpha = image.color().has_alpha() && !is_opaque(&image);
    match (grayscale, alpha) {
        (true, true) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
        (true, false) => DynamicImage::ImageLuma8(image.to_luma8()),
        (false, true) => match image {
            DynamicImage::ImageLumaA8(_) => image,
            DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
            _ => DynamicImage::ImageRgba8(image.to_rgba8()),
        },
        (false, false) => match image {
            DynamicImage::ImageLuma8(_) => image,
            DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA8(_) => {
                DynamicImage::ImageLuma8(image.to_luma8())
            }
            DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
            DynamicImage::ImageRgb8(_) => image,
            _ => DynamicImage::ImageRgb8(image.to_rgb8()),
        },
    }
}

fn is_opaque(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageRgba8(img) => img.pixels().all(|p| p.0[3] == u8::MAX),
        DynamicImage::ImageLumaA8(img) => img.pixels().all(|p| p.0[1] == u8::MAX),
        other => other.pixels().all(|(_, _, p)| p.0[3] == u8::MAX),
    }
}

/// A centred square, scaled down to `AVATAR_SIZE`, on white where it was transparent (a comment
/// list has a white page behind it, and JPEG then stays possible).
fn avatar(image: DynamicImage) -> Result<DynamicImage> {
    let (w, h) = image.dimensions();
    let side = w.min(h);
    let square = image.crop_imm((w - side) / 2, (h - side) / 2, side, side);
    let size = side.min(AVATAR_SIZE);
    let square = resize(&square, size, size)?;
    Ok(flatten(square))
}

/// Alpha composed onto white.
fn flatten(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageRgba8(img) => {
            let out = image::RgbImage::from_fn(img.width(), img.height(), |x, y| {
                let [r, g, b, a] = img.get_pixel(x, y).0;
                image::Rgb([over_white(r, a), over_white(g, a), over_white(b, a)])
            });
            DynamicImage::ImageRgb8(out)
        }
        DynamicImage::ImageLumaA8(img) => {
            let out = image::GrayImage::from_fn(img.width(), img.height(), |x, y| {
                let [l, a] = img.get_pixel(x, y).0;
                image::Luma([over_white(l, a)])
            });
            DynamicImage::ImageLuma8(out)
        }
        other => other,
    }
}

fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    // Rounded (v*a + 255*(255-a)) / 255; at most 255, so the cast is exact.
    ((v * a + 255 * (255 - a) + 127) / 255) as u8
}

/// Scaled down to `max_width` when wider; never scaled up.
fn fit_width(image: DynamicImage, max_width: u32) -> Result<DynamicImage> {
    let (w, h) = image.dimensions();
    if w <= max_width {
        return Ok(image);
    }
    let new_h = (u64::from(h) * u64::from(max_width) / u64::from(w)).max(1);
    let new_h = u32::try_from(new_h).context("image height out of range")?;
    resize(&image, max_width, new_h)
}

/// Lanczos3, which keeps the strokes of text in screenshots sharp when shrinking.
fn resize(image: &DynamicImage, width: u32, height: u32) -> Result<DynamicImage> {
    if image.dimensions() == (width, height) {
        return Ok(image.clone());
    }
    let mut out = DynamicImage::new(width, height, image.color());
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(image, &mut out, &options)
        .map_err(|e| anyhow!("cannot resize the image: {e}"))?;
    Ok(out)
}

/// A very tall image (a long screenshot) as page-shaped slices of equal height, top to bottom;
/// any other image as itself. Shrinking a 800x6000 screenshot to fit one page would leave text
/// a few pixels high, while slices at full width stay readable and page naturally.
fn slices(image: &DynamicImage) -> Vec<DynamicImage> {
    let (w, h) = image.dimensions();
    if u64::from(h) <= u64::from(w) * u64::from(MAX_WHOLE_RATIO) {
        return vec![image.clone()];
    }
    let page = (u64::from(w) * u64::from(SLICE_RATIO.0) / u64::from(SLICE_RATIO.1)).max(1);
    let count = u64::from(h).div_ceil(page);
    // Equal slices: no thin strip left over at the bottom.
    let slice = u64::from(h).div_ceil(count);
    let slice = u32::try_from(slice).expect("a slice is no taller than the image");
    (0..h)
        .step_by(slice as usize)
        .map(|top| image.crop_imm(0, top, w, slice.min(h - top)))
        .collect()
}

/// The smallest good encoding: JPEG for photos, PNG for line art (indexed when the image has
/// at most 256 colours), PNG whenever there is transparency.
fn encode(image: &DynamicImage, style: Style) -> Part {
    let alpha = image.color().has_alpha();
    if style == Style::Photo && !alpha {
        return jpeg(image);
    }
    let indexed = palette_png(image).or_else(|| match style {
        Style::LineArt => quantized_png(image),
        Style::Photo | Style::Lossless => None,
    });
    // An indexed PNG (one byte per pixel, at most 256 colours) is line art or a screenshot: JPEG
    // would blur it and is not worth encoding just to compare.
    if let Some(png) = indexed {
        return png;
    }
    let png = png(image);
    if alpha {
        return png;
    }
    // Many colours without transparency: a photo saved as PNG, or a screenshot with smooth
    // gradients. JPEG wins by far on the first; keep PNG unless it is much larger.
    let jpeg = jpeg(image);
    if png.bytes.len() > 2 * jpeg.bytes.len() {
        jpeg
    } else {
        png
    }
}

fn jpeg(image: &DynamicImage) -> Part {
    let mut bytes = Vec::new();
    // `write_with_encoder` keeps gray images one channel; `encode_image` would make them RGB.
    image
        .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY))
        .expect("8-bit gray and RGB images encode to JPEG in memory");
    Part {
        format: Format::Jpeg,
        bytes,
    }
}

/// A truecolour or gray PNG of an 8-bit image (see `normalize`).
fn png(image: &DynamicImage) -> Part {
    let color = match image {
        DynamicImage::ImageLuma8(_) => png::ColorType::Grayscale,
        DynamicImage::ImageLumaA8(_) => png::ColorType::GrayscaleAlpha,
        DynamicImage::ImageRgb8(_) => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    };
    let owned;
    let data = match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image.as_bytes(),
        other => {
            owned = other.to_rgba8();
            owned.as_raw()
        }
    };
    write_png(image.width(), image.height(), color, None, data)
}

/// An indexed PNG when the (colour) image has at most 256 distinct colours: lossless, and
/// a quarter of the pixel data of RGBA.
fn palette_png(image: &DynamicImage) -> Option<Part> {
    let (width, height) = image.dimensions();
    let (palette, indices) = palette(image)?;
    Some(write_png(
        width,
        height,
        png::ColorType::Indexed,
        Some(&palette),
        &indices,
    ))
}

/// A 256-colour PNG of a colour image, the colours chosen by NeuQuant.
fn quantized_png(image: &DynamicImage) -> Option<Part> {
    let rgba: Vec<u8> = match image {
        DynamicImage::ImageRgb8(img) => img
            .as_raw()
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        DynamicImage::ImageRgba8(img) => img.as_raw().clone(),
        _ => return None,
    };
    // NeuQuant learns from every n-th pixel: every 10th is its speed/quality middle ground, but
    // on a large image a sample of about 30,000 pixels teaches it as much, far quicker (n is at
    // most 30, NeuQuant's coarsest).
    let pixels = rgba.len() / 4;
    let sample = i32::try_from((pixels / 30_000).clamp(10, 30)).expect("between 10 and 30");
    let quant = color_quant::NeuQuant::new(sample, 256, &rgba);
    // Looking a colour up walks the network; a downscaled diagram has a few thousand distinct
    // colours over a million pixels, so each is looked up once (and runs of one colour not at all).
    let mut known: HashMap<[u8; 4], u8> = HashMap::new();
    let mut last: Option<([u8; 4], u8)> = None;
    let indices: Vec<u8> = rgba
        .chunks_exact(4)
        .map(|p| {
            let px = [p[0], p[1], p[2], p[3]];
            match last {
                Some((color, i)) if color == px => i,
                _ => {
                    let i = *known.entry(px).or_insert_with(|| {
                        u8::try_from(quant.index_of(p)).expect("at most 256 colours")
                    });
                    last = Some((px, i));
                    i
                }
            }
        })
        .collect();
    let map = quant.color_map_rgba();
    let rgb = map
        .chunks_exact(4)
        .flat_map(|c| [c[0], c[1], c[2]])
        .collect();
    let trns = map
        .chunks_exact(4)
        .any(|c| c[3] != 255)
        .then(|| map.chunks_exact(4).map(|c| c[3]).collect());
    let (width, height) = image.dimensions();
    Some(write_png(
        width,
        height,
        png::ColorType::Indexed,
        Some(&Palette { rgb, trns }),
        &indices,
    ))
}

/// The palette and the index of every pixel, if the colour image has at most 256 colours.
fn palette(image: &DynamicImage) -> Option<(Palette, Vec<u8>)> {
    let (raw, channels) = match image {
        DynamicImage::ImageRgb8(img) => (img.as_raw(), 3),
        DynamicImage::ImageRgba8(img) => (img.as_raw(), 4),
        // Gray images are already one byte per pixel.
        _ => return None,
    };
    let mut index: HashMap<[u8; 4], u8> = HashMap::with_capacity(256);
    let mut palette: Vec<[u8; 4]> = Vec::with_capacity(256);
    let mut indices = Vec::with_capacity(raw.len() / channels);
    let mut last: Option<([u8; 4], u8)> = None;
    for px in raw.chunks_exact(channels) {
        let px = [px[0], px[1], px[2], if channels == 4 { px[3] } else { 255 }];
        // Line art repeats the previous pixel most of the time; skip the hash lookup then.
        let i = match last {
            Some((color, i)) if color == px => i,
            _ => {
                let i = match index.get(&px) {
                    Some(&i) => i,
                    None => {
                        let i = u8::try_from(palette.len()).ok()?;
                        palette.push(px);
                        index.insert(px, i);
                        i
                    }
                };
                last = Some((px, i));
                i
            }
        };
        indices.push(i);
    }
    let rgb: Vec<u8> = palette.iter().flat_map(|c| [c[0], c[1], c[2]]).collect();
    let trns: Option<Vec<u8>> = palette
        .iter()
        .any(|c| c[3] != 255)
        .then(|| palette.iter().map(|c| c[3]).collect());
    Some((Palette { rgb, trns }, indices))
}

struct Palette {
    rgb: Vec<u8>,
    trns: Option<Vec<u8>>,
}

fn write_png(
    width: u32,
    height: u32,
    color: png::ColorType,
    palette: Option<&Palette>,
    data: &[u8],
) -> Part {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Balanced);
        if let Some(p) = palette {
            encoder.set_palette(p.rgb.as_slice());
            if let Some(trns) = &p.trns {
                encoder.set_trns(trns.as_slice());
            }
        }
        let mut writer = encoder
            .write_header()
            .expect("writing a PNG header to memory cannot fail");
        writer
            .write_image_data(data)
            .expect("the pixel buffer matches the PNG header");
    }
    Part {
        format: Format::Png,
        bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const SETTINGS: Settings = Settings {
        max_width: 1264,
        grayscale: false,
    };

    fn sample(name: &str) -> Option<Vec<u8>> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/checks/images")
            .join(name);
        match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                eprintln!(
                    "SKIPPED: the sample image `{}` is missing ({e}); these tests need ../shared",
                    path.display()
                );
                None
            }
        }
    }

    fn decoded(part: &Part) -> DynamicImage {
        let format = image::guess_format(&part.bytes).unwrap();
        assert_eq!(
            format,
            match part.format {
                Format::Jpeg => ImageFormat::Jpeg,
                Format::Png => ImageFormat::Png,
            }
        );
        image::load_from_memory(&part.bytes).unwrap()
    }

    #[test]
    fn large_photo_is_fitted_to_the_width_as_baseline_jpeg() {
        let Some(bytes) = sample("photo-3000x2000.jpg") else {
            return;
        };
        let parts = process(&bytes, Kind::Article, &SETTINGS).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].format, Format::Jpeg);
        assert_eq!(decoded(&parts[0]).dimensions(), (1264, 842));
        // SOF0 (baseline), not SOF2 (progressive).
        assert!(parts[0].bytes.windows(2).any(|w| w == [0xFF, 0xC0]));
        assert!(!parts[0].bytes.windows(2).any(|w| w == [0xFF, 0xC2]));
    }

    #[test]
    fn diagram_stays_a_palette_png_when_scaled_down() {
        let Some(bytes) = sample("diagram-1400x900.png") else {
            return;
        };
        let parts = process(&bytes, Kind::Article, &SETTINGS).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].format, Format::Png);
        assert_eq!(decoded(&parts[0]).dimensions(), (1264, 812));
        let reader = png::Decoder::new(Cursor::new(parts[0].bytes.as_slice()))
            .read_info()
            .unwrap();
        assert_eq!(reader.info().color_type, png::ColorType::Indexed);
    }

    #[test]
    fn small_images_are_never_upscaled() {
        let Some(bytes) = sample("progressive-1200x800.jpg") else {
            return;
        };
        let parts = process(&bytes, Kind::Article, &SETTINGS).unwrap();
        assert_eq!(decoded(&parts[0]).dimensions(), (1200, 800));
        assert!(parts[0].bytes.windows(2).any(|w| w == [0xFF, 0xC0]));
    }

    #[test]
    fn long_screenshot_is_cut_into_page_shaped_slices() {
        let Some(bytes) = sample("long-screenshot-800x6000.png") else {
            return;
        };
        let parts = process(&bytes, Kind::Article, &SETTINGS).unwrap();
        // A page at 800 px wide is 1066 px tall: 6000 px take 6 slices of 1000 px.
        assert_eq!(parts.len(), 6);
        let mut total = 0;
        for part in &parts {
            let (w, h) = decoded(part).dimensions();
            assert_eq!(w, 800);
            assert!(h * 3 <= w * 4, "slice {w}x{h} is taller than a page");
            total += h;
        }
        assert_eq!(total, 6000);
    }

    #[test]
    fn cmyk_webp_and_animated_gif_become_rgb_jpeg_or_png() {
        for (name, size) in [
            ("cmyk-1000x700.jpg", (1000, 700)),
            ("picture-800x600.webp", (800, 600)),
            ("animated-320x240.gif", (320, 240)),
        ] {
            let Some(bytes) = sample(name) else {
                return;
            };
            let parts = process(&bytes, Kind::Article, &SETTINGS).unwrap_or_else(|e| {
                panic!("{name}: {e:#}");
            });
            assert_eq!(parts.len(), 1, "{name}");
            let image = decoded(&parts[0]);
            assert_eq!(image.dimensions(), size, "{name}");
            assert!(
                matches!(image.color(), image::ColorType::Rgb8 | image::ColorType::L8)
                    || parts[0].format == Format::Png,
                "{name}: {:?}",
                image.color()
            );
        }
    }

    #[test]
    fn avatars_become_small_squares_on_white() {
        for name in ["avatar-132.jpg", "avatar-96.jpg", "avatar-alpha.png"] {
            let Some(bytes) = sample(name) else {
                return;
            };
            let parts = process(&bytes, Kind::Avatar, &SETTINGS).unwrap();
            assert_eq!(parts.len(), 1);
            let image = decoded(&parts[0]);
            assert_eq!(image.dimensions(), (AVATAR_SIZE, AVATAR_SIZE), "{name}");
            assert!(!image.color().has_alpha(), "{name}");
        }
    }

    #[test]
    fn grayscale_gives_gray_images() {
        let Some(bytes) = sample("photo-3000x2000.jpg") else {
            return;
        };
        let gray = Settings {
            grayscale: true,
            ..SETTINGS
        };
        let parts = process(&bytes, Kind::Article, &gray).unwrap();
        assert_eq!(parts[0].format, Format::Jpeg);
        assert_eq!(decoded(&parts[0]).color(), image::ColorType::L8);
    }

    #[test]
    fn few_colours_give_an_indexed_png() {
        let img = image::RgbImage::from_fn(300, 200, |x, _| {
            if x < 150 {
                image::Rgb([255, 255, 255])
            } else {
                image::Rgb([10, 20, 200])
            }
        });
        let mut src = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut src), ImageFormat::Png)
            .unwrap();
        let parts = process(&src, Kind::Article, &SETTINGS).unwrap();
        assert_eq!(parts[0].format, Format::Png);
        let decoder = png::Decoder::new(Cursor::new(parts[0].bytes.as_slice()));
        let reader = decoder.read_info().unwrap();
        assert_eq!(reader.info().color_type, png::ColorType::Indexed);
        let back = decoded(&parts[0]).to_rgb8();
        assert_eq!(back.get_pixel(10, 10).0, [255, 255, 255]);
        assert_eq!(back.get_pixel(200, 10).0, [10, 20, 200]);
    }

    #[test]
    fn truncated_png_is_refused_and_jpeg_with_trailing_data_accepted() {
        let Some(png) = sample("diagram-1400x900.png") else {
            return;
        };
        let cut = &png[..png.len() / 2];
        assert!(process(cut, Kind::Article, &SETTINGS).is_err());
        let Some(mut jpeg) = sample("avatar-96.jpg") else {
            return;
        };
        jpeg.extend_from_slice(&[0u8; 4096]);
        assert_eq!(process(&jpeg, Kind::Avatar, &SETTINGS).unwrap().len(), 1);
    }

    #[test]
    fn bad_bytes_are_refused_with_a_reason() {
        let cases = [
            ("garbage.bin", "not an image"),
            ("not-an-image.html", "HTML page"),
            ("truncated.jpg", "truncated"),
            ("bomb-20000x20000.png", "20000x20000"),
        ];
        for (name, reason) in cases {
            let Some(bytes) = sample(name) else {
                return;
            };
            let err = process(&bytes, Kind::Article, &SETTINGS).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(reason), "{name}: {text}");
        }
        assert!(
            format!("{:#}", process(b"", Kind::Avatar, &SETTINGS).unwrap_err()).contains("empty")
        );
    }

    #[test]
    fn a_cover_that_fits_is_kept_and_any_other_becomes_a_jpeg_that_fits() {
        let (Some(photo), Some(alpha), Some(webp)) = (
            sample("photo-3000x2000.jpg"),
            sample("avatar-alpha.png"),
            sample("picture-800x600.webp"),
        ) else {
            return;
        };
        let kept = cover(&alpha).unwrap();
        assert_eq!((kept.format, &kept.bytes), (Format::Png, &alpha));
        for (bytes, size) in [(&photo, (1600, 1067)), (&webp, (800, 600))] {
            let part = cover(bytes).unwrap();
            assert_eq!(part.format, Format::Jpeg);
            assert_eq!(decoded(&part).dimensions(), size);
        }
    }

    #[test]
    fn a_cover_too_tall_is_scaled_to_fit_on_white_where_transparent() {
        // Transparent above, opaque blue below.
        let img = image::RgbaImage::from_fn(500, 3000, |_, y| {
            image::Rgba(if y < 1500 {
                [0, 0, 0, 0]
            } else {
                [0, 0, 200, 255]
            })
        });
        let mut src = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut src), ImageFormat::Png)
            .unwrap();
        let part = cover(&src).unwrap();
        assert_eq!(part.format, Format::Jpeg);
        let back = decoded(&part).to_rgb8();
        assert_eq!(back.dimensions(), (427, 2560));
        let near = |p: &image::Rgb<u8>, want: [u8; 3]| {
            p.0.iter().zip(want).all(|(&a, b)| a.abs_diff(b) <= 8)
        };
        assert!(near(back.get_pixel(200, 100), [255, 255, 255]));
        assert!(near(back.get_pixel(200, 2400), [0, 0, 200]));
    }

    #[test]
    fn a_cover_is_refused_as_any_image_would_be() {
        for (name, reason) in [
            ("bomb-20000x20000.png", "20000x20000"),
            ("not-an-image.html", "HTML page"),
        ] {
            let Some(bytes) = sample(name) else {
                return;
            };
            let text = format!("{:#}", cover(&bytes).unwrap_err());
            assert!(text.contains(reason), "{name}: {text}");
        }
    }
}
