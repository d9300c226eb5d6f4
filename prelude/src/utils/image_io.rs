//! Keras's image file utilities (`keras.utils.load_img`, `img_to_array`, `save_img`) with
//! the `image` crate (JPEG and PNG).

use crate::error::{Error, Result};
use std::path::Path;
use tch::{Kind, Tensor};

/// How [`load_img_with`] reads an image.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadImgOptions {
    /// `(height, width)` to resize to, or `None` for the file's size.
    pub target_size: Option<(i64, i64)>,
    /// `"rgb"` (3 channels, default), `"grayscale"` (1) or `"rgba"` (4).
    pub color_mode: &'static str,
    /// `"nearest"` (Keras's default for `load_img`) or `"bilinear"`.
    pub interpolation: &'static str,
}

impl Default for LoadImgOptions {
    fn default() -> Self {
        Self {
            target_size: None,
            color_mode: "rgb",
            interpolation: "nearest",
        }
    }
}

/// Reads an image file as a `(height, width, 3)` `Kind::Uint8` tensor, resized to
/// `target_size = (height, width)` with nearest-neighbour sampling when given (Keras's
/// `load_img(path, target_size=(224, 224))`; Keras returns a PIL image, here the pixels).
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let img = load_img("image.jpg", Some((224, 224)))?;
/// let x = img_to_array(&img).unsqueeze(0); // (1, 224, 224, 3) float, like np.expand_dims
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn load_img(path: impl AsRef<Path>, target_size: Option<(i64, i64)>) -> Result<Tensor> {
    load_img_with(
        path,
        LoadImgOptions {
            target_size,
            ..Default::default()
        },
    )
}

/// [`load_img`] with all options.
pub fn load_img_with(path: impl AsRef<Path>, options: LoadImgOptions) -> Result<Tensor> {
    let path = path.as_ref();
    let channels = color_mode_channels(options.color_mode)?;
    let filter = match options.interpolation {
        "nearest" => image::imageops::FilterType::Nearest,
        "bilinear" => image::imageops::FilterType::Triangle,
        other => {
            return Err(Error::UnknownId {
                kind: "interpolation",
                got: other.to_string(),
                valid: vec!["nearest", "bilinear"],
            })
        }
    };
    let mut img = decode(path)?;
    if let Some((h, w)) = options.target_size {
        if h <= 0 || w <= 0 {
            return Err(Error::InvalidArgument(format!(
                "load_img: target_size must be positive, got ({h}, {w})"
            )));
        }
        if (img.height() as i64, img.width() as i64) != (h, w) {
            img = img.resize_exact(w as u32, h as u32, filter);
        }
    }
    Ok(to_tensor(&img, channels))
}

/// The channels of Keras's `color_mode`: `"rgb"` 3, `"grayscale"` 1, `"rgba"` 4.
pub(crate) fn color_mode_channels(color_mode: &str) -> Result<i64> {
    match color_mode {
        "rgb" => Ok(3),
        "grayscale" => Ok(1),
        "rgba" => Ok(4),
        other => Err(Error::UnknownId {
            kind: "color_mode",
            got: other.to_string(),
            valid: vec!["rgb", "grayscale", "rgba"],
        }),
    }
}

/// Decodes JPEG or PNG bytes (an upload, a webcam frame) into `(height, width, 3)`
/// `Kind::Uint8` pixels, like `np.array(Image.open(io.BytesIO(data)))`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("x.png");
/// save_img(&p, &Tensor::zeros([2, 3, 3], (Kind::Uint8, Device::Cpu)))?;
/// let img = decode_image_bytes(&std::fs::read(&p).unwrap())?;
/// assert_eq!(img.size(), vec![2, 3, 3]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn decode_image_bytes(data: &[u8]) -> Result<Tensor> {
    let img = image::load_from_memory(data).map_err(|e| {
        Error::InvalidData(format!(
            "expected JPEG or PNG bytes ({} bytes given): {e}",
            data.len()
        ))
    })?;
    Ok(to_tensor(&img, 3))
}

/// Decodes an image file, or a [`Error::CorruptFile`] naming it.
pub(crate) fn decode(path: &Path) -> Result<image::DynamicImage> {
    if !path.is_file() {
        return Err(Error::MissingFile {
            name: "image".into(),
            path: path.to_path_buf(),
            hint: None,
        });
    }
    image::ImageReader::open(path)
        .map_err(|e| Error::io(path, e))?
        .with_guessed_format()
        .map_err(|e| Error::io(path, e))?
        .decode()
        .map_err(|e| Error::CorruptFile {
            path: path.to_path_buf(),
            expected: format!("expected a readable JPEG or PNG image: {e}"),
        })
}

/// The pixels as `(H, W, channels)` `Kind::Uint8`.
pub(crate) fn to_tensor(img: &image::DynamicImage, channels: i64) -> Tensor {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let raw = match channels {
        1 => img.to_luma8().into_raw(),
        4 => img.to_rgba8().into_raw(),
        _ => img.to_rgb8().into_raw(),
    };
    Tensor::from_slice(&raw).reshape([h, w, channels])
}

/// The image as a float array, same shape, `Kind::Float` (Keras's `img_to_array`).
pub fn img_to_array(img: &Tensor) -> Tensor {
    img.to_kind(Kind::Float)
}

/// Writes `(H, W, C)` (or `(1, H, W, C)`) pixels to a PNG or JPEG file, chosen by the
/// extension. `Uint8` pixels are written as they are; float pixels are scaled from their
/// minimum–maximum to 0–255 as Keras's `save_img(scale=True)` does.
///
/// ```
/// use ferrokeras::prelude::*;
/// let dir = tempfile::tempdir().unwrap();
/// let img = Tensor::zeros([4, 6, 3], (Kind::Uint8, Device::Cpu));
/// save_img(dir.path().join("black.png"), &img)?;
/// assert_eq!(load_img(dir.path().join("black.png"), None)?.size(), vec![4, 6, 3]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn save_img(path: impl AsRef<Path>, img: &Tensor) -> Result<()> {
    let path = path.as_ref();
    let mut x = img.shallow_clone();
    if x.dim() == 4 && x.size()[0] == 1 {
        x = x.squeeze_dim(0);
    }
    if x.dim() == 2 {
        x = x.unsqueeze(-1);
    }
    let s = x.size();
    if x.dim() != 3 || !matches!(s[2], 1 | 3 | 4) || s[0] == 0 || s[1] == 0 {
        return Err(Error::InvalidArgument(format!(
            "save_img expects (height, width, channels) with 1, 3 or 4 channels, got shape {s:?}"
        )));
    }
    let x = if x.kind() == Kind::Uint8 {
        x
    } else {
        let x = x.to_kind(Kind::Float);
        let x = &x - x.min();
        let max = x.max().double_value(&[]);
        let x = if max > 0.0 { x / max } else { x };
        (x * 255.0).round().clamp(0.0, 255.0).to_kind(Kind::Uint8)
    };
    let bytes = Vec::<u8>::try_from(x.to_device(tch::Device::Cpu).contiguous().reshape([-1]))?;
    let color = match s[2] {
        1 => image::ExtendedColorType::L8,
        4 => image::ExtendedColorType::Rgba8,
        _ => image::ExtendedColorType::Rgb8,
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !matches!(ext.as_str(), "png" | "jpg" | "jpeg") {
        return Err(Error::UnknownId {
            kind: "image format",
            got: ext,
            valid: vec!["png", "jpg", "jpeg"],
        });
    }
    if ext != "png" && s[2] == 4 {
        return Err(Error::InvalidArgument(
            "save_img: JPEG cannot store an alpha channel; save as .png".into(),
        ));
    }
    image::save_buffer(path, &bytes, s[1] as u32, s[0] as u32, color).map_err(|e| match e {
        image::ImageError::IoError(io) => Error::io(path, io),
        other => Error::InvalidArgument(format!("save_img {}: {other}", path.display())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn png_round_trip_and_scaling() {
        let d = tempfile::tempdir().unwrap();
        let x = Tensor::from_slice(&[0.0f32, 0.5, 1.0, 0.25]).reshape([2, 2, 1]);
        let p = d.path().join("g.png");
        save_img(&p, &x).unwrap();
        let back = load_img_with(
            &p,
            LoadImgOptions {
                color_mode: "grayscale",
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            Vec::<u8>::try_from(back.reshape([-1])).unwrap(),
            vec![0, 128, 255, 64]
        );
        let rgb = load_img(&p, Some((4, 4))).unwrap();
        assert_eq!(rgb.size(), vec![4, 4, 3]);
        assert_eq!(rgb.int64_value(&[3, 3, 0]), 64);
        let err = save_img(d.path().join("x.gif"), &x)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "unknown image format 'gif'; valid ids are: png, jpg, jpeg"
        );
        let t = Tensor::zeros([5], (Kind::Uint8, Device::Cpu));
        assert!(save_img(d.path().join("y.png"), &t).is_err());
    }
}
