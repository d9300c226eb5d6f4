//! Keras's random augmentation layers `RandomFlip`, `RandomRotation` and `RandomZoom`:
//! active only in training (`forward(x, true)`), the identity at inference. Batched on the
//! images' device.

use super::augment::{affine_transform, TransformParams};
use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use std::sync::Mutex;
use tch::{Kind, Tensor};

fn rng_from(seed: Option<u64>) -> Mutex<rand::rngs::StdRng> {
    Mutex::new(match seed {
        Some(s) => rand::rngs::StdRng::seed_from_u64(s),
        None => rand::rngs::StdRng::from_os_rng(),
    })
}

fn batched(x: &Tensor, layer: &str) -> Result<(Tensor, bool)> {
    match x.dim() {
        4 => Ok((x.shallow_clone(), false)),
        3 => Ok((x.unsqueeze(0), true)),
        _ => Err(Error::Shape {
            layer: layer.into(),
            expected: "(batch, height, width, channels) or (height, width, channels)".into(),
            got: crate::error::keras_shape(&x.size()),
        }),
    }
}

fn range(factor: (f64, f64), what: &str) -> Result<(f64, f64)> {
    if factor.0 > factor.1 {
        return Err(Error::InvalidArgument(format!(
            "{what}: lower bound {} is above upper bound {}",
            factor.0, factor.1
        )));
    }
    Ok(factor)
}

/// Flips images at random during training (`keras.layers.RandomFlip`).
///
/// Input `(batch, height, width, channels)` (or one image); output the same shape and dtype.
///
/// ```
/// use ferrokeras::prelude::*;
/// let flip = RandomFlip::new("horizontal", Some(1))?;
/// let x = Tensor::rand([2, 8, 8, 3], (Kind::Float, Device::Cpu));
/// assert!(flip.forward(&x, false)?.equal(&x)); // inference: unchanged
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug)]
pub struct RandomFlip {
    horizontal: bool,
    vertical: bool,
    rng: Mutex<rand::rngs::StdRng>,
}

impl RandomFlip {
    /// `mode`: `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"` (Keras's default).
    pub fn new(mode: &str, seed: Option<u64>) -> Result<Self> {
        let (horizontal, vertical) = match mode {
            "horizontal" => (true, false),
            "vertical" => (false, true),
            "horizontal_and_vertical" => (true, true),
            other => {
                return Err(Error::UnknownId {
                    kind: "RandomFlip mode",
                    got: other.into(),
                    valid: vec!["horizontal", "vertical", "horizontal_and_vertical"],
                })
            }
        };
        Ok(Self {
            horizontal,
            vertical,
            rng: rng_from(seed),
        })
    }

    /// Each image is mirrored with probability 0.5 per enabled axis when `train`.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if !train {
            return Ok(x.shallow_clone());
        }
        let (xb, single) = batched(x, "RandomFlip")?;
        let n = xb.size()[0];
        let mut out = xb;
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        for (on, axis) in [(self.horizontal, 2i64), (self.vertical, 1)] {
            if !on {
                continue;
            }
            let mask: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.5).collect();
            let mask = Tensor::from_slice(&mask)
                .to_device(out.device())
                .reshape([n, 1, 1, 1]);
            out = out.flip([axis]).where_self(&mask, &out);
        }
        Ok(if single { out.squeeze_dim(0) } else { out })
    }
}

/// Rotates images by a random angle during training (`keras.layers.RandomRotation`).
///
/// `factor` is a fraction of a full turn: `0.1` draws angles in ±36°; `(lo, hi)` bounds it.
/// Output `Kind::Float`; `fill_mode` `"reflect"` (Keras's default), `"nearest"` or
/// `"constant"`.
#[derive(Debug)]
pub struct RandomRotation {
    factor: (f64, f64),
    /// How pixels outside the image are filled.
    pub fill_mode: &'static str,
    rng: Mutex<rand::rngs::StdRng>,
}

impl RandomRotation {
    /// Angles drawn from `±factor` of a full turn.
    pub fn new(factor: f64, seed: Option<u64>) -> Result<Self> {
        Self::with_range((-factor.abs(), factor.abs()), seed)
    }

    /// Angles drawn from `[lo, hi]` of a full turn.
    pub fn with_range(factor: (f64, f64), seed: Option<u64>) -> Result<Self> {
        Ok(Self {
            factor: range(factor, "RandomRotation factor")?,
            fill_mode: "reflect",
            rng: rng_from(seed),
        })
    }

    /// Rotates each image by its own random angle when `train`.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if !train {
            return Ok(x.shallow_clone());
        }
        let (xb, single) = batched(x, "RandomRotation")?;
        let n = xb.size()[0];
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let m: Vec<[f64; 6]> = (0..n)
            .map(|_| {
                let turn = if self.factor.0 < self.factor.1 {
                    rng.random_range(self.factor.0..=self.factor.1)
                } else {
                    self.factor.0
                };
                TransformParams {
                    theta: turn * 360.0,
                    ..Default::default()
                }
                .matrix()
            })
            .collect();
        let out = affine_transform(&xb, &m, self.fill_mode)?;
        Ok(if single { out.squeeze_dim(0) } else { out })
    }
}

/// Zooms images in or out at random during training (`keras.layers.RandomZoom`).
///
/// `height_factor` `0.2` draws zooms in ±20% (positive zooms out, negative in);
/// `width_factor` `None` keeps the aspect ratio. Output `Kind::Float`.
#[derive(Debug)]
pub struct RandomZoom {
    height: (f64, f64),
    width: Option<(f64, f64)>,
    /// How pixels outside the image are filled (`"reflect"` by default).
    pub fill_mode: &'static str,
    rng: Mutex<rand::rngs::StdRng>,
}

impl RandomZoom {
    /// Zooms drawn from `±height_factor` (and `±width_factor` when given).
    pub fn new(height_factor: f64, width_factor: Option<f64>, seed: Option<u64>) -> Result<Self> {
        let h = height_factor.abs();
        Self::with_ranges((-h, h), width_factor.map(|w| (-w.abs(), w.abs())), seed)
    }

    /// Zooms drawn from explicit `(lo, hi)` ranges.
    pub fn with_ranges(
        height: (f64, f64),
        width: Option<(f64, f64)>,
        seed: Option<u64>,
    ) -> Result<Self> {
        let height = range(height, "RandomZoom height_factor")?;
        let width = width
            .map(|w| range(w, "RandomZoom width_factor"))
            .transpose()?;
        if height.0 <= -1.0 || width.is_some_and(|w| w.0 <= -1.0) {
            return Err(Error::InvalidArgument(
                "RandomZoom factors must be above -1".into(),
            ));
        }
        Ok(Self {
            height,
            width,
            fill_mode: "reflect",
            rng: rng_from(seed),
        })
    }

    /// Zooms each image by its own random factor when `train`.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if !train {
            return Ok(x.shallow_clone());
        }
        let (xb, single) = batched(x, "RandomZoom")?;
        let n = xb.size()[0];
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let mut draw = |r: (f64, f64)| {
            if r.0 < r.1 {
                rng.random_range(r.0..=r.1)
            } else {
                r.0
            }
        };
        let m: Vec<[f64; 6]> = (0..n)
            .map(|_| {
                let zh = 1.0 + draw(self.height);
                let zw = self.width.map_or(zh, |w| 1.0 + draw(w));
                TransformParams {
                    zx: zh,
                    zy: zw,
                    ..Default::default()
                }
                .matrix()
            })
            .collect();
        let out = affine_transform(&xb, &m, self.fill_mode)?;
        Ok(if single {
            out.squeeze_dim(0)
        } else {
            out.to_kind(Kind::Float)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn flip_mirrors_some_images_and_only_in_training() {
        let x = Tensor::rand([32, 4, 5, 3], (Kind::Float, Device::Cpu));
        let f = RandomFlip::new("horizontal", Some(0)).unwrap();
        let y = f.forward(&x, true).unwrap();
        let (mut same, mut flipped) = (0, 0);
        for i in 0..32 {
            if y.get(i).equal(&x.get(i)) {
                same += 1;
            } else {
                assert!(y.get(i).equal(&x.get(i).flip([1])));
                flipped += 1;
            }
        }
        assert!(same > 0 && flipped > 0, "{same} {flipped}");
        assert!(f.forward(&x, false).unwrap().equal(&x));
        assert!(RandomFlip::new("diagonal", None).is_err());
    }

    #[test]
    fn rotation_and_zoom_keep_shape_and_move_pixels() {
        let x = Tensor::rand([4, 6, 6, 1], (Kind::Float, Device::Cpu));
        let r = RandomRotation::with_range((0.5, 0.5), Some(0)).unwrap(); // exactly 180°
        let y = r.forward(&x, true).unwrap();
        assert!(y.allclose(&x.flip([1, 2]), 1e-4, 1e-4, false));
        let z = RandomZoom::new(0.3, None, Some(1)).unwrap();
        let out = z.forward(&x, true).unwrap();
        assert_eq!(out.size(), vec![4, 6, 6, 1]);
        assert!(!out.allclose(&x, 1e-3, 1e-3, false));
        assert!(z.forward(&x, false).unwrap().equal(&x));
        let err = z
            .forward(&Tensor::zeros([6], (Kind::Float, Device::Cpu)), true)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "RandomZoom expects (batch, height, width, channels) or (height, width, channels), got input of shape (None,)");
    }
}
