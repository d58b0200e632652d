//! Image bytes -> files an e-reader shows well: decoded by sniffing, resized, re-encoded.
//!
//! Takes the original bytes of one image and what it is for; gives one or more JPEG or PNG files
//! (more than one when a very tall image is cut into page-sized slices). The format is read from
//! the bytes, never from a file name or a Content-Type. Nothing here touches the network or the
//! disk.
//!
//! What one image may cost is bounded whatever its bytes say: its pixels by `MAX_PIXELS` and
//! `MAX_IMAGE_MEMORY`, checked from the header before anything large is allocated; everything
//! else a decoder keeps (ICC profiles, EXIF, text chunks, a GIF frame) by `MAX_METADATA_BYTES`;
//! and what it becomes in the book by `MAX_SLICES`, `MAX_OUTPUT_PIXELS` and `MAX_OUTPUT_BYTES`.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::ops::{Range, RangeInclusive};

use anyhow::{Result, anyhow, bail};
use fast_image_resize::images::CroppedImageMut;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::bmp::BmpDecoder;
use image::codecs::gif::GifDecoder;
use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::{
    DynamicImage, GenericImageView, GrayImage, ImageDecoder, ImageError, ImageFormat, ImageResult,
    Limits, RgbImage,
};

use super::Kind;

/// The most pixels an image may have. 64 M pixels is a 8000x8000 photo, far beyond any article
/// image, while a 20000x20000 "bomb" (a few hundred KB of PNG) is refused before decoding.
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// The most memory one image may take while it is decoded and converted, as `working_set`
/// estimates it from the header before anything large is allocated. A photo of `MAX_PIXELS`
/// fits at the default width (3 bytes a pixel, and less than 1 more to resize it); an image with
/// alpha (about 8 bytes a pixel: 32 M pixels), a 16-bit PNG, a progressive JPEG or a WebP needs
/// more a pixel, so it may have fewer pixels.
pub const MAX_IMAGE_MEMORY: u64 = 256 << 20;

/// The most a decoder may allocate for one image besides its pixels: ICC profiles, EXIF and text
/// chunks (a compressed ICC profile of 1.5 MB inflates to gigabytes), a GIF frame placed off the
/// screen's origin. Real images need a few hundred KB; a PNG whose text needs more is refused,
/// and an ICC profile that would inflate beyond it is dropped (it is never used anyway).
pub const MAX_METADATA_BYTES: u64 = 16 << 20;

/// Side of the square an avatar becomes: shown at 2em, so 96 px is sharp on a 300 ppi screen.
pub const AVATAR_SIZE: u32 = 96;

/// JPEG quality for photos: libjpeg's default, visually clean on e-ink and LCD at about a
/// twelfth of the raw size.
const JPEG_QUALITY: u8 = 75;

/// A picture from a lossless format is a drawing (a diagram, a table, a screenshot) when at
/// least this share of its pixels repeat their left neighbour: 0.8-0.98 in the drawings and
/// screenshots of the realistic image set, under 0.1 in its photos saved as PNG.
const DRAWING_FLATNESS: f64 = 0.5;

/// E-ink screens show 16 levels of gray; a gray drawing needs no more (4 bits a pixel).
const EINK_LEVELS: u8 = 16;

/// With `grayscale`, a drawing is stored in 4 grays of its own (2 bits a pixel) when they stay
/// this close to it: the root-mean-square difference, in 8-bit levels. Rounding to e-ink's 16
/// evenly spaced levels alone differs by up to 4.9 (a step of 17 over the square root of 12).
/// The diagrams, tables and terminal screenshots of the realistic image set keep their fills,
/// lines and text in 4 grays at 4.1-8.3, only their anti-aliasing coarser, and take 41% less
/// room; a smooth gradient would be 17 off in 4 bands and keeps its 16 levels.
const MAX_FOUR_GRAY_RMS: f64 = 10.0;

/// A slice is at most this many times as tall as it is wide: the shape of an e-reader page
/// (1264x1680 is 4:3), so each slice fills a page at full width.
const SLICE_RATIO: (u32, u32) = (4, 3);

/// Images up to this many times taller than wide are kept whole: a reader shrinks them to fit a
/// page by at most about 1.5x, which keeps text readable. Taller ones are sliced.
const MAX_WHOLE_RATIO: u32 = 2;

/// The most slices one image is cut into: 50 pages of one picture is already more than anyone
/// reads. An image taller than that many page-shaped slices (a 1 x 100,000 strip would make
/// 75,000) is cut into this many taller ones, which the reader shrinks to fit.
pub const MAX_SLICES: usize = 50;

/// Images narrower than this are never sliced: a strip a few pixels wide holds no text to keep
/// readable, and slicing it would make one tiny picture per few pixels of height. When taller
/// than a page it is scaled down to a page's height instead.
const MIN_SLICE_WIDTH: u32 = 64;

/// The most pixels one article image may have in the book, all its slices together: 15 pages
/// at the default width. Larger ones (a long screenshot at a wide `--max-width`) are scaled
/// down to it, which also bounds what encoding them costs.
pub const MAX_OUTPUT_PIXELS: u64 = 32 * 1024 * 1024;

/// The most bytes one image may take in the book, all its parts together; an image that
/// compresses so badly is refused rather than stored.
pub const MAX_OUTPUT_BYTES: u64 = 64 << 20;

/// How an image is processed; part of the cache key of processed images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Settings {
    /// Article images wider than this are scaled down to it.
    pub max_width: u32,
    /// Store every image in gray: e-ink shows 16 levels of it (see `gray_png`).
    pub grayscale: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
///
/// Every image is encoded once, in the format its kind calls for: what comes as JPEG is a photo
/// or was saved lossily already, and stays JPEG; a drawing becomes a PNG of at most 256 colours
/// (16 grays with `grayscale`); anything else is a photo, whatever format it came in.
pub fn process(bytes: &[u8], kind: Kind, settings: &Settings) -> Result<Vec<Part>> {
    let format = sniff(bytes)?;
    let plan = |width, height| Plan::new(kind, width, height, settings);
    let image = decode(bytes, format, settings.grayscale, plan)?;
    let image = normalize(image, settings.grayscale);
    let plan = plan(image.width(), image.height());
    // Told before scaling, which blends the edges of flat areas into new colours.
    let style = if format != ImageFormat::Jpeg && (is_drawing(&image) || few_colours(&image)) {
        Style::Drawing
    } else {
        Style::Photo
    };
    let encoding = Encoding {
        style,
        grayscale: settings.grayscale,
    };
    let parts = match kind {
        Kind::Avatar => {
            let square = resize(crop_centre(image, plan.crop), plan.size, style)?;
            vec![encoding.encode(&square)?]
        }
        Kind::Article => encode_slices(image, &plan, style, encoding)?,
    };
    let total: u64 = parts.iter().map(|p| p.bytes.len() as u64).sum();
    if total > MAX_OUTPUT_BYTES {
        bail!(
            "the image takes {} MB once converted, more than the {} MB allowed for one image",
            total.div_ceil(1 << 20),
            MAX_OUTPUT_BYTES >> 20
        );
    }
    Ok(parts)
}

/// About the most memory `process` will take for an image of `len` bytes, read from `head`, its
/// first bytes, alone (see `working_set`), so that the bytes need not be in memory before the
/// memory is had. 0 for bytes that are no image, which `process` refuses before it allocates
/// anything large; `None` when `head` is shorter than the image and its header does not end
/// within it (a large ICC profile or EXIF block can push it far in).
pub fn memory_needed(head: &[u8], len: u64, kind: Kind, settings: &Settings) -> Option<u64> {
    let Ok(format) = sniff(head) else {
        return Some(0);
    };
    let decoder = match open(head, format) {
        Ok(decoder) => decoder,
        Err(_) if (head.len() as u64) < len => return None,
        Err(_) => return Some(0),
    };
    let (width, height) = decoder.dimensions();
    let plan = Plan::new(kind, width, height, settings);
    Some(working_set(
        &*decoder,
        format,
        (head, len),
        settings.grayscale,
        &plan,
        Colours::Typical,
    ))
}

/// What a decoded image becomes, decided from its size alone, so that what converting it costs
/// is known before it is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    /// Cut to this size around its centre first (an avatar's square); its own size if not.
    crop: (u32, u32),
    /// Then resized to this size.
    size: (u32, u32),
    /// Then encoded in slices of about this height, each cut moved to the quietest row near it
    /// (see `cuts`); its height if not sliced.
    slice: u32,
}

impl Plan {
    /// What an image of this size becomes for `kind`.
    fn new(kind: Kind, width: u32, height: u32, settings: &Settings) -> Plan {
        match kind {
            Kind::Article => Plan::article(width, height, settings.max_width),
            Kind::Avatar => Plan::avatar(width, height),
        }
    }

    /// An article image: scaled down to `max_width` when wider, never up; a narrow strip taller
    /// than a page scaled down to a page's height; then scaled down to `MAX_OUTPUT_PIXELS` when
    /// still larger. A very tall image (but no strip) is cut into page-shaped slices, at most
    /// `MAX_SLICES`.
    fn article(width: u32, height: u32, max_width: u32) -> Plan {
        let (w, h) = (u64::from(width), u64::from(height));
        let max_w = u64::from(max_width);
        // Heights follow from widths as scaling to `max_width` always has: rounded down.
        let height_at = |new_w: u64| (h * new_w / w).max(1);
        let (mut new_w, mut new_h) = if w > max_w {
            (max_w, height_at(max_w))
        } else {
            (w, h)
        };
        let tall = |w: u64, h: u64| h > w * u64::from(MAX_WHOLE_RATIO);
        let page = |w: u64| (w * u64::from(SLICE_RATIO.0) / u64::from(SLICE_RATIO.1)).max(1);
        let strip = new_w < u64::from(MIN_SLICE_WIDTH) && tall(new_w, new_h);
        if strip && new_h > page(max_w) {
            new_h = page(max_w);
            new_w = (w * new_h / h).max(1);
        } else if new_w * new_h > MAX_OUTPUT_PIXELS {
            // The largest width whose height keeps the area within the cap: at least 1, since
            // a strip (narrower than `MIN_SLICE_WIDTH`) never gets here with more pixels than
            // `MAX_PIXELS` allows.
            new_w = ((MAX_OUTPUT_PIXELS as f64 * w as f64 / h as f64).sqrt() as u64).max(1);
            while new_w > 1 && new_w * height_at(new_w) > MAX_OUTPUT_PIXELS {
                new_w -= 1;
            }
            new_h = height_at(new_w);
        }
        let slice = if strip || !tall(new_w, new_h) {
            new_h
        } else {
            // About equal slices, no thin strip left over at the bottom; an eighth shorter than
            // a page, so that moving each cut to a quiet row (see `cuts`) keeps them within one.
            let count = new_h
                .div_ceil((page(new_w) * 7 / 8).max(1))
                .min(MAX_SLICES as u64);
            new_h.div_ceil(count)
        };
        let side = |v: u64| u32::try_from(v).expect("never larger than the image");
        Plan {
            crop: (width, height),
            size: (side(new_w), side(new_h)),
            slice: side(slice),
        }
    }

    /// An avatar: the centred square, scaled down to `AVATAR_SIZE`.
    fn avatar(width: u32, height: u32) -> Plan {
        let side = width.min(height);
        let size = side.min(AVATAR_SIZE);
        Plan {
            crop: (side, side),
            size: (size, size),
            slice: size,
        }
    }

    /// A cover: scaled down to fit `MAX_COVER`, by the tighter of the two ratios so the other
    /// side ends up within its limit too.
    fn cover(width: u32, height: u32) -> Plan {
        let (w, h) = (u64::from(width), u64::from(height));
        let (max_w, max_h) = (u64::from(MAX_COVER.0), u64::from(MAX_COVER.1));
        let (new_w, new_h) = if w <= max_w && h <= max_h {
            (w, h)
        } else if w * max_h >= h * max_w {
            (max_w, ((h * max_w + w / 2) / w).max(1))
        } else {
            (((w * max_h + h / 2) / h).max(1), max_h)
        };
        let side = |v: u64| u32::try_from(v).expect("at most the image");
        Plan {
            crop: (width, height),
            size: (side(new_w), side(new_h)),
            slice: side(new_h),
        }
    }
}

/// `part` encoded again from its own pixels, exactly as `process` encoded it: what the floor
/// benchmark (`benches/floor.rs`) times as the least encoding a book's pictures need.
pub fn reencode(part: &Part) -> Result<Part> {
    match part.format {
        Format::Jpeg => jpeg(&image::load_from_memory(&part.bytes)?),
        Format::Png => {
            let mut decoder = png::Decoder::new(Cursor::new(part.bytes.as_slice()));
            decoder.set_transformations(png::Transformations::IDENTITY);
            let mut reader = decoder.read_info()?;
            let mut data = vec![0; reader.output_buffer_size().unwrap_or(0)];
            let frame = reader.next_frame(&mut data)?;
            let info = reader.info();
            let (width, height) = (info.width, info.height);
            Ok(match (info.color_type, &info.palette) {
                (png::ColorType::Indexed, Some(palette)) => {
                    let indices: Vec<u8> = match frame.bit_depth {
                        png::BitDepth::Eight => data,
                        depth => {
                            let bits = depth as u8;
                            let mask = (1u8 << bits) - 1;
                            (data.chunks(frame.line_size))
                                .take(height as usize)
                                .flat_map(|row| {
                                    let pixels = row.iter().flat_map(|&b| {
                                        (1..=8 / bits).map(move |i| b >> (8 - bits * i) & mask)
                                    });
                                    pixels.take(width as usize)
                                })
                                .collect()
                        }
                    };
                    indexed_png(width, height, palette, &indices)
                }
                (color, _) => write_png(width, height, color, frame.bit_depth, None, &data),
            })
        }
    }
}

/// The largest cover kept as it is; bigger ones are scaled down to fit (Kindle's recommended
/// 1600x2560, far more than any library view shows).
const MAX_COVER: (u32, u32) = (1600, 2560);

/// The book's cover from the bytes of the user's image. A JPEG or PNG within `MAX_COVER` that
/// decodes is kept byte for byte: the user chose it, and re-encoding could only lose. Anything else is decoded,
/// scaled down to fit and saved as JPEG, on white where it was transparent. `Err` says why the
/// bytes are not a usable image.
pub fn cover(bytes: &[u8]) -> Result<Part> {
    let format = sniff(bytes)?;
    let (width, height) = open(bytes, format)?.dimensions();
    let fits = width <= MAX_COVER.0 && height <= MAX_COVER.1;
    let kept = match format {
        ImageFormat::Jpeg if fits => Some(Format::Jpeg),
        ImageFormat::Png if fits => Some(Format::Png),
        _ => None,
    };
    if let Some(kept) = kept {
        // Only an image that decodes is kept: a header that reads is not enough.
        decode(bytes, format, false, Plan::cover)?;
        return Ok(Part {
            format: kept,
            bytes: bytes.to_vec(),
        });
    }
    let image = decode(bytes, format, false, Plan::cover)?;
    let image = normalize(image, false);
    let plan = Plan::cover(width, height);
    jpeg(&resize(image, plan.size, Style::Photo)?)
}

/// What kind of picture it is, which decides its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// A photo, or anything saved as JPEG: JPEG.
    Photo,
    /// A diagram, table or screenshot, or anything of at most 256 colours, from a lossless
    /// format: a PNG of few colours.
    Drawing,
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

/// The decoder of `format` over `bytes`, its header read. A PNG decoder may keep at most
/// `MAX_METADATA_BYTES` of chunks besides the pixels; the other decoders keep nothing that is not
/// bounded by the size of the file or of the image (a GIF decoder at most 50 MB per frame,
/// JPEG and WebP metadata only as long as the file).
fn open(bytes: &[u8], format: ImageFormat) -> Result<Box<dyn ImageDecoder + '_>> {
    let name = format_name(format);
    let input = Cursor::new(bytes);
    let decoder: ImageResult<Box<dyn ImageDecoder>> = match format {
        ImageFormat::Png => {
            let mut limits = Limits::no_limits();
            limits.max_alloc = Some(MAX_METADATA_BYTES);
            PngDecoder::with_limits(input, limits).map(|d| Box::new(d) as _)
        }
        ImageFormat::Jpeg => JpegDecoder::new(input).map(|d| Box::new(d) as _),
        ImageFormat::Gif => GifDecoder::new(input).map(|d| Box::new(d) as _),
        ImageFormat::WebP => WebPDecoder::new(input).map(|d| Box::new(d) as _),
        ImageFormat::Bmp => BmpDecoder::new(input).map(|d| Box::new(d) as _),
        other => bail!("unsupported image format {other:?}"),
    };
    // Errors are flattened into one message: `ImageError` already shows its cause, and a
    // context chain would repeat it.
    decoder.map_err(|e| match e {
        ImageError::Limits(_) => anyhow!(
            "the {name} file holds more metadata (ICC profile, EXIF, text) than the {} MB \
             allowed for one image",
            MAX_METADATA_BYTES >> 20
        ),
        e => anyhow!("cannot read the {name} header: {e}"),
    })
}

fn format_name(format: ImageFormat) -> String {
    format!("{format:?}").to_uppercase()
}

/// Decodes with limits: the size is checked from the header before any pixel is decoded, and
/// so is the memory that decoding and converting the image as `plan` says would take
/// (`grayscale` is the setting); the decoder may allocate no more than the pixels need plus
/// `MAX_METADATA_BYTES`.
fn decode(
    bytes: &[u8],
    format: ImageFormat,
    grayscale: bool,
    plan: impl Fn(u32, u32) -> Plan,
) -> Result<DynamicImage> {
    let name = format_name(format);
    let mut decoder = open(bytes, format)?;
    let (width, height) = decoder.dimensions();
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
    let memory = working_set(
        &*decoder,
        format,
        (bytes, bytes.len() as u64),
        grayscale,
        &plan(width, height),
        Colours::Worst,
    );
    if memory > MAX_IMAGE_MEMORY {
        bail!(
            "the {name} image is {width}x{height} pixels; decoding and converting it would take \
             about {} MB, more than the {} MB allowed for one image",
            memory >> 20,
            MAX_IMAGE_MEMORY >> 20
        );
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        // The JPEG decoder fills a cut-off file with grey instead of failing.
        bail!("the JPEG file is truncated (no end-of-image marker)");
    }
    let mut limits = Limits::no_limits();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(decoder.total_bytes() + MAX_METADATA_BYTES);
    decoder
        .set_limits(limits)
        // For an animated GIF, WebP or PNG this is the first frame.
        .and_then(|()| DynamicImage::from_decoder(decoder))
        .map_err(|e| anyhow!("cannot decode the {name} image (damaged or truncated): {e}"))
}

/// About the most memory decoding and converting an image takes (the bytes live at once), from
/// its header and what `plan` makes of it: the largest of the steps below, each holding what
/// the one before left plus what it makes. Measured peaks stay below it (see the tests).
/// `head` is the file's first bytes, its header at least, and `len` its length.
fn working_set(
    decoder: &dyn ImageDecoder,
    format: ImageFormat,
    (head, len): (&[u8], u64),
    grayscale: bool,
    plan: &Plan,
    colours: Colours,
) -> u64 {
    let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    let (width, height) = decoder.dimensions();
    let pixels = area((width, height));
    let color = decoder.color_type();
    let decoded = decoder.total_bytes();
    // The decoder's own buffers: a copy of a JPEG file and a progressive JPEG's coefficients;
    // a WebP frame (ARGB words for lossless, planes then RGBA for lossy).
    let decoding = decoded
        + match format {
            ImageFormat::Jpeg => len + jpeg_coefficient_bytes(head),
            ImageFormat::WebP => pixels * 4,
            _ => 0,
        };
    // `normalize` leaves 8 bits a channel, gray when asked, on white where it was transparent;
    // it copies unless the image is already 8-bit gray or RGB, and a transparent image that is
    // not 8-bit RGBA or gray-alpha is first copied into one (at most 4 bytes a pixel).
    let alpha = color.has_alpha();
    let bpp = if grayscale || color.channel_count() < 3 {
        1
    } else {
        3
    };
    let sixteen_bits = color.bytes_per_pixel() > color.channel_count();
    let copied = sixteen_bits || alpha || (grayscale && color.channel_count() > 1);
    let normal = pixels * bpp;
    let normalizing = decoded
        + if copied { normal } else { 0 }
        + if alpha && sixteen_bits { pixels * 4 } else { 0 };
    let cropped = area(plan.crop) * bpp;
    let cropping = if plan.crop == (width, height) {
        0
    } else {
        normal + cropped
    };
    // An image that is one slice is scaled whole, and then only the result lives. One that is
    // cut is scaled a slice (or the rows around a cut) at a time (`encode_slices`): the
    // cropped image lives beside each.
    let (out_w, out_h) = plan.size;
    let (crop_w, crop_h) = plan.crop;
    let sliced = plan.slice < out_h;
    let rows = if sliced {
        max_slice(plan.slice).min(out_h)
    } else {
        out_h
    };
    let made = area((out_w, rows)) * bpp;
    let kept = if sliced { cropped } else { 0 };
    // Scaling: the source, one pass's result (rows or columns scaled first) for one band of
    // `BAND_ROWS` rows, and the rows made. Scaling rows reads the rows under them and as many
    // again as the filter reaches (Lanczos3: 3 output rows) either side.
    let resizing = if plan.size == plan.crop {
        0
    } else {
        let band = rows.min(BAND_ROWS);
        let reach = 3 * u64::from(crop_h.div_ceil(out_h)) + 1;
        let under = (u64::from(band) * u64::from(crop_h) / u64::from(out_h) + 2 * reach)
            .min(u64::from(crop_h));
        let pass = area((crop_w, band)).max(u64::from(out_w) * under);
        cropped + pass * bpp + made
    };
    // Encoding one slice. A colour JPEG is written as it is encoded: only its output, under a
    // byte a pixel at this quality, in a buffer grown by doubling. A gray one keeps the
    // coefficients of every block (2 bytes a sample) to optimize its Huffman tables. A
    // drawing's PNG keeps an index per pixel and its output; a colour drawing's quantizer a
    // 4-byte index per pixel, and for each distinct colour its count, the colour and its Oklab
    // value (`COLOUR_BYTES`). Measured on the realistic image set, with a few thousand colours:
    // 0.1 bytes a pixel for JPEG, 5 for a quantized drawing. The parts made so far are no
    // larger than the image.
    let slice = area((out_w, rows));
    let photo = if bpp == 1 { 2 + 2 } else { 2 };
    let drawing = if bpp == 1 { 1 + 2 } else { 4 + 1 + 2 };
    let encoder = if format == ImageFormat::Jpeg {
        photo
    } else {
        photo.max(drawing)
    };
    let quantizing = if format != ImageFormat::Jpeg && bpp == 3 {
        colours.most(slice) * COLOUR_BYTES
    } else {
        0
    };
    let encoding = kept + made + slice * encoder + quantizing;
    let largest = [decoding, normalizing, cropping, resizing, encoding]
        .into_iter()
        .max()
        .unwrap_or_default();
    // The original, held throughout, and the small tables of decoders and encoders (Huffman
    // codes, a palette's index).
    largest + len + (1 << 20)
}

/// What the quantizer keeps for each distinct colour of a drawing: its count (4 bytes), the
/// colour (3), its Oklab value (12), and the sort's pair of bytes.
const COLOUR_BYTES: u64 = 4 + 3 + 12 + 2;

/// How many distinct colours a drawing is taken to have, for `working_set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Colours {
    /// Every pixel its own: what an image is refused by (`MAX_IMAGE_MEMORY`), so that no
    /// image, however made, takes more.
    Worst,
    /// At most `TYPICAL_COLOURS`: what the conversions running at once are admitted by.
    /// Drawings have a few thousand (linux-perf's 23 largest, drawn by the realistic image set:
    /// at most 3 500), and one with more takes `COLOUR_BYTES` for each colour over, only while
    /// it is quantized.
    Typical,
}

/// The distinct colours `Colours::Typical` allows for.
const TYPICAL_COLOURS: u64 = 1 << 16;

impl Colours {
    /// The most distinct colours among `pixels` pixels.
    fn most(self, pixels: u64) -> u64 {
        match self {
            Colours::Worst => pixels.min(1 << 24),
            Colours::Typical => pixels.min(TYPICAL_COLOURS),
        }
    }
}

/// How the header of a JPEG ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JpegHeaderEnd {
    /// At the first scan, whose marker is at this offset.
    Scan(usize),
    /// At something that is not a marker where one belongs.
    Malformed,
    /// At the end of the file.
    Cut,
}

/// The segments of a JPEG before its first scan, as (marker, payload), and how the header ends.
fn jpeg_segments(bytes: &[u8]) -> (Vec<(u8, &[u8])>, JpegHeaderEnd) {
    let mut segments = Vec::new();
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return (segments, JpegHeaderEnd::Malformed);
        }
        match bytes[i + 1] {
            0xFF => i += 1, // fill byte
            0xDA => return (segments, JpegHeaderEnd::Scan(i)),
            0x01 | 0xD0..=0xD7 => i += 2, // markers without a length
            marker => {
                let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
                let end = (i + 2 + len).min(bytes.len());
                segments.push((marker, bytes.get(i + 4..end).unwrap_or_default()));
                i += 2 + len;
            }
        }
    }
    (segments, JpegHeaderEnd::Cut)
}

/// Whether the JPEG has its end-of-image marker after the image data. The segments before the
/// first scan are skipped by their lengths, so an EXIF thumbnail's marker does not count, and
/// data appended after the image (as some phones add) does no harm. Entropy-coded data cannot
/// hold the marker (a 0xFF there is followed by 0x00), so finding it proves the scan is whole.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    match jpeg_segments(bytes).1 {
        JpegHeaderEnd::Scan(at) => bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9]),
        // Malformed, which the decoder will report better.
        JpegHeaderEnd::Malformed => true,
        JpegHeaderEnd::Cut => false,
    }
}

/// What a progressive JPEG's coefficients take while it is decoded: 64 16-bit values per block
/// of every component, over whole MCUs. A baseline JPEG decodes one row of MCUs at a time.
fn jpeg_coefficient_bytes(bytes: &[u8]) -> u64 {
    let (segments, _) = jpeg_segments(bytes);
    let Some(frame) = segments.iter().find_map(|&(m, p)| (m == 0xC2).then_some(p)) else {
        return 0;
    };
    let (Some(size), Some(&count)) = (frame.get(1..5), frame.get(5)) else {
        return 0;
    };
    let height = u64::from(u16::from_be_bytes([size[0], size[1]]));
    let width = u64::from(u16::from_be_bytes([size[2], size[3]]));
    let sampling: Vec<(u64, u64)> = (frame.get(6..))
        .unwrap_or_default()
        .chunks_exact(3)
        .take(usize::from(count))
        .map(|c| (u64::from(c[1] >> 4).max(1), u64::from(c[1] & 15).max(1)))
        .collect();
    let h_max = sampling.iter().map(|s| s.0).max().unwrap_or(1);
    let v_max = sampling.iter().map(|s| s.1).max().unwrap_or(1);
    let mcus = width.div_ceil(8 * h_max) * height.div_ceil(8 * v_max);
    sampling.iter().map(|(h, v)| mcus * h * v * 64 * 2).sum()
}

/// 8 bits a channel, gray when asked or when the image is gray, and composed onto white where it
/// is transparent: the page behind a picture is white, and a drawing on a transparent background
/// would vanish from a night-mode page. What is left is `ImageLuma8` or `ImageRgb8`, which the
/// resizer and the encoders take.
fn normalize(image: DynamicImage, grayscale: bool) -> DynamicImage {
    let gray = grayscale
        || matches!(
            image,
            DynamicImage::ImageLuma8(_)
                | DynamicImage::ImageLumaA8(_)
                | DynamicImage::ImageLuma16(_)
                | DynamicImage::ImageLumaA16(_)
        );
    if image.color().has_alpha() && !is_opaque(&image) {
        let (width, height) = image.dimensions();
        return if gray {
            let la = match image {
                DynamicImage::ImageLumaA8(img) => img,
                other => other.to_luma_alpha8(),
            };
            DynamicImage::ImageLuma8(GrayImage::from_fn(width, height, |x, y| {
                let [l, a] = la.get_pixel(x, y).0;
                image::Luma([over_white(l, a)])
            }))
        } else {
            let rgba = match image {
                DynamicImage::ImageRgba8(img) => img,
                other => other.to_rgba8(),
            };
            DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                image::Rgb([over_white(r, a), over_white(g, a), over_white(b, a)])
            }))
        };
    }
    match (gray, image) {
        (true, image @ DynamicImage::ImageLuma8(_)) => image,
        (true, other) => DynamicImage::ImageLuma8(other.to_luma8()),
        (false, image @ DynamicImage::ImageRgb8(_)) => image,
        (false, other) => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

fn is_opaque(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageRgba8(img) => img.pixels().all(|p| p.0[3] == u8::MAX),
        DynamicImage::ImageLumaA8(img) => img.pixels().all(|p| p.0[1] == u8::MAX),
        other => other.pixels().all(|(_, _, p)| p.0[3] == u8::MAX),
    }
}

fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    // Rounded (v*a + 255*(255-a)) / 255; at most 255, so the cast is exact.
    ((v * a + 255 * (255 - a) + 127) / 255) as u8
}

/// The pixels of a normalized image and the bytes of each.
fn samples(image: &DynamicImage) -> Option<(&[u8], usize)> {
    match image {
        DynamicImage::ImageLuma8(img) => Some((img.as_raw(), 1)),
        DynamicImage::ImageRgb8(img) => Some((img.as_raw(), 3)),
        _ => None,
    }
}

/// Row `y` of a normalized image.
fn row(image: &DynamicImage, y: u32) -> Option<(&[u8], usize)> {
    let (raw, channels) = samples(image)?;
    let stride = image.width() as usize * channels;
    Some((raw.get(y as usize * stride..)?.get(..stride)?, channels))
}

/// How many pixels of the row differ from their left neighbour.
fn edges((row, channels): (&[u8], usize)) -> usize {
    match channels {
        1 => row.windows(2).filter(|p| p[0] != p[1]).count(),
        3 => {
            // Whole pixels compared as integers, which the compiler does far quicker than
            // three-byte slices.
            let pixels: Vec<u32> = (row.chunks_exact(3))
                .map(|p| u32::from_le_bytes([p[0], p[1], p[2], 0]))
                .collect();
            pixels.windows(2).filter(|p| p[0] != p[1]).count()
        }
        _ => {
            let pixels = row.chunks_exact(channels);
            pixels
                .clone()
                .zip(pixels.skip(1))
                .filter(|(a, b)| a != b)
                .count()
        }
    }
}

/// Whether the normalized image is a drawing: most of its pixels repeat their left neighbour
/// (`DRAWING_FLATNESS`).
fn is_drawing(image: &DynamicImage) -> bool {
    let (width, height) = image.dimensions();
    let pairs = u64::from(width - 1) * u64::from(height);
    let changes: u64 = (0..height)
        .filter_map(|y| row(image, y))
        .map(|r| edges(r) as u64)
        .sum();
    pairs > 0 && (pairs - changes) as f64 >= DRAWING_FLATNESS * pairs as f64
}

/// Whether the normalized image has few colours: then it is drawn, not photographed, however
/// small (an icon, a 2 x 2 test pattern) and however its pixels are laid out. For colour that is
/// at most 256 (a palette holds them exactly); a gray image never has more than 256 levels, so
/// for gray it is at most the 16 that e-ink shows, else every gray photo would count as drawn.
fn few_colours(image: &DynamicImage) -> bool {
    let Some((raw, channels)) = samples(image) else {
        return false;
    };
    let most = if channels == 1 {
        usize::from(EINK_LEVELS)
    } else {
        256
    };
    let mut seen: HashSet<&[u8]> = HashSet::with_capacity(most + 1);
    for px in raw.chunks_exact(channels) {
        if seen.insert(px) && seen.len() > most {
            return false;
        }
    }
    true
}

/// The centred `size` part of the image (an avatar's square); the image itself when that is all
/// of it.
fn crop_centre(image: DynamicImage, (width, height): (u32, u32)) -> DynamicImage {
    let (w, h) = image.dimensions();
    if (width, height) == (w, h) {
        return image;
    }
    image.crop_imm((w - width) / 2, (h - height) / 2, width, height)
}

/// Scaled to `size` with the filter that suits `style` (see `filter`).
fn resize(image: DynamicImage, size: (u32, u32), style: Style) -> Result<DynamicImage> {
    if image.dimensions() == size {
        return Ok(image);
    }
    scaled_rows(&image, size, 0..size.1, style)
}

/// Rows `rows` of the image scaled to `(width, height)`: the same as those rows of the whole
/// image scaled (each output row is made from the input rows under it and the filter's reach
/// beyond, which the resizer reads outside its crop box), so that a tall image is never held
/// scaled whole. A copy of those rows when the image has that size already.
///
/// They are made `BAND_ROWS` at a time, each band straight into its place: the resizer scales
/// columns first, into a buffer as wide as the image and as tall as what it makes (for a
/// 3214x2440 picture scaled to 1264 wide, 9 MB at once). In bands that buffer stays under a
/// megabyte, for no more work: each row is still made once.
fn scaled_rows(
    image: &DynamicImage,
    (width, height): (u32, u32),
    rows: Range<u32>,
    style: Style,
) -> Result<DynamicImage> {
    let (w, h) = image.dimensions();
    let len = rows.end - rows.start;
    if (w, h) == (width, height) {
        return Ok(image.crop_imm(0, rows.start, width, len));
    }
    let at = |y: u32| f64::from(y) * f64::from(h) / f64::from(height);
    let mut out = DynamicImage::new(width, len, image.color());
    let mut resizer = Resizer::new();
    for first in rows.clone().step_by(BAND_ROWS as usize) {
        let band = first..(first + BAND_ROWS).min(rows.end);
        let top = at(band.start);
        // The crop box may not end below the image, which rounding could make it do.
        let mut tall = at(band.end) - top;
        while top + tall > f64::from(h) {
            tall = f64::from_bits(tall.to_bits() - 1);
        }
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(filter(style)))
            .crop(0.0, top, f64::from(w), tall);
        let mut place = CroppedImageMut::new(
            &mut out,
            0,
            band.start - rows.start,
            width,
            band.end - band.start,
        )
        .map_err(|e| anyhow!("cannot resize the image: {e}"))?;
        resizer
            .resize(image, &mut place, &options)
            .map_err(|e| anyhow!("cannot resize the image: {e}"))?;
    }
    Ok(out)
}

/// How many rows `scaled_rows` makes at a time.
const BAND_ROWS: u32 = 64;

/// The filter an image of `style` is scaled with. A drawing is averaged over the area each new
/// pixel covers: Lanczos, which keeps photos sharp, rings around text and lines, and those
/// halos are gray that costs room (5% of the gray drawings of the realistic image set) and
/// shows as fringes on e-ink.
fn filter(style: Style) -> FilterType {
    match style {
        Style::Drawing => FilterType::Box,
        Style::Photo => FilterType::Lanczos3,
    }
}

/// How far a cut may move from where equal slices of `slice` rows would cut, to find a quiet
/// row: a few lines of text either way.
fn reach(slice: u32) -> u32 {
    slice / 16
}

/// The tallest slice cut from slices of about `slice` rows.
fn max_slice(slice: u32) -> u32 {
    slice.saturating_add(2 * reach(slice))
}

/// Where an image `height` rows tall is cut into slices of about `slice` rows: for each cut,
/// the row where equal slices would cut and the rows within `reach` of it (never the first row
/// or past the last). Empty when the image is one slice.
fn cut_windows(height: u32, slice: u32) -> Vec<(u32, RangeInclusive<u32>)> {
    if slice >= height {
        return Vec::new();
    }
    let count = height.div_ceil(slice);
    let reach = reach(slice);
    (1..count)
        .map(|k| {
            let ideal = u32::try_from(u64::from(height) * u64::from(k) / u64::from(count))
                .expect("below the height");
            (
                ideal,
                ideal.saturating_sub(reach).max(1)..=(ideal + reach).min(height - 1),
            )
        })
        .collect()
}

/// The quietest row of `window` (the fewest pixels that differ from their neighbour: the gap
/// between two lines of text, not a line), the nearest to `ideal` of equally quiet ones; `rows`
/// holds the image's rows from row `first` on.
fn quietest(rows: &DynamicImage, first: u32, (ideal, window): (u32, RangeInclusive<u32>)) -> u32 {
    let quiet = |y: u32| (row(rows, y - first).map_or(0, edges), y.abs_diff(ideal));
    window.min_by_key(|&y| quiet(y)).unwrap_or(ideal)
}

/// The rows where a tall image is cut into slices of about `slice` rows (see `cut_windows` and
/// `quietest`). Empty when the image is one slice.
#[cfg(test)]
fn cuts(image: &DynamicImage, slice: u32) -> Vec<u32> {
    (cut_windows(image.height(), slice).into_iter())
        .map(|window| quietest(image, 0, window))
        .collect()
}

/// The image scaled to `plan.size` and encoded in slices of about `plan.slice` rows, top to
/// bottom, each cut at the quietest row near where equal slices would cut; the whole image
/// when it is one slice. Shrinking a 800x6000 screenshot to fit one page would leave text a few
/// pixels high, while slices at full width stay readable and page naturally. Only the rows
/// around a cut and then one slice are scaled at a time (`scaled_rows`), so that a tall image
/// is never held scaled whole as well (for a 1454x4761 screenshot, 16 MB less at once).
fn encode_slices(
    image: DynamicImage,
    plan: &Plan,
    style: Style,
    encoding: Encoding,
) -> Result<Vec<Part>> {
    let height = plan.size.1;
    let windows = cut_windows(height, plan.slice);
    if windows.is_empty() {
        return Ok(vec![encoding.encode(&resize(image, plan.size, style)?)?]);
    }
    let scaled = image.dimensions() != plan.size;
    let mut parts = Vec::with_capacity(windows.len() + 1);
    let mut top = 0;
    for window in windows.into_iter().map(Some).chain([None]) {
        let bottom = match window {
            None => height,
            Some(window) if scaled => {
                let (first, last) = (*window.1.start(), *window.1.end());
                let rows = scaled_rows(&image, plan.size, first..last + 1, style)?;
                quietest(&rows, first, window)
            }
            Some(window) => quietest(&image, 0, window),
        };
        let slice = scaled_rows(&image, plan.size, top..bottom, style)?;
        parts.push(encoding.encode(&slice)?);
        top = bottom;
    }
    Ok(parts)
}

/// How the slices of one image are encoded.
#[derive(Debug, Clone, Copy)]
struct Encoding {
    style: Style,
    /// Gray drawings are stored in the 16 levels e-ink shows.
    grayscale: bool,
}

impl Encoding {
    /// One encoding of a normalized image: JPEG for photos; for drawings a PNG of its own
    /// colours when it has at most 256, else of 256 chosen to fit, or of 16 grays.
    fn encode(self, image: &DynamicImage) -> Result<Part> {
        match (self.style, image) {
            (Style::Photo, _) => jpeg(image),
            (Style::Drawing, DynamicImage::ImageLuma8(gray)) => Ok(gray_png(gray, self.grayscale)),
            (Style::Drawing, DynamicImage::ImageRgb8(rgb)) => match palette_png(rgb) {
                Some(png) => Ok(png),
                None => quantized_png(rgb),
            },
            (Style::Drawing, other) => quantized_png(&other.to_rgb8()),
        }
    }
}

/// A baseline JPEG (old Kindles show progressive ones slowly or not at all), gray images with
/// one channel.
fn jpeg(image: &DynamicImage) -> Result<Part> {
    let (width, height) = image.dimensions();
    let side = |v: u32| {
        u16::try_from(v).map_err(|_| {
            anyhow!(
                "the image is {width}x{height} pixels, more than JPEG allows ({} on a side)",
                u16::MAX
            )
        })
    };
    let (w, h) = (side(width)?, side(height)?);
    let owned;
    let (data, color) = match image {
        DynamicImage::ImageLuma8(img) => (img.as_raw().as_slice(), jpeg_encoder::ColorType::Luma),
        DynamicImage::ImageRgb8(img) => (img.as_raw().as_slice(), jpeg_encoder::ColorType::Rgb),
        other => {
            owned = other.to_rgb8();
            (owned.as_raw().as_slice(), jpeg_encoder::ColorType::Rgb)
        }
    };
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, JPEG_QUALITY);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    // Optimized tables would save a tenth more, but with subsampled chroma the encoder then
    // writes one scan per component, which some decoders get wrong (zune-jpeg 0.5.15, the one
    // `image` uses, turns the whole picture green). One interleaved scan is what every reader
    // expects; a gray image has one component, so one scan either way.
    encoder.set_optimized_huffman_tables(color == jpeg_encoder::ColorType::Luma);
    encoder
        .encode(data, w, h, color)
        .map_err(|e| anyhow!("cannot encode the image as JPEG: {e}"))?;
    Ok(Part {
        format: Format::Jpeg,
        bytes,
    })
}

/// An indexed PNG of a colour image that has at most 256 distinct colours: lossless, and a
/// third of the pixel data of RGB.
fn palette_png(image: &RgbImage) -> Option<Part> {
    let mut index: HashMap<[u8; 3], u8> = HashMap::with_capacity(256);
    let mut palette: Vec<u8> = Vec::with_capacity(3 * 256);
    let mut indices = Vec::with_capacity(image.as_raw().len() / 3);
    let mut last: Option<([u8; 3], u8)> = None;
    for px in image.pixels() {
        let px = px.0;
        // Drawings repeat the previous pixel most of the time; skip the hash lookup then.
        let i = match last {
            Some((color, i)) if color == px => i,
            _ => {
                let i = match index.get(&px) {
                    Some(&i) => i,
                    None => {
                        let i = u8::try_from(palette.len() / 3).ok()?;
                        palette.extend(px);
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
    Some(indexed_png(
        image.width(),
        image.height(),
        &palette,
        &indices,
    ))
}

/// A 256-colour PNG of a colour drawing, the colours chosen by Wu's method in Oklab (so they
/// look like the original), each pixel given the nearest, without dithering (which would only
/// add noise to flat areas and bytes to the file).
fn quantized_png(image: &RgbImage) -> Result<Part> {
    let pixels = quantette::ImageRef::try_from(image)
        .map_err(|e| anyhow!("cannot choose the colours of the image: {e}"))?;
    // Counting each distinct colour once (a drawing has a few thousand) before converting to
    // Oklab: without it every pixel is converted, a fifth of a cold build's CPU.
    let indexed = quantette::Pipeline::new()
        .palette_size(quantette::PaletteSize::MAX)
        .ditherer(None)
        .dedup(true)
        .input_image(pixels)
        .output_srgb8_indexed_image();
    let palette: Vec<u8> = (indexed.palette().iter())
        .flat_map(|c| [c.red, c.green, c.blue])
        .collect();
    Ok(indexed_png(
        image.width(),
        image.height(),
        &palette,
        indexed.indices(),
    ))
}

/// A gray drawing in the fewest bits that keep it: its own levels when it has at most 4 (2 bits
/// a pixel); with `eink`, else 4 grays chosen for it when they are close enough
/// (`MAX_FOUR_GRAY_RMS`); its own levels when it has at most 16 (4 bits); else, with `eink`,
/// rounded to the 16 levels e-ink screens show, in 4 bits, or without it 8-bit gray.
fn gray_png(image: &GrayImage, eink: bool) -> Part {
    let mut histogram = [0u64; 256];
    for p in image.as_raw() {
        histogram[usize::from(*p)] += 1;
    }
    let used: Vec<u8> = (0..=255u8)
        .filter(|&v| histogram[usize::from(v)] > 0)
        .collect();
    let four = (eink && used.len() > 4)
        .then(|| closest_grays(&histogram, 4))
        .filter(|(_, rms)| *rms <= MAX_FOUR_GRAY_RMS)
        .map(|(levels, _)| levels);
    let levels = if used.len() <= 4 {
        used
    } else if let Some(levels) = four {
        levels
    } else if used.len() <= usize::from(EINK_LEVELS) {
        used
    } else if eink {
        let step = 255 / (EINK_LEVELS - 1);
        (0..EINK_LEVELS).map(|k| k * step).collect()
    } else {
        let (width, height) = image.dimensions();
        return write_png(
            width,
            height,
            png::ColorType::Grayscale,
            png::BitDepth::Eight,
            None,
            image.as_raw(),
        );
    };
    let nearest = nearest_level(&levels);
    let indices: Vec<u8> = image
        .as_raw()
        .iter()
        .map(|&v| nearest[usize::from(v)])
        .collect();
    let palette: Vec<u8> = levels.iter().flat_map(|&l| [l, l, l]).collect();
    indexed_png(image.width(), image.height(), &palette, &indices)
}

/// For every gray value, the index of the nearest of `levels` (sorted, at most 256).
fn nearest_level(levels: &[u8]) -> [u8; 256] {
    let mut nearest = [0u8; 256];
    for (v, slot) in nearest.iter_mut().enumerate() {
        let closest = (levels.iter().enumerate())
            .min_by_key(|(_, l)| usize::from(**l).abs_diff(v))
            .map_or(0, |(i, _)| i);
        *slot = u8::try_from(closest).expect("at most 256 levels");
    }
    nearest
}

/// The `k` gray levels closest to a picture with this histogram (at least `k` values used), in
/// the least-squares sense, and the root-mean-square difference they leave. Exact: the best
/// levels split the 256 values into `k` runs, each represented by its mean, and dynamic
/// programming over the runs' ends finds the best split (k x 256 x 256 steps, none per pixel).
fn closest_grays(histogram: &[u64; 256], k: usize) -> (Vec<u8>, f64) {
    // Prefix sums of count, sum and sum of squares make any run's squared error O(1).
    let mut n = [0f64; 257];
    let mut s = [0f64; 257];
    let mut q = [0f64; 257];
    for v in 0..256 {
        let (c, x) = (histogram[v] as f64, v as f64);
        n[v + 1] = n[v] + c;
        s[v + 1] = s[v] + c * x;
        q[v + 1] = q[v] + c * x * x;
    }
    let error = |a: usize, b: usize| {
        let count = n[b] - n[a];
        if count == 0.0 {
            0.0
        } else {
            let sum = s[b] - s[a];
            (q[b] - q[a] - sum * sum / count).max(0.0)
        }
    };
    // best[j][b]: the least error of values 0..b in j runs; start[j][b]: where the last begins.
    let mut best = vec![[f64::INFINITY; 257]; k + 1];
    let mut start = vec![[0usize; 257]; k + 1];
    best[0][0] = 0.0;
    for j in 1..=k {
        for b in j..=256 {
            for a in (j - 1)..b {
                let e = best[j - 1][a] + error(a, b);
                if e < best[j][b] {
                    best[j][b] = e;
                    start[j][b] = a;
                }
            }
        }
    }
    let mut levels = Vec::with_capacity(k);
    let mut b = 256;
    for j in (1..=k).rev() {
        let a = start[j][b];
        let count = n[b] - n[a];
        if count > 0.0 {
            // A mean of values in 0..=255, so the cast is exact after rounding.
            levels.push(((s[b] - s[a]) / count).round() as u8);
        }
        b = a;
    }
    levels.reverse();
    levels.dedup();
    let rms = (best[k][256] / n[256].max(1.0)).sqrt();
    (levels, rms)
}

/// An indexed PNG: 2 bits a pixel when the palette has at most 4 colours, 4 bits when at most
/// 16, else 8. Rows are stored unfiltered: on indices, PNG's filters predict nothing and the
/// file only grows (by a quarter on the realistic image set).
fn indexed_png(width: u32, height: u32, palette: &[u8], indices: &[u8]) -> Part {
    let (depth, bits) = match palette.len() / 3 {
        0..=4 => (png::BitDepth::Two, 2),
        5..=16 => (png::BitDepth::Four, 4),
        _ => (png::BitDepth::Eight, 8),
    };
    if bits == 8 {
        return write_png(
            width,
            height,
            png::ColorType::Indexed,
            depth,
            Some(palette),
            indices,
        );
    }
    let per_byte = 8 / bits;
    let packed: Vec<u8> = indices
        .chunks_exact(width as usize)
        .flat_map(|row| {
            row.chunks(per_byte).map(|pixels| {
                // The first pixel in the highest bits; a row's last byte padded with zeros.
                (pixels.iter().enumerate())
                    .fold(0u8, |byte, (i, p)| byte | p << (8 - bits * (i + 1)))
            })
        })
        .collect();
    write_png(
        width,
        height,
        png::ColorType::Indexed,
        depth,
        Some(palette),
        &packed,
    )
}

fn write_png(
    width: u32,
    height: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    palette: Option<&[u8]>,
    data: &[u8],
) -> Part {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(color);
        encoder.set_depth(depth);
        encoder.set_compression(png::Compression::Balanced);
        if let Some(palette) = palette {
            encoder.set_palette(palette);
            encoder.set_filter(png::Filter::NoFilter);
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
    fn drawings_are_scaled_by_area_without_halos() {
        // Black stripes 4 px wide every 8 px, halved: averaging each pair of pixels keeps pure
        // black and white; Lanczos would ring into grays beside every stripe.
        let stripes = GrayImage::from_fn(800, 300, |x, _| {
            image::Luma([if x % 8 < 4 { 0 } else { 255 }])
        });
        let settings = Settings {
            max_width: 400,
            ..SETTINGS
        };
        let parts = process(
            &saved(DynamicImage::ImageLuma8(stripes), ImageFormat::Png),
            Kind::Article,
            &settings,
        )
        .unwrap();
        let out = decoded(&parts[0]).to_luma8();
        assert_eq!(out.dimensions(), (400, 150));
        assert!(out.pixels().all(|p| p.0 == [0] || p.0 == [255]));
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
        // A page at 800 px wide is 1066 px tall.
        assert!(parts.len() >= 6, "{} slices", parts.len());
        let mut total = 0;
        for part in &parts {
            let (w, h) = decoded(part).dimensions();
            assert_eq!(w, 800);
            assert!(h * 3 <= w * 4, "slice {w}x{h} is taller than a page");
            total += h;
        }
        assert_eq!(total, 6000);
    }

    /// A white page of `lines` lines of text-like noise, each `line` rows high with `gap` blank
    /// rows after it.
    fn text_page(width: u32, lines: u32, line: u32, gap: u32) -> DynamicImage {
        let height = lines * (line + gap);
        DynamicImage::ImageLuma8(GrayImage::from_fn(width, height, |x, y| {
            let in_line = y % (line + gap) < line;
            // Strokes a few pixels wide, as glyphs have.
            let ink = (x / 4 + y / 6) % 3 == 0;
            image::Luma([if in_line && ink { 30 } else { 255 }])
        }))
    }

    #[test]
    fn rows_scaled_alone_are_the_rows_of_the_image_scaled_whole() {
        let gray = text_page(1500, 40, 23, 9);
        let colour = DynamicImage::ImageRgb8(RgbImage::from_fn(1500, 900, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 3 % 256) as u8,
                ((x ^ y) % 256) as u8,
            ])
        }));
        for image in [gray, colour] {
            let size = (1264, image.height() * 1264 / 1500);
            for style in [Style::Drawing, Style::Photo] {
                // Scaled in one call, not in bands.
                let mut whole = DynamicImage::new(size.0, size.1, image.color());
                let options =
                    ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter(style)));
                Resizer::new().resize(&image, &mut whole, &options).unwrap();
                for rows in [0..1, 0..97, 0..size.1, 301..700, 555..size.1] {
                    let alone = scaled_rows(&image, size, rows.clone(), style).unwrap();
                    let expected = whole.crop_imm(0, rows.start, size.0, rows.end - rows.start);
                    assert_eq!(alone.dimensions(), expected.dimensions());
                    // The same filter weights, but for rounding in the last bit of the crop.
                    let off = (alone.as_bytes().iter().zip(expected.as_bytes()))
                        .filter(|(a, b)| a.abs_diff(**b) > 1)
                        .count();
                    assert_eq!(off, 0, "{style:?} rows {rows:?}");
                }
            }
        }
    }

    #[test]
    fn a_tall_image_scaled_in_slices_is_cut_between_lines_of_text() {
        let page = text_page(1600, 150, 23, 9);
        let settings = Settings {
            max_width: 1264,
            grayscale: true,
        };
        let parts = process(&saved(page, ImageFormat::Png), Kind::Article, &settings).unwrap();
        assert!(parts.len() >= 3, "{} slices", parts.len());
        let slices: Vec<GrayImage> = parts.iter().map(|p| decoded(p).to_luma8()).collect();
        let inked = |slice: &GrayImage, y: u32| {
            (0..slice.width()).any(|x| slice.get_pixel(x, y).0[0] < 128)
        };
        // Lines are 23 * 1264 / 1600 = 18 rows high once scaled: a cut inside one would leave
        // ink in the last row above it and the first below.
        for pair in slices.windows(2) {
            let above = &pair[0];
            assert!(!inked(above, above.height() - 1) && !inked(&pair[1], 0));
        }
        let mut total = 0;
        for slice in &slices {
            assert_eq!(slice.width(), 1264);
            total += slice.height();
        }
        assert_eq!(total, 150 * 32 * 1264 / 1600);
    }

    #[test]
    fn slices_are_cut_between_lines_of_text() {
        let page = text_page(600, 120, 23, 9);
        let plan = Plan::article(page.width(), page.height(), 1264);
        let made = cuts(&page, plan.slice);
        assert!(!made.is_empty());
        let mut top = 0;
        for &cut in &made {
            let in_gap = cut % 32 >= 23;
            assert!(in_gap, "cut at row {cut} splits a line of text");
            assert!(
                cut - top <= max_slice(plan.slice),
                "slice {top}..{cut} too tall"
            );
            top = cut;
        }
        assert!(page.height() - top <= max_slice(plan.slice));
        // Without a quiet row in reach, the cuts fall where equal slices would.
        let noise = DynamicImage::ImageLuma8(GrayImage::from_fn(600, 3000, |x, y| {
            image::Luma([((x * 31 + y * 17) % 251) as u8])
        }));
        let slice = Plan::article(600, 3000, 1264).slice;
        let count = 3000u32.div_ceil(slice);
        let equal: Vec<u32> = (1..count).map(|k| 3000 * k / count).collect();
        let got = cuts(&noise, slice);
        assert_eq!(got.len(), equal.len());
        for (g, e) in got.iter().zip(&equal) {
            assert!(g.abs_diff(*e) <= reach(slice), "{got:?} vs {equal:?}");
        }
    }

    #[test]
    fn drawings_become_few_colour_pngs_and_photos_jpeg_whatever_they_came_as() {
        // A diagram: flat colours, with edges blended into thousands of others.
        let drawing = RgbImage::from_fn(900, 600, |x, y| {
            let blend = ((x + y) % 97 == 0).then(|| ((x * 3 + y * 5) % 256) as u8);
            match blend {
                Some(v) => image::Rgb([v, 255 - v, (v / 2).wrapping_add(x as u8)]),
                None if (x / 100 + y / 100) % 2 == 0 => image::Rgb([230, 240, 255]),
                None => image::Rgb([255, 255, 255]),
            }
        });
        let parts = process(
            &saved(drawing.into(), ImageFormat::Png),
            Kind::Article,
            &SETTINGS,
        )
        .unwrap();
        assert_eq!(parts[0].format, Format::Png);
        let reader = png::Decoder::new(Cursor::new(parts[0].bytes.as_slice()))
            .read_info()
            .unwrap();
        assert_eq!(reader.info().color_type, png::ColorType::Indexed);
        // A photo saved as PNG, in colour or in gray: no two neighbours alike. In gray it has
        // fewer than 256 levels, as every gray picture does, and is still a photo (with
        // `--grayscale` every photo saved as PNG had become a 16-level PNG of its noise).
        let photo = RgbImage::from_fn(900, 600, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
        });
        let gray_photo = DynamicImage::ImageRgb8(photo.clone()).to_luma8();
        let gray = Settings {
            grayscale: true,
            ..SETTINGS
        };
        for (image, settings) in [
            (DynamicImage::from(photo.clone()), &SETTINGS),
            (DynamicImage::from(photo), &gray),
            (DynamicImage::from(gray_photo), &SETTINGS),
        ] {
            let parts = process(&saved(image, ImageFormat::Png), Kind::Article, settings).unwrap();
            assert_eq!(parts[0].format, Format::Jpeg);
        }
    }

    #[test]
    fn gray_drawings_keep_four_grays_of_their_own_when_close_and_else_the_sixteen_of_e_ink() {
        let gray = Settings {
            grayscale: true,
            ..SETTINGS
        };
        let bits = |part: &Part| {
            let reader = png::Decoder::new(Cursor::new(part.bytes.as_slice()))
                .read_info()
                .unwrap();
            let info = reader.info();
            assert_eq!(info.color_type, png::ColorType::Indexed);
            let palette = info.palette.as_ref().unwrap();
            assert!(palette.chunks(3).all(|c| c[0] == c[1] && c[1] == c[2]));
            (info.bit_depth, palette.len() / 3)
        };
        // Text as a diagram has it: ink on white paper and on a light fill, with one stroke
        // edge in ten anti-aliased to some gray between.
        let text = GrayImage::from_fn(700, 640, |x, y| {
            let paper = if y < 320 { 255 } else { 238 };
            image::Luma([match (x + y / 2) % 10 {
                0..=1 => 30,
                2 => 30 + ((x * 37 + y * 11) % 200) as u8,
                _ => paper,
            }])
        });
        let parts = process(
            &saved(DynamicImage::ImageLuma8(text), ImageFormat::Png),
            Kind::Article,
            &gray,
        )
        .unwrap();
        assert_eq!(bits(&parts[0]), (png::BitDepth::Two, 4));
        // Ink, paper and fill each keep a gray of their own, within a quarter of an e-ink step
        // (the darkest edges pull the ink's level); the other edges are rounded to one of them.
        let back = decoded(&parts[0]).to_luma8();
        for ((x, y), was) in [((0, 0), 30), ((5, 0), 255), ((5, 400), 238)] {
            let [now] = back.get_pixel(x, y).0;
            assert!(now.abs_diff(was) <= 4, "{was} became {now}");
        }
        // A smooth gradient in 4 grays would be bands: it keeps e-ink's 16 levels.
        let smooth = GrayImage::from_fn(700, 640, |x, y| {
            image::Luma([if y % 32 < 23 {
                (x / 3 % 256) as u8
            } else {
                255
            }])
        });
        let parts = process(
            &saved(DynamicImage::ImageLuma8(smooth), ImageFormat::Png),
            Kind::Article,
            &gray,
        )
        .unwrap();
        assert_eq!(bits(&parts[0]), (png::BitDepth::Four, 16));
    }

    #[test]
    fn the_closest_grays_are_the_means_of_the_best_split() {
        let mut histogram = [0u64; 256];
        // Four clusters, each two values either side of its centre.
        for centre in [20usize, 90, 160, 240] {
            histogram[centre - 2..=centre + 2].fill(10);
        }
        let (levels, rms) = closest_grays(&histogram, 4);
        assert_eq!(levels, [20, 90, 160, 240]);
        // Each cluster's squared distances average (4 + 1 + 0 + 1 + 4) / 5 = 2.
        assert!((rms - 2f64.sqrt()).abs() < 1e-9, "{rms}");
        // Two values for three levels: no level is made twice or left empty.
        let mut two = [0u64; 256];
        (two[0], two[255]) = (5, 5);
        assert_eq!(closest_grays(&two, 3), (vec![0, 255], 0.0));
    }

    #[test]
    fn reencoding_a_part_gives_the_same_picture() {
        let page = text_page(300, 10, 23, 9);
        let gray = Settings {
            grayscale: true,
            ..SETTINGS
        };
        let drawing = saved(page.clone(), ImageFormat::Png);
        let photo = saved(page, ImageFormat::Jpeg);
        for (bytes, settings) in [(&drawing, gray), (&drawing, SETTINGS), (&photo, SETTINGS)] {
            let part = &process(bytes, Kind::Article, &settings).unwrap()[0];
            let again = reencode(part).unwrap();
            assert_eq!(again.format, part.format);
            let (a, b) = (decoded(part).to_luma8(), decoded(&again).to_luma8());
            assert_eq!(a.dimensions(), b.dimensions());
            let worst = (a.pixels().zip(b.pixels()))
                .map(|(p, q)| p.0[0].abs_diff(q.0[0]))
                .max();
            // A JPEG decoded and encoded again drifts a little; a PNG not at all.
            let allowed = if part.format == Format::Png { 0 } else { 48 };
            assert!(worst <= Some(allowed), "{:?}: {worst:?}", part.format);
        }
    }

    #[test]
    fn transparent_drawings_are_put_on_white() {
        let image = image::RgbaImage::from_fn(300, 200, |x, _| {
            image::Rgba(if x < 150 {
                [0, 0, 0, 0]
            } else {
                [0, 0, 200, 255]
            })
        });
        let parts = process(
            &saved(image.into(), ImageFormat::Png),
            Kind::Article,
            &SETTINGS,
        )
        .unwrap();
        let back = decoded(&parts[0]);
        assert!(!back.color().has_alpha());
        let back = back.to_rgb8();
        assert_eq!(back.get_pixel(10, 10).0, [255, 255, 255]);
        assert_eq!(back.get_pixel(200, 10).0, [0, 0, 200]);
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
        // Small enough to be kept as it is, were it whole.
        let Some(avatar) = sample("avatar-96.jpg") else {
            return;
        };
        let text = format!("{:#}", cover(&avatar[..avatar.len() / 2]).unwrap_err());
        assert!(text.contains("truncated"), "{text}");
    }

    /// What the current thread allocates: bytes live now and at most, and the largest single
    /// allocation. Decoding and converting happen on the calling thread, so a test sees what
    /// one image costs, whatever other tests do at the same time.
    mod tracking {
        use std::alloc::{GlobalAlloc, Layout, System};
        use std::cell::Cell;

        pub struct Tracking;

        thread_local! {
            static LIVE: Cell<i64> = const { Cell::new(0) };
            static PEAK: Cell<i64> = const { Cell::new(0) };
            static LARGEST: Cell<usize> = const { Cell::new(0) };
        }

        fn grew(by: i64, size: usize) {
            let _ = LIVE.try_with(|live| {
                live.set(live.get() + by);
                let _ = PEAK.try_with(|p| p.set(p.get().max(live.get())));
            });
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }

        unsafe impl GlobalAlloc for Tracking {
            unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
                grew(layout.size() as i64, layout.size());
                unsafe { System.alloc(layout) }
            }
            unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
                grew(layout.size() as i64, layout.size());
                unsafe { System.alloc_zeroed(layout) }
            }
            unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
                grew(-(layout.size() as i64), 0);
                unsafe { System.dealloc(ptr, layout) }
            }
            unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
                grew(new as i64 - layout.size() as i64, new);
                unsafe { System.realloc(ptr, layout, new) }
            }
        }

        /// The most bytes live at once while `f` ran, above what was live before, and the
        /// largest single allocation it made.
        pub fn measure<T>(f: impl FnOnce() -> T) -> (T, u64, u64) {
            let before = LIVE.with(Cell::get);
            PEAK.with(|p| p.set(before));
            LARGEST.with(|l| l.set(0));
            let out = f();
            let peak = PEAK.with(Cell::get) - before;
            (out, peak.max(0) as u64, LARGEST.with(Cell::get) as u64)
        }
    }

    #[global_allocator]
    static TRACKING: tracking::Tracking = tracking::Tracking;

    const MB: u64 = 1 << 20;

    /// A PNG of `width` x `height` gray pixels with `chunks` written before its pixels.
    fn png_with(width: u32, height: u32, chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().unwrap();
        for (name, data) in chunks {
            writer
                .write_chunk(png::chunk::ChunkType(**name), data)
                .unwrap();
        }
        writer
            .write_image_data(&vec![128; (width * height) as usize])
            .unwrap();
        writer.finish().unwrap();
        out
    }

    /// `len` zero bytes, zlib-compressed (about a thousandth of `len`).
    fn zeros_compressed(len: u64) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::copy(&mut std::io::repeat(0).take(len), &mut z).unwrap();
        z.finish().unwrap()
    }

    use std::io::Read as _;

    #[test]
    fn a_compressed_icc_profile_or_text_cannot_make_decoding_cost_more_than_the_allowance() {
        // 256 KB of iCCP that inflate to 256 MB (1.5 MB inflate to 1.5 GB: decoding that
        // peaked at 1.1 GB when the decoder's allowance was the whole image's).
        let mut icc = b"bomb\0\0".to_vec();
        icc.extend(zeros_compressed(256 * MB));
        let bomb = png_with(10, 10, &[(b"iCCP", icc)]);
        let (parts, peak, largest) = tracking::measure(|| process(&bomb, Kind::Article, &SETTINGS));
        // The profile is never used: the image itself is fine.
        assert_eq!(decoded(&parts.unwrap()[0]).dimensions(), (10, 10));
        // The inflater stops a little past the allowance.
        assert!(
            largest <= MAX_METADATA_BYTES + MB,
            "one allocation of {largest} bytes"
        );
        assert!(peak <= MAX_METADATA_BYTES + 4 * MB, "peak {peak} bytes");

        // Text chunks are kept as they are, so they count in full; too many are refused.
        let text = |i: u8| {
            let mut t = vec![b'k', i, 0];
            t.resize(6 * MB as usize, b'x');
            (b"tEXt", t)
        };
        let texts = png_with(10, 10, &[text(b'a'), text(b'b'), text(b'c')]);
        let (result, peak, _) = tracking::measure(|| process(&texts, Kind::Article, &SETTINGS));
        let err = format!("{:#}", result.unwrap_err());
        assert!(err.contains("more metadata"), "{err}");
        assert!(
            peak <= MAX_METADATA_BYTES + texts.len() as u64 + 4 * MB,
            "peak {peak}"
        );
    }

    /// A GIF of a `screen` logical screen whose only frame is `frame` at `at`, all transparent.
    fn gif(screen: (u16, u16), frame: (u16, u16), at: (u16, u16)) -> Vec<u8> {
        let mut out = b"GIF89a".to_vec();
        out.extend(screen.0.to_le_bytes());
        out.extend(screen.1.to_le_bytes());
        out.extend([0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
        out.extend(b"\x21\xf9\x04\x01\0\0\0\0\x2c");
        for v in [at.0, at.1, frame.0, frame.1] {
            out.extend(v.to_le_bytes());
        }
        out.extend(b"\0\x02\x02\x44\x01\0\x3b");
        out
    }

    #[test]
    fn memory_for_one_image_is_estimated_from_its_header_and_bounded() {
        // 50 bytes that decode to 8000x8000 RGBA: refused before anything is allocated.
        let screen = gif((8000, 8000), (1, 1), (0, 0));
        let (result, peak, _) = tracking::measure(|| process(&screen, Kind::Article, &SETTINGS));
        let err = format!("{:#}", result.unwrap_err());
        assert!(err.contains("more than the 256 MB allowed"), "{err}");
        assert!(peak < MB, "peak {peak}");
        // A frame far larger than its screen is refused by the decoder's own limits.
        let frame = gif((100, 100), (60000, 60000), (1, 1));
        let (result, _, largest) = tracking::measure(|| process(&frame, Kind::Article, &SETTINGS));
        assert!(result.is_err());
        assert!(largest < 64 * MB, "one allocation of {largest} bytes");
    }

    /// `image` saved as `format`.
    fn saved(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    #[test]
    fn the_memory_estimate_bounds_what_converting_really_takes() {
        let noise = |w: u32, h: u32| {
            let mut seed = 1u32;
            image::RgbaImage::from_fn(w, h, |x, y| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let [a, b, c, _] = seed.to_le_bytes();
                image::Rgba([a, b, c, if (x + y) % 7 == 0 { 255 } else { c }])
            })
        };
        let rgba = DynamicImage::ImageRgba8(noise(660, 450));
        let opaque = DynamicImage::ImageRgb8(rgba.to_rgb8());
        // Sliced into pages.
        let tall = DynamicImage::ImageRgba8(noise(200, 2500)).to_rgb8();
        // A drawing (most pixels white like their neighbour) of hundreds of colours, which is
        // quantized.
        let drawing = DynamicImage::ImageRgb8(RgbImage::from_fn(660, 450, |x, y| {
            let v = ((x * 7 + y * 3) % 256) as u8;
            if (x / 4 + y / 4) % 3 == 0 {
                image::Rgb([v, v / 2, 255 - v])
            } else {
                image::Rgb([255, 255, 255])
            }
        }));
        let cases = [
            ("drawing png", saved(drawing, ImageFormat::Png)),
            // Shrunk only a little: both resizing passes are nearly the size of the image.
            ("rgba png", saved(rgba.clone(), ImageFormat::Png)),
            ("rgb jpeg", saved(opaque.clone(), ImageFormat::Jpeg)),
            ("rgb webp", saved(opaque.clone(), ImageFormat::WebP)),
            ("rgba gif", saved(rgba.clone(), ImageFormat::Gif)),
            ("rgb bmp", saved(opaque, ImageFormat::Bmp)),
            (
                "16-bit png",
                saved(rgba.to_rgba16().into(), ImageFormat::Png),
            ),
            ("gray png", saved(rgba.to_luma8().into(), ImageFormat::Png)),
            ("tall png", saved(tall.clone().into(), ImageFormat::Png)),
            ("tall jpeg", saved(tall.into(), ImageFormat::Jpeg)),
        ];
        let (narrower, gray) = (
            Settings {
                max_width: 640,
                grayscale: false,
            },
            Settings {
                max_width: 640,
                grayscale: true,
            },
        );
        let image = image::load_from_memory(&cases[0].1).unwrap();
        assert!(is_drawing(&image) && palette_png(&image.to_rgb8()).is_none());
        for (name, bytes) in &cases {
            for (kind, settings) in [
                (Kind::Article, narrower),
                (Kind::Article, gray),
                (Kind::Avatar, narrower),
            ] {
                // What the conversion threads are admitted by, told from the first bytes.
                let len = bytes.len() as u64;
                let estimate = memory_needed(bytes, len, kind, &settings).unwrap();
                let head = memory_needed(&bytes[..2048], len, kind, &settings);
                if name.contains("png") || name.contains("jpeg") {
                    assert_eq!(head, Some(estimate), "{name}");
                } else {
                    // Other decoders may want more than the header before they start.
                    assert!(head.is_none_or(|h| h == estimate), "{name}");
                }
                let (parts, peak, _) = tracking::measure(|| process(bytes, kind, &settings));
                parts.unwrap();
                assert!(
                    peak <= estimate,
                    "{name} {kind:?} {settings:?}: peak {peak} over the estimate {estimate}"
                );
            }
        }
        // A drawing of far more colours than drawings have (each pair of pixels its own) takes
        // more than the typical estimate, but never more than the worst, which admits it.
        let many = saved(
            DynamicImage::ImageRgb8(RgbImage::from_fn(600, 600, |x, y| {
                let [a, b, c, _] = (y * 300 + x / 2).to_le_bytes();
                image::Rgb([a, b, c])
            })),
            ImageFormat::Png,
        );
        let decoder = open(&many, ImageFormat::Png).unwrap();
        let plan = Plan::new(Kind::Article, 600, 600, &narrower);
        let worst = working_set(
            &*decoder,
            ImageFormat::Png,
            (&many, many.len() as u64),
            false,
            &plan,
            Colours::Worst,
        );
        let typical = memory_needed(&many, many.len() as u64, Kind::Article, &narrower).unwrap();
        let (parts, peak, _) = tracking::measure(|| process(&many, Kind::Article, &narrower));
        assert_eq!(parts.unwrap()[0].format, Format::Png);
        assert!(typical < peak && peak <= worst, "{typical} {peak} {worst}");
        // Bytes that are no image are refused before anything large is allocated.
        assert_eq!(
            memory_needed(b"<html>", 6, Kind::Article, &narrower),
            Some(0)
        );
        // A header pushed past the first bytes by a large EXIF block cannot be told from them.
        let photo = &cases[2].1;
        let mut exif = photo[..2].to_vec();
        for _ in 0..4 {
            exif.extend([0xFF, 0xE1, 0xFF, 0xFF]);
            exif.extend([0; 0xFFFD]);
        }
        exif.extend(&photo[2..]);
        let len = exif.len() as u64;
        let estimate = memory_needed(&exif, len, Kind::Article, &narrower);
        assert!(estimate.is_some_and(|e| e > 0));
        assert_eq!(
            memory_needed(&exif[..200_000], len, Kind::Article, &narrower),
            None
        );
        // A cover larger than covers may be, so it is scaled; with alpha, so it is flattened.
        let large = saved(DynamicImage::ImageRgba8(noise(1700, 300)), ImageFormat::Png);
        let (part, peak, _) = tracking::measure(|| cover(&large));
        part.unwrap();
        let decoder = open(&large, ImageFormat::Png).unwrap();
        let estimate = working_set(
            &*decoder,
            ImageFormat::Png,
            (&large, large.len() as u64),
            false,
            &Plan::cover(1700, 300),
            Colours::Worst,
        );
        assert!(
            peak <= estimate,
            "cover: peak {peak} over the estimate {estimate}"
        );
    }

    /// A gray PNG of `width` x `height`, one colour.
    fn gray_png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&vec![90; width as usize * height as usize])
            .unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn a_narrow_strip_is_scaled_to_a_page_and_slices_are_capped() {
        // 274 bytes of PNG once made 75,000 slices of 1x1.
        let strip = gray_png(1, 100_000);
        let parts = process(&strip, Kind::Article, &SETTINGS).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(decoded(&parts[0]).dimensions(), (1, 1685));

        // Wide enough to slice, but 1,500 pages tall: 50 slices, each taller than a page.
        let tall = gray_png(100, 200_000);
        let parts = process(&tall, Kind::Article, &SETTINGS).unwrap();
        assert_eq!(parts.len(), MAX_SLICES);
        let heights: Vec<u32> = parts.iter().map(|p| decoded(p).height()).collect();
        assert!(heights.iter().all(|&h| h == 4000), "{heights:?}");
        assert!(parts.iter().all(|p| decoded(p).width() == 100));
    }

    #[test]
    fn layouts_keep_within_the_slice_and_pixel_caps() {
        let at = |w, h, max| {
            let plan = Plan::article(w, h, max);
            (plan.size, plan.slice)
        };
        // As before the caps: kept, fitted to the width, sliced into pages.
        assert_eq!(at(3000, 2000, 1264), ((1264, 842), 842));
        // Slices an eighth shorter than a page (1066 px at 800 px wide), so that moving a cut
        // to a quiet row keeps each within one: 7 of about 858 px.
        assert_eq!(at(800, 6000, 1264), ((800, 6000), 858));
        assert_eq!(at(60, 100, 1264), ((60, 100), 100));
        // A strip is never sliced: scaled to a page's height when taller.
        assert_eq!(at(40, 4000, 758), ((10, 1010), 1010));
        assert_eq!(at(63, 1000, 1264), ((63, 1000), 1000));
        // Too large for the book at this width: scaled down to the pixel cap, sliced.
        let ((w, h), slice) = at(8000, 8000, 8192);
        assert!(u64::from(w) * u64::from(h) <= MAX_OUTPUT_PIXELS);
        assert!(w >= 5790 && w == h && slice == h, "{w}x{h}");
        let ((w, h), slice) = at(1264, 50_000, 1264);
        assert!(u64::from(w) * u64::from(h) <= MAX_OUTPUT_PIXELS);
        assert!(h.div_ceil(slice) as usize <= MAX_SLICES);
        for (w, h, max) in [
            (64, 65535, 64),
            (1, 65535, 8192),
            (65535, 1, 64),
            (1000, 65535, 8192),
        ] {
            let ((nw, nh), slice) = at(w, h, max);
            assert!(nw >= 1 && nh >= 1 && nw <= max && slice >= 1, "{w}x{h}");
            assert!(
                u64::from(nw) * u64::from(nh) <= MAX_OUTPUT_PIXELS,
                "{w}x{h}"
            );
            assert!(nh.div_ceil(slice) as usize <= MAX_SLICES, "{w}x{h}");
        }
    }

    #[test]
    fn a_progressive_jpeg_counts_its_coefficients() {
        let Some(bytes) = sample("progressive-1200x800.jpg") else {
            return;
        };
        // 4:2:0 or 4:4:4, the coefficients take 3 to 6 bytes a pixel.
        let coefficients = jpeg_coefficient_bytes(&bytes);
        assert!((1200 * 800 * 3..=1200 * 800 * 6 + 65536).contains(&coefficients));
        let Some(baseline) = sample("photo-3000x2000.jpg") else {
            return;
        };
        assert_eq!(jpeg_coefficient_bytes(&baseline), 0);
    }
}
