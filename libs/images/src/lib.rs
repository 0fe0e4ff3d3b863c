//! Product pictures (issue 16): what a merchant uploads is checked, turned upright,
//! stripped of its metadata and re-encoded in a few widths, then kept in the object store
//! under its shop. Never in Postgres: a row there says which widths exist and the alt
//! text; the pixels live in S3 (Garage in development).
//!
//! Checking means: at most [`MAX_UPLOAD_BYTES`], a JPEG, PNG or WebP by its contents (not
//! by its name or declared type), at most [`MAX_SIDE`] pixels on a side, and decodable to
//! the end. Re-encoding drops everything but the pixels, so a phone photo's location
//! (EXIF GPS), camera serial number or embedded thumbnail never reaches a shopper.
//! Opaque pictures become JPEG, pictures with transparency PNG.
//!
//! Objects are named `<tenant>/<image>/<width>.<jpg|png>`: one prefix per shop (closing a
//! shop removes it whole) and one per picture. A picture never changes once stored
//! (a new upload is a new id), so whoever serves it may let browsers keep it for a year.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use platform_domain::ImageId;
use platform_objects::ObjectStore;
pub use platform_objects::{ObjectsError, S3Config};
use platform_web::{ConfigError, Env};
use secrecy::SecretString;
use uuid::Uuid;

/// The widths a picture is kept in (those narrower than the upload, and the upload's own
/// width when it is under the widest).
pub const WIDTHS: [u32; 3] = [320, 640, 1280];
/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Largest side in pixels (a bigger picture is refused before it is decoded).
pub const MAX_SIDE: u32 = 8000;
/// Longest alt text.
pub const MAX_ALT_CHARS: usize = 300;
/// Most pictures one product has.
pub const MAX_PER_PRODUCT: i64 = 20;
/// JPEG quality of the stored widths.
const JPEG_QUALITY: u8 = 82;
/// Memory a decoder may take (an 8000 × 8000 RGBA picture is 256 MB).
const MAX_DECODE_BYTES: u64 = 300 * 1024 * 1024;

/// How a stored picture is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Opaque pictures.
    Jpeg,
    /// Pictures with transparency.
    Png,
}

impl Format {
    /// As stored in `product_images.format`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
        }
    }

    /// From `product_images.format`.
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "jpeg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }

    /// The file extension in object names and addresses.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
        }
    }

    /// From the extension of an address.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "jpg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }

    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Over [`MAX_UPLOAD_BYTES`].
    #[error("the file is larger than 10 MB")]
    TooLarge,
    /// Not a JPEG, PNG or WebP by its contents.
    #[error("the file is not a JPEG, PNG or WebP picture")]
    UnsupportedType,
    /// Claims to be a picture but does not decode.
    #[error("the file could not be read as a picture")]
    NotAnImage,
    /// Over [`MAX_SIDE`] pixels on a side.
    #[error("the picture is more than 8000 pixels wide or high")]
    TooManyPixels,
    /// Re-encoding failed (not the uploader's fault).
    #[error("the picture could not be stored")]
    Encode,
}

impl ImageError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ImageError::TooLarge => "image.too_large",
            ImageError::UnsupportedType => "image.unsupported_type",
            ImageError::NotAnImage => "image.not_an_image",
            ImageError::TooManyPixels => "image.too_many_pixels",
            ImageError::Encode => "image.encode_failed",
        }
    }
}

/// One stored width of a picture.
#[derive(Debug, Clone)]
pub struct Rendition {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The encoded file.
    pub bytes: Vec<u8>,
}

/// A checked upload, ready to store.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// How every width is encoded.
    pub format: Format,
    /// The upright picture's width.
    pub width: u32,
    /// The upright picture's height.
    pub height: u32,
    /// The widths, narrowest first.
    pub renditions: Vec<Rendition>,
}

impl Prepared {
    /// The stored widths, narrowest first.
    pub fn widths(&self) -> Vec<u32> {
        self.renditions.iter().map(|r| r.width).collect()
    }

    /// Bytes stored in all.
    pub fn stored_bytes(&self) -> u64 {
        self.renditions.iter().map(|r| r.bytes.len() as u64).sum()
    }
}

/// Checks an upload and makes its widths. CPU-bound (tens of milliseconds for a photo):
/// call it from a blocking thread.
pub fn prepare(upload: &[u8]) -> Result<Prepared, ImageError> {
    if upload.len() > MAX_UPLOAD_BYTES {
        return Err(ImageError::TooLarge);
    }
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|_| ImageError::NotAnImage)?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => return Err(ImageError::UnsupportedType),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    picture.apply_orientation(orientation);
    let format = if picture.color().has_alpha() {
        Format::Png
    } else {
        Format::Jpeg
    };
    let (width, height) = (picture.width(), picture.height());
    let mut targets: Vec<u32> = WIDTHS.into_iter().filter(|w| *w < width).collect();
    if WIDTHS.last().is_none_or(|widest| width <= *widest) {
        targets.push(width);
    }
    let renditions = targets
        .into_iter()
        .map(|w| {
            let resized = if w == width {
                picture.clone()
            } else {
                picture.resize(w, MAX_SIDE, FilterType::CatmullRom)
            };
            Ok(Rendition {
                width: resized.width(),
                height: resized.height(),
                bytes: encode(&resized, format)?,
            })
        })
        .collect::<Result<Vec<_>, ImageError>>()?;
    Ok(Prepared {
        format,
        width,
        height,
        renditions,
    })
}

fn refusal(err: image::ImageError) -> ImageError {
    match err {
        image::ImageError::Limits(_) => ImageError::TooManyPixels,
        image::ImageError::Unsupported(_) => ImageError::UnsupportedType,
        _ => ImageError::NotAnImage,
    }
}

fn encode(picture: &DynamicImage, format: Format) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            rgb.write_with_encoder(encoder)
        }
        Format::Png => {
            let rgba = DynamicImage::ImageRgba8(picture.to_rgba8());
            rgba.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        }
    }
    .map_err(|err| {
        tracing::warn!(error = %err, "re-encoding a picture failed");
        ImageError::Encode
    })?;
    Ok(out)
}

/// The picture store of a service, from `<PREFIX>_IMAGES_BUCKET` with
/// `<PREFIX>_IMAGES_S3_ENDPOINT` (none for AWS itself), `_S3_REGION` (`us-east-1`),
/// `_S3_ACCESS_KEY_ID`, `_S3_SECRET_ACCESS_KEY` and `_S3_PATH_STYLE` (true). None when
/// no bucket is named: the service then runs without pictures.
pub fn config_from_env(env: &Env) -> Result<Option<S3Config>, ConfigError> {
    let Some(bucket) = env.optional("IMAGES_BUCKET") else {
        return Ok(None);
    };
    Ok(Some(S3Config {
        endpoint: env.optional("IMAGES_S3_ENDPOINT"),
        region: env
            .optional("IMAGES_S3_REGION")
            .unwrap_or_else(|| "us-east-1".to_owned()),
        bucket,
        access_key_id: env.required("IMAGES_S3_ACCESS_KEY_ID")?,
        secret_access_key: SecretString::from(env.required("IMAGES_S3_SECRET_ACCESS_KEY")?),
        path_style: env.parse_or("IMAGES_S3_PATH_STYLE", true)?,
    }))
}

/// Where a shop's pictures live: one bucket of the object store.
#[derive(Clone, Debug)]
pub struct ImageStore {
    store: ObjectStore,
    /// Set once the bucket is known to exist (created on the first upload if need be).
    bucket_ready: std::sync::Arc<tokio::sync::OnceCell<()>>,
}

impl ImageStore {
    /// Pictures in the bucket `config` names.
    pub fn new(config: &S3Config) -> Self {
        ImageStore {
            store: ObjectStore::new(config),
            bucket_ready: Default::default(),
        }
    }

    /// Creates the bucket when it does not exist yet (once per process).
    pub async fn ensure_bucket(&self) -> Result<(), ObjectsError> {
        self.bucket_ready
            .get_or_try_init(|| self.store.ensure_bucket())
            .await
            .map(|_| ())
    }

    /// Every object of one shop starts with this.
    pub fn shop_prefix(tenant: Uuid) -> String {
        format!("{}/", tenant.hyphenated())
    }

    /// The object holding one width of a picture.
    pub fn key(tenant: Uuid, image: ImageId, width: u32, format: Format) -> String {
        format!(
            "{}{image}/{width}.{}",
            Self::shop_prefix(tenant),
            format.extension()
        )
    }

    /// Stores every width of a picture.
    pub async fn put(
        &self,
        tenant: Uuid,
        image: ImageId,
        prepared: &Prepared,
    ) -> Result<(), ObjectsError> {
        self.ensure_bucket().await?;
        for r in &prepared.renditions {
            let key = Self::key(tenant, image, r.width, prepared.format);
            self.store.put(&key, r.bytes.clone()).await?;
        }
        Ok(())
    }

    /// One width of a picture; `None` when there is no such object.
    pub async fn get(
        &self,
        tenant: Uuid,
        image: ImageId,
        width: u32,
        format: Format,
    ) -> Result<Option<Vec<u8>>, ObjectsError> {
        self.store
            .get(&Self::key(tenant, image, width, format))
            .await
    }

    /// Removes every width of a picture (no error for widths already gone).
    pub async fn delete(&self, tenant: Uuid, image: ImageId) -> Result<(), ObjectsError> {
        let prefix = format!("{}{image}/", Self::shop_prefix(tenant));
        for object in self.store.list(&prefix).await? {
            self.store.delete(&object.key).await?;
        }
        Ok(())
    }

    /// Removes every picture of a shop; returns how many objects went.
    pub async fn delete_shop(&self, tenant: Uuid) -> Result<usize, ObjectsError> {
        let objects = self.store.list(&Self::shop_prefix(tenant)).await?;
        for object in &objects {
            self.store.delete(&object.key).await?;
        }
        Ok(objects.len())
    }

    /// How many objects a shop has (for tests and the closing report).
    pub async fn count_shop(&self, tenant: Uuid) -> Result<usize, ObjectsError> {
        Ok(self.store.list(&Self::shop_prefix(tenant)).await?.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(picture)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
            .unwrap();
        out
    }

    #[test]
    fn a_photo_is_kept_in_the_widths_narrower_than_itself() {
        let p = prepare(&jpeg(1600, 1200)).unwrap();
        assert_eq!(p.format, Format::Jpeg);
        assert_eq!(p.widths(), vec![320, 640, 1280]);
        assert_eq!((p.renditions[0].width, p.renditions[0].height), (320, 240));
        let small = prepare(&jpeg(500, 400)).unwrap();
        assert_eq!(small.widths(), vec![320, 500]);
        for r in &small.renditions {
            let back = image::load_from_memory(&r.bytes).unwrap();
            assert_eq!(back.width(), r.width);
        }
    }

    #[test]
    fn a_photos_metadata_never_reaches_the_stored_widths() {
        // An APP1 (EXIF) segment right after the start-of-image marker, as phones write.
        let mut exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 48.8584 N; serial 12345".to_vec();
        let len = u16::try_from(exif.len() + 2).unwrap().to_be_bytes();
        let plain = jpeg(800, 600);
        let mut tagged = plain[..2].to_vec();
        tagged.extend_from_slice(&[0xFF, 0xE1, len[0], len[1]]);
        tagged.append(&mut exif);
        tagged.extend_from_slice(&plain[2..]);
        let p = prepare(&tagged).unwrap();
        for r in &p.renditions {
            let found = r.bytes.windows(11).any(|w| w == b"GPSLatitude");
            assert!(!found, "the {} px width kept the EXIF text", r.width);
        }
    }

    #[test]
    fn transparency_is_kept_as_png() {
        let picture = RgbaImage::from_pixel(100, 80, Rgba([10, 20, 30, 0]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(picture)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        let p = prepare(&out).unwrap();
        assert_eq!(p.format, Format::Png);
        assert_eq!(p.widths(), vec![100]);
    }

    #[test]
    fn what_is_not_a_picture_is_refused_with_a_code() {
        let code = |bytes: &[u8]| prepare(bytes).map(|_| ()).map_err(|e| e.code());
        assert_eq!(code(b"hello, world"), Err("image.unsupported_type"));
        assert_eq!(
            code(b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"),
            Err("image.unsupported_type")
        );
        assert_eq!(
            code(b"GIF89a\x01\x00\x01\x00"),
            Err("image.unsupported_type")
        );
        // Magic bytes of a JPEG, then nothing a decoder can use.
        assert_eq!(code(b"\xFF\xD8\xFF\xE0garbage"), Err("image.not_an_image"));
        // A PNG cut short.
        let mut cut = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::from_pixel(200, 200, Rgb([1, 2, 3])))
            .write_to(&mut Cursor::new(&mut cut), ImageFormat::Png)
            .unwrap();
        cut.truncate(cut.len() / 2);
        assert_eq!(code(&cut), Err("image.not_an_image"));
        assert_eq!(
            code(&vec![0u8; MAX_UPLOAD_BYTES + 1]),
            Err("image.too_large")
        );
    }

    #[test]
    fn a_picture_too_large_to_decode_is_refused_before_decoding() {
        // A PNG header claiming 9000 × 9000 pixels: refused from the header alone.
        let picture = RgbImage::from_pixel(9000, 1, Rgb([0, 0, 0]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(picture)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        assert_eq!(prepare(&out).map(|_| ()), Err(ImageError::TooManyPixels));
    }

    #[test]
    fn keys_put_each_shop_under_its_own_prefix() {
        let tenant = Uuid::nil();
        let image = ImageId::random();
        let key = ImageStore::key(tenant, image, 640, Format::Jpeg);
        assert!(key.starts_with(&ImageStore::shop_prefix(tenant)));
        assert!(key.ends_with("/640.jpg"));
    }
}
