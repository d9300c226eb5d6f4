//! `keras.ops.image.resize`: bilinear resizing of images or batches of images.

use crate::error::{Error, Result};
use tch::{Kind, Tensor};

/// Resizes `(H, W, C)` or `(B, H, W, C)` images to `size = (height, width)` with bilinear
/// interpolation, half-pixel centres and no antialiasing — what `keras.ops.image.resize`
/// (and `tf.image.resize`) do by default. Any dtype in, `Kind::Float` out (values keep
/// their range: 0–255 stays 0–255). Runs on the tensor's device.
///
/// ```
/// use ferrokeras::prelude::*;
/// let img = Tensor::from_slice(&[0u8, 100, 200, 255]).reshape([2, 2, 1]);
/// let big = resize_images(&img, (4, 4))?;
/// assert_eq!(big.size(), vec![4, 4, 1]);
/// assert_eq!(big.double_value(&[0, 1, 0]), 25.0); // a quarter of the way from 0 to 100
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn resize_images(images: &Tensor, size: (i64, i64)) -> Result<Tensor> {
    resize_images_with(images, size, "bilinear")
}

/// [`resize_images`] with `interpolation` `"bilinear"` or `"nearest"`.
pub fn resize_images_with(
    images: &Tensor,
    size: (i64, i64),
    interpolation: &str,
) -> Result<Tensor> {
    let (h, w) = size;
    if h <= 0 || w <= 0 {
        return Err(Error::InvalidArgument(format!(
            "resize: size must be positive, got ({h}, {w})"
        )));
    }
    let batched = match images.dim() {
        3 => false,
        4 => true,
        _ => {
            return Err(Error::InvalidArgument(format!(
                "resize expects (height, width, channels) or (batch, height, width, channels), got shape {:?}",
                images.size()
            )))
        }
    };
    let x = if batched {
        images.shallow_clone()
    } else {
        images.unsqueeze(0)
    };
    let nchw = x.to_kind(Kind::Float).permute([0, 3, 1, 2]);
    let out = match interpolation {
        "bilinear" => nchw.f_upsample_bilinear2d([h, w], false, None, None)?,
        "nearest" => nchw.f_upsample_nearest2d([h, w], None, None)?,
        other => {
            return Err(Error::UnknownId {
                kind: "interpolation",
                got: other.to_string(),
                valid: vec!["bilinear", "nearest"],
            })
        }
    };
    let out = out.permute([0, 2, 3, 1]).contiguous();
    Ok(if batched { out } else { out.squeeze_dim(0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_pixel_bilinear_up_and_down() {
        let img = Tensor::from_slice(&[0.0f32, 1., 2., 3.]).reshape([1, 2, 2, 1]);
        let up = resize_images(&img, (4, 4)).unwrap();
        let row: Vec<f32> = Vec::try_from(up.get(0).get(0).reshape([-1])).unwrap();
        assert_eq!(row, vec![0.0, 0.25, 0.75, 1.0]);
        let x = Tensor::arange(16, (Kind::Float, tch::Device::Cpu)).reshape([4, 4, 1]);
        let down = resize_images(&x, (2, 2)).unwrap();
        // each output pixel is the mean of a 2×2 block's centre: (0+1+4+5)/4 = 2.5
        assert_eq!(
            Vec::<f32>::try_from(down.reshape([-1])).unwrap(),
            vec![2.5, 4.5, 10.5, 12.5]
        );
        assert!(resize_images(&x.reshape([16]), (2, 2)).is_err());
        let err = resize_images_with(&x, (2, 2), "area")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "unknown interpolation 'area'; valid ids are: bilinear, nearest"
        );
    }
}
