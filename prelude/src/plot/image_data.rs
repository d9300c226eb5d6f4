//! Pixel data for `imshow`: tensors in Keras's channels-last layout turned into RGB pixels.

use super::colormap::Colormap;
use crate::error::{Error, Result};
use tch::{Device, Kind, Tensor};

/// An image to show: `height × width × channels` values (1 = grayscale, 3 = RGB, 4 = RGBA).
///
/// Integer data (u8 tensors) is on the 0–255 scale; float RGB data is on 0–1 (values above
/// 1.5 are taken as 0–255, a common slip). Grayscale data goes through a colormap with
/// `vmin`/`vmax` defaulting to the data's min/max, as matplotlib does.
///
/// ```
/// use ferrokeras::plot::PlotImage;
/// let img = PlotImage::gray(2, 3, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
/// assert_eq!((img.height(), img.width(), img.channels()), (2, 3, 1));
/// assert!(PlotImage::rgb(2, 2, vec![0.0; 5]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PlotImage {
    h: usize,
    w: usize,
    c: usize,
    values: Vec<f32>,
    integer: bool,
}

/// RGB pixels, row-major, 3 bytes each.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rgb {
    pub w: usize,
    pub h: usize,
    pub data: Vec<u8>,
}

impl PlotImage {
    /// A grayscale image from `height * width` values.
    pub fn gray(height: usize, width: usize, values: Vec<f32>) -> Result<Self> {
        Self::new(height, width, 1, values, false)
    }

    /// An RGB image from `height * width * 3` values (0–1 floats or 0–255).
    pub fn rgb(height: usize, width: usize, values: Vec<f32>) -> Result<Self> {
        Self::new(height, width, 3, values, false)
    }

    fn new(h: usize, w: usize, c: usize, values: Vec<f32>, integer: bool) -> Result<Self> {
        if values.len() != h * w * c || h == 0 || w == 0 {
            return Err(Error::InvalidArgument(format!(
                "image data: expected {h}×{w}×{c} = {} values, got {}",
                h * w * c,
                values.len()
            )));
        }
        Ok(Self {
            h,
            w,
            c,
            values,
            integer,
        })
    }

    /// One image from a tensor of shape `(H, W)`, `(H, W, C)` or `(1, H, W, C)` with C in
    /// 1, 3, 4 (Keras's channels-last layout).
    pub fn from_tensor(t: &Tensor) -> Result<Self> {
        let mut shape = t.size();
        while shape.len() > 3 && shape[0] == 1 {
            shape.remove(0);
        }
        if shape.len() == 3 && shape[0] == 1 && !matches!(shape[2], 1 | 3 | 4) {
            shape.remove(0);
        }
        let (h, w, c) = match shape[..] {
            [h, w] => (h, w, 1),
            [h, w, c] if matches!(c, 1 | 3 | 4) => (h, w, c),
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "imshow expects an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {:?}",
                    t.size()
                )))
            }
        };
        let values = tensor_values(t)?;
        let integer = !t.is_floating_point();
        Self::new(h as usize, w as usize, c as usize, values, integer)
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.h
    }
    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.w
    }
    /// Channels: 1, 3 or 4.
    pub fn channels(&self) -> usize {
        self.c
    }

    /// The finite min and max of the values (0, 0 when none is finite).
    pub(crate) fn range(&self) -> (f32, f32) {
        let mut lo = f32::INFINITY;
        let mut hi = f32::NEG_INFINITY;
        for &v in &self.values {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if lo > hi {
            (0.0, 0.0)
        } else {
            (lo, hi)
        }
    }

    /// The RGB pixels: grayscale through `cmap` between `vmin` and `vmax`, colour as is.
    pub(crate) fn to_rgb(&self, cmap: Colormap, vmin: Option<f32>, vmax: Option<f32>) -> Rgb {
        let n = self.h * self.w;
        let mut data = Vec::with_capacity(n * 3);
        if self.c == 1 {
            let (lo, hi) = self.range();
            let lo = vmin.unwrap_or(lo);
            let hi = vmax.unwrap_or(hi);
            let span = if hi > lo { hi - lo } else { 1.0 };
            let lut = cmap.lut();
            for &v in &self.values {
                let t = ((v - lo) / span).clamp(0.0, 1.0);
                let idx = if t.is_nan() {
                    0
                } else {
                    (t * 255.0).round() as usize
                };
                data.extend_from_slice(&lut[idx]);
            }
        } else {
            let (_, hi) = self.range();
            let scale = if self.integer || hi > 1.5 { 1.0 } else { 255.0 };
            for px in self.values.chunks(self.c) {
                for &v in &px[..3] {
                    data.push((v * scale).round().clamp(0.0, 255.0) as u8);
                }
            }
        }
        Rgb {
            w: self.w,
            h: self.h,
            data,
        }
    }
}

/// A tensor's values as `f32`, on the CPU, flattened in row-major order.
pub(crate) fn tensor_values(t: &Tensor) -> Result<Vec<f32>> {
    let flat = t
        .f_detach()?
        .f_to_device(Device::Cpu)?
        .f_to_kind(Kind::Float)?
        .f_contiguous()?
        .f_reshape([-1])?;
    Ok(Vec::<f32>::try_from(&flat)?)
}

/// The images of a batch tensor `(N, H, W)` or `(N, H, W, C)`.
pub(crate) fn batch_images(t: &Tensor, what: &str) -> Result<Vec<PlotImage>> {
    let shape = t.size();
    let ok = match shape.len() {
        3 => true,
        4 => matches!(shape[3], 1 | 3 | 4),
        _ => false,
    };
    if !ok {
        return Err(Error::InvalidArgument(format!(
            "{what}: expected images of shape (N, H, W) or (N, H, W, C) with C in 1, 3, 4, got {shape:?}"
        )));
    }
    let (n, h, w) = (shape[0] as usize, shape[1] as usize, shape[2] as usize);
    let c = if shape.len() == 4 {
        shape[3] as usize
    } else {
        1
    };
    let values = tensor_values(t)?;
    let integer = !t.is_floating_point();
    let per = h * w * c;
    (0..n)
        .map(|i| PlotImage::new(h, w, c, values[i * per..(i + 1) * per].to_vec(), integer))
        .collect()
}

/// Nearest-neighbour resize of RGB pixels to `tw × th`.
pub(crate) fn resize_nearest(src: &Rgb, tw: usize, th: usize) -> Vec<u8> {
    let mut out = vec![0u8; tw * th * 3];
    let xmap: Vec<usize> = (0..tw)
        .map(|x| ((x * src.w) / tw.max(1)).min(src.w - 1))
        .collect();
    for y in 0..th {
        let sy = ((y * src.h) / th.max(1)).min(src.h - 1);
        let row = &src.data[sy * src.w * 3..(sy + 1) * src.w * 3];
        let dst = &mut out[y * tw * 3..(y + 1) * tw * 3];
        for (x, &sx) in xmap.iter().enumerate() {
            dst[x * 3..x * 3 + 3].copy_from_slice(&row[sx * 3..sx * 3 + 3]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_shapes_and_scales() {
        let t = Tensor::from_slice(&[0u8, 128, 255, 64]).reshape([1, 2, 2, 1]);
        let img = PlotImage::from_tensor(&t).unwrap();
        assert_eq!((img.h, img.w, img.c), (2, 2, 1));
        let rgb = img.to_rgb(Colormap::Gray, Some(0.0), Some(255.0));
        assert_eq!(
            rgb.data,
            vec![0, 0, 0, 128, 128, 128, 255, 255, 255, 64, 64, 64]
        );

        let t = Tensor::from_slice(&[1.0f32, 0.5, 0.0]).reshape([1, 1, 3]);
        let rgb = PlotImage::from_tensor(&t)
            .unwrap()
            .to_rgb(Colormap::Gray, None, None);
        assert_eq!(rgb.data, vec![255, 128, 0]);

        let bad = Tensor::zeros([2, 3, 5, 7], (Kind::Float, Device::Cpu));
        assert!(PlotImage::from_tensor(&bad).is_err());
        assert!(batch_images(&bad, "image_grid").is_err());
    }

    #[test]
    fn nearest_resize_doubles_pixels() {
        let src = Rgb {
            w: 2,
            h: 1,
            data: vec![1, 1, 1, 2, 2, 2],
        };
        let out = resize_nearest(&src, 4, 2);
        assert_eq!(&out[..12], &[1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
        assert_eq!(&out[12..], &out[..12]);
    }
}
