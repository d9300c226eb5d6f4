//! Keras's `ImageDataGenerator` augmentation: random rotation, shifts, shear, zoom and
//! flips, applied to whole batches on the tensor's device with libtorch's `affine_grid` and
//! `grid_sample`.

use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use tch::{Kind, Tensor};

/// One image's transform, as Keras's `get_random_transform` returns it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransformParams {
    /// Rotation in degrees (counter-clockwise).
    pub theta: f64,
    /// Vertical shift in pixels (Keras's `tx`, along rows).
    pub tx: f64,
    /// Horizontal shift in pixels (Keras's `ty`, along columns).
    pub ty: f64,
    /// Shear angle in degrees.
    pub shear: f64,
    /// Zoom along rows (1 = none; below 1 zooms in).
    pub zx: f64,
    /// Zoom along columns.
    pub zy: f64,
    /// Mirror left–right.
    pub flip_horizontal: bool,
    /// Mirror top–bottom.
    pub flip_vertical: bool,
}

impl Default for TransformParams {
    fn default() -> Self {
        Self {
            theta: 0.0,
            tx: 0.0,
            ty: 0.0,
            shear: 0.0,
            zx: 1.0,
            zy: 1.0,
            flip_horizontal: false,
            flip_vertical: false,
        }
    }
}

impl TransformParams {
    /// The output→input map in centred pixel coordinates `(x = column, y = row)`:
    /// `[a, b, c, d, e, f]` with `x_in = a x + b y + c`, `y_in = d x + e y + f`.
    /// Keras composes rotation · shift · shear · zoom in (row, column) order.
    pub fn matrix(&self) -> [f64; 6] {
        let t = self.theta.to_radians();
        let s = self.shear.to_radians();
        let mul = |a: [[f64; 3]; 3], b: [[f64; 3]; 3]| {
            let mut m = [[0.0; 3]; 3];
            for i in 0..3 {
                for j in 0..3 {
                    m[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
                }
            }
            m
        };
        let rot = [
            [t.cos(), -t.sin(), 0.0],
            [t.sin(), t.cos(), 0.0],
            [0.0, 0.0, 1.0],
        ];
        let shift = [[1.0, 0.0, self.tx], [0.0, 1.0, self.ty], [0.0, 0.0, 1.0]];
        let shear = [[1.0, -s.sin(), 0.0], [0.0, s.cos(), 0.0], [0.0, 0.0, 1.0]];
        let zoom = [[self.zx, 0.0, 0.0], [0.0, self.zy, 0.0], [0.0, 0.0, 1.0]];
        let m = mul(mul(mul(rot, shift), shear), zoom); // in (row, col)
                                                        // swap to (x = col, y = row)
        let mut out = [m[1][1], m[1][0], m[1][2], m[0][1], m[0][0], m[0][2]];
        if self.flip_horizontal {
            out[0] = -out[0];
            out[3] = -out[3];
        }
        if self.flip_vertical {
            out[1] = -out[1];
            out[4] = -out[4];
        }
        out
    }
}

fn padding_mode(fill_mode: &str) -> Result<i64> {
    match fill_mode {
        "constant" => Ok(0),
        "nearest" => Ok(1),
        "reflect" => Ok(2),
        other => Err(Error::UnknownId {
            kind: "fill_mode",
            got: other.into(),
            valid: vec!["nearest", "constant", "reflect"],
        }),
    }
}

/// Warps `(B, H, W, C)` images by one output→input matrix each (see
/// [`TransformParams::matrix`]), with bilinear sampling and `fill_mode` outside the image
/// (`"nearest"`: edge pixels, `"constant"`: 0, `"reflect"`). Output `Kind::Float`, same
/// device.
pub fn affine_transform(images: &Tensor, matrices: &[[f64; 6]], fill_mode: &str) -> Result<Tensor> {
    let pad = padding_mode(fill_mode)?;
    let s = images.size();
    if s.len() != 4 || s[0] as usize != matrices.len() {
        return Err(Error::InvalidArgument(format!(
            "affine_transform expects (batch, height, width, channels) images and one matrix per image, got shape {s:?} and {} matrices",
            matrices.len()
        )));
    }
    let (h, w) = (s[1] as f64, s[2] as f64);
    // Centred pixels → normalized coordinates (align_corners = false): u = 2 x / W.
    let theta: Vec<f32> = matrices
        .iter()
        .flat_map(|m| {
            [
                m[0],
                m[1] * h / w,
                2.0 * m[2] / w,
                m[3] * w / h,
                m[4],
                2.0 * m[5] / h,
            ]
        })
        .map(|v| v as f32)
        .collect();
    let theta = Tensor::from_slice(&theta)
        .reshape([s[0], 2, 3])
        .to_device(images.device());
    let x = images
        .to_kind(Kind::Float)
        .permute([0, 3, 1, 2])
        .contiguous();
    let grid = Tensor::f_affine_grid_generator(&theta, [s[0], s[3], s[1], s[2]], false)?;
    let out = x.f_grid_sampler(&grid, 0, pad, false)?;
    Ok(out.permute([0, 2, 3, 1]).contiguous())
}

/// Keras's `ImageDataGenerator`: random augmentation settings, with Keras's defaults (all
/// off, `fill_mode` `"nearest"`).
///
/// ```
/// use ferrokeras::prelude::*;
/// let datagen = ImageDataGenerator {
///     rotation_range: 40.0,
///     width_shift_range: 0.2,
///     height_shift_range: 0.2,
///     shear_range: 0.2,
///     zoom_range: 0.2,
///     horizontal_flip: true,
///     ..Default::default()
/// };
/// let images = Tensor::rand([4, 32, 32, 3], (Kind::Float, Device::Cpu));
/// let out = datagen.random_transform_batch(&images, 42)?;
/// assert_eq!(out.size(), vec![4, 32, 32, 3]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDataGenerator {
    /// Rotations drawn from ±`rotation_range` degrees.
    pub rotation_range: f64,
    /// Horizontal shifts: a fraction of the width (below 1) or pixels (from 1).
    pub width_shift_range: f64,
    /// Vertical shifts: a fraction of the height (below 1) or pixels (from 1).
    pub height_shift_range: f64,
    /// Shear angles drawn from ±`shear_range` degrees.
    pub shear_range: f64,
    /// Zooms drawn from `[1 - zoom_range, 1 + zoom_range]`, rows and columns independently.
    pub zoom_range: f64,
    /// Mirror left–right with probability 0.5.
    pub horizontal_flip: bool,
    /// Mirror top–bottom with probability 0.5.
    pub vertical_flip: bool,
    /// `"nearest"` (default), `"constant"` (0) or `"reflect"`.
    pub fill_mode: &'static str,
    /// Multiply pixels by this after transforming (e.g. `1.0 / 255.0`).
    pub rescale: Option<f64>,
}

impl Default for ImageDataGenerator {
    fn default() -> Self {
        Self {
            rotation_range: 0.0,
            width_shift_range: 0.0,
            height_shift_range: 0.0,
            shear_range: 0.0,
            zoom_range: 0.0,
            horizontal_flip: false,
            vertical_flip: false,
            fill_mode: "nearest",
            rescale: None,
        }
    }
}

impl ImageDataGenerator {
    /// Draws one image's transform (Keras's `get_random_transform`) for an image of
    /// `(height, width)`.
    pub fn get_random_transform(
        &self,
        height: i64,
        width: i64,
        rng: &mut impl Rng,
    ) -> TransformParams {
        let mut u = |r: f64| {
            if r > 0.0 {
                rng.random_range(-r..=r)
            } else {
                0.0
            }
        };
        let theta = u(self.rotation_range);
        let shift = |r: f64, v: f64, size: i64| if r < 1.0 { v * size as f64 } else { v };
        let tx = shift(self.height_shift_range, u(self.height_shift_range), height);
        let ty = shift(self.width_shift_range, u(self.width_shift_range), width);
        let shear = u(self.shear_range);
        let (zx, zy) = if self.zoom_range > 0.0 {
            let z = self.zoom_range;
            (
                rng.random_range(1.0 - z..=1.0 + z),
                rng.random_range(1.0 - z..=1.0 + z),
            )
        } else {
            (1.0, 1.0)
        };
        TransformParams {
            theta,
            tx,
            ty,
            shear,
            zx,
            zy,
            flip_horizontal: self.horizontal_flip && rng.random::<f64>() < 0.5,
            flip_vertical: self.vertical_flip && rng.random::<f64>() < 0.5,
        }
    }

    /// Applies given transforms, one per image of `(B, H, W, C)` images.
    pub fn apply_transform(&self, images: &Tensor, params: &[TransformParams]) -> Result<Tensor> {
        let m: Vec<[f64; 6]> = params.iter().map(TransformParams::matrix).collect();
        let out = affine_transform(images, &m, self.fill_mode)?;
        Ok(match self.rescale {
            Some(r) => out * r,
            None => out,
        })
    }

    /// Augments a batch `(B, H, W, C)` (or one image `(H, W, C)`) with fresh random
    /// transforms drawn from `seed`; runs on the images' device.
    pub fn random_transform_batch(&self, images: &Tensor, seed: u64) -> Result<Tensor> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        self.random_transform_with(images, &mut rng)
    }

    pub(super) fn random_transform_with(
        &self,
        images: &Tensor,
        rng: &mut impl Rng,
    ) -> Result<Tensor> {
        let single = images.dim() == 3;
        let x = if single {
            images.unsqueeze(0)
        } else {
            images.shallow_clone()
        };
        if x.dim() != 4 {
            return Err(Error::InvalidArgument(format!(
                "ImageDataGenerator expects (batch, height, width, channels) or (height, width, channels), got shape {:?}",
                images.size()
            )));
        }
        let s = x.size();
        let params: Vec<TransformParams> = (0..s[0])
            .map(|_| self.get_random_transform(s[1], s[2], rng))
            .collect();
        let out = self.apply_transform(&x, &params)?;
        Ok(if single { out.squeeze_dim(0) } else { out })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn ramp() -> Tensor {
        Tensor::arange(16, (Kind::Float, Device::Cpu)).reshape([1, 4, 4, 1])
    }

    #[test]
    fn identity_rotation_shift_and_zoom_geometry() {
        let x = ramp();
        let g = ImageDataGenerator::default();
        assert!(g
            .apply_transform(&x, &[TransformParams::default()])
            .unwrap()
            .allclose(&x, 1e-5, 1e-5, false));
        // 180° maps pixel (r, c) to (3 - r, 3 - c) exactly
        let r = g
            .apply_transform(
                &x,
                &[TransformParams {
                    theta: 180.0,
                    ..Default::default()
                }],
            )
            .unwrap();
        assert!(r.allclose(&x.flip([1, 2]), 1e-4, 1e-4, false));
        // column shift of +1: output column c reads input column c + 1, the edge repeats
        let s = g
            .apply_transform(
                &x,
                &[TransformParams {
                    ty: 1.0,
                    ..Default::default()
                }],
            )
            .unwrap();
        assert_eq!(
            Vec::<f32>::try_from(s.get(0).get(0).reshape([-1])).unwrap(),
            vec![1.0, 2.0, 3.0, 3.0]
        );
        // row shift with constant fill: the last row is 0
        let c = ImageDataGenerator {
            fill_mode: "constant",
            ..Default::default()
        };
        let s = c
            .apply_transform(
                &x,
                &[TransformParams {
                    tx: 1.0,
                    ..Default::default()
                }],
            )
            .unwrap();
        assert_eq!(
            Vec::<f32>::try_from(s.get(0).get(3).reshape([-1])).unwrap(),
            vec![0.0; 4]
        );
        assert_eq!(s.double_value(&[0, 0, 0, 0]), 4.0);
        // horizontal flip
        let f = g
            .apply_transform(
                &x,
                &[TransformParams {
                    flip_horizontal: true,
                    ..Default::default()
                }],
            )
            .unwrap();
        assert!(f.allclose(&x.flip([2]), 1e-5, 1e-5, false));
        let err = ImageDataGenerator {
            fill_mode: "wrap",
            ..Default::default()
        }
        .apply_transform(&x, &[TransformParams::default()]);
        assert_eq!(
            err.unwrap_err().to_string(),
            "unknown fill_mode 'wrap'; valid ids are: nearest, constant, reflect"
        );
    }

    #[test]
    fn random_transforms_are_seeded_and_within_range() {
        let g = ImageDataGenerator {
            rotation_range: 40.0,
            zoom_range: 0.2,
            width_shift_range: 0.2,
            horizontal_flip: true,
            ..Default::default()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        for _ in 0..100 {
            let p = g.get_random_transform(10, 20, &mut rng);
            assert!(p.theta.abs() <= 40.0 && (0.8..=1.2).contains(&p.zx) && p.ty.abs() <= 4.0);
        }
        let x = Tensor::rand([3, 8, 8, 3], (Kind::Float, Device::Cpu));
        let a = g.random_transform_batch(&x, 5).unwrap();
        assert!(a.equal(&g.random_transform_batch(&x, 5).unwrap()));
        assert!(!a.equal(&g.random_transform_batch(&x, 6).unwrap()));
    }
}
