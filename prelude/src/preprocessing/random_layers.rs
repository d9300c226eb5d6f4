//! Keras's random augmentation layers `RandomFlip`, `RandomRotation` and `RandomZoom`:
//! active only in training (in `fit`, or `forward(x, true)`), the identity in `predict`,
//! `evaluate` and `call`. Batched on the images' device, with no weights (0 params).
//!
//! They are layers: put them first in a model, as the course notebooks do.
//!
//! ```
//! use ferrokeras::prelude::*;
//! let model = Sequential::new()
//!     .add(Input::new([32, 32, 3]))
//!     .add(RandomFlip::new("horizontal"))
//!     .add(RandomRotation::new(0.1))
//!     .add(RandomZoom::new(0.2))
//!     .add(Flatten::new())
//!     .add(Dense::new(2));
//! assert_eq!(model.count_params(), 32 * 32 * 3 * 2 + 2); // the augmentation adds none
//! ```

use super::augment::{affine_transform, TransformParams};
use crate::error::{Error, Result};
use crate::layers::{layer_builder, layer_shape_err, LayerKind, LayerOpts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::sync::Mutex;
use tch::{Device, Tensor};

const FILL_MODES: [&str; 3] = ["reflect", "nearest", "constant"];

/// A random generator from `seed`, or from the global seed (`set_random_seed`) when `None`.
fn rng_from(seed: Option<u64>) -> Mutex<StdRng> {
    let seed = seed.unwrap_or_else(crate::backend::next_seed);
    Mutex::new(StdRng::seed_from_u64(seed))
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

fn check_range(factor: (f64, f64), what: &str) -> Result<()> {
    if factor.0 > factor.1 {
        return Err(Error::InvalidArgument(format!(
            "{what}: lower bound {} is above upper bound {}",
            factor.0, factor.1
        )));
    }
    Ok(())
}

fn check_fill_mode(fill_mode: &str) -> Result<()> {
    if FILL_MODES.contains(&fill_mode) {
        Ok(())
    } else {
        Err(Error::UnknownId {
            kind: "fill_mode",
            got: fill_mode.to_string(),
            valid: FILL_MODES.to_vec(),
        })
    }
}

/// The shape check of a model's build: one example is `(height, width, channels)`.
fn build_image_layer(label: &str, input: &[i64]) -> Result<Vec<i64>> {
    if input.len() != 3 {
        return Err(layer_shape_err(
            label,
            "images of shape (None, height, width, channels)",
            input,
        ));
    }
    Ok(input.to_vec())
}

/// Implements `LayerKind` for one of the layers, whose `check` tests its arguments at build
/// and whose `forward` does the work; `$config` is the saved config of `$l`, the layer.
macro_rules! random_layer_kind {
    ($ty:ident, $default_name:literal, |$l:ident| $config:expr) => {
        impl LayerKind for $ty {
            fn class_name(&self) -> &'static str {
                stringify!($ty)
            }
            fn default_name(&self) -> &'static str {
                $default_name
            }
            fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
                self.check()?;
                build_image_layer(label, input)
            }
            fn forward(&self, x: &Tensor, training: bool) -> Tensor {
                // In a model the arguments and shapes were checked at build: a failure here
                // cannot come from the input.
                $ty::forward(self, x, training).unwrap_or_else(|_| x.shallow_clone())
            }
            fn config(&self) -> Value {
                let $l = self;
                $config
            }
        }
    };
}

/// The frame of every layer's `forward` once its arguments are checked: the identity out of
/// training, else `augment` on the batch (one image is made a batch of one and back) with the
/// layer's generator.
fn in_training(
    x: &Tensor,
    train: bool,
    layer: &str,
    rng: &Mutex<StdRng>,
    augment: impl FnOnce(&Tensor, &mut StdRng) -> Result<Tensor>,
) -> Result<Tensor> {
    if !train {
        return Ok(x.shallow_clone());
    }
    let (xb, single) = batched(x, layer)?;
    let mut rng = rng.lock().unwrap_or_else(|e| e.into_inner());
    let out = augment(&xb, &mut rng)?;
    Ok(if single { out.squeeze_dim(0) } else { out })
}

/// A value drawn uniformly from `[lo, hi]`, or `lo` without a draw when the range is one
/// point (so a fixed factor leaves the generator's sequence alone).
fn draw(rng: &mut StdRng, (lo, hi): (f64, f64)) -> f64 {
    if lo < hi {
        rng.random_range(lo..=hi)
    } else {
        lo
    }
}

/// One affine transform per image of the batch `xb`, each from its own `params(rng)`.
fn random_affine(
    xb: &Tensor,
    rng: &mut StdRng,
    fill_mode: &str,
    mut params: impl FnMut(&mut StdRng) -> TransformParams,
) -> Result<Tensor> {
    let m: Vec<[f64; 6]> = (0..xb.size()[0]).map(|_| params(rng).matrix()).collect();
    affine_transform(xb, &m, fill_mode)
}

/// `layer` with the seed its saved config holds, if any (`seed` is the layer's `.seed`).
fn reseeded<L>(layer: L, c: &Value, seed: impl FnOnce(L, u64) -> L) -> L {
    match c["seed"].as_u64() {
        Some(s) => seed(layer, s),
        None => layer,
    }
}

fn get_pair(c: &Value, key: &str) -> Result<(f64, f64)> {
    serde_json::from_value(c[key].clone())
        .map_err(|e| Error::InvalidArgument(format!("saved layer config: {key}: {e}")))
}

/// Flips images at random during training (`keras.layers.RandomFlip`).
///
/// Arguments: `mode` `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"` (Keras's
/// default); `.seed(n)` for a fixed sequence of flips (else it follows `set_random_seed`).
///
/// Input `(batch, height, width, channels)` (or one image); output the same shape and dtype.
///
/// ```
/// use ferrokeras::prelude::*;
/// let flip = RandomFlip::new("horizontal").seed(1);
/// let x = Tensor::rand([2, 8, 8, 3], (Kind::Float, Device::Cpu));
/// assert!(flip.forward(&x, false)?.equal(&x)); // inference: unchanged
/// assert!(RandomFlip::new("diagonal").forward(&x, true).is_err());
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug)]
pub struct RandomFlip {
    mode: String,
    seed: Option<u64>,
    rng: Mutex<StdRng>,
    pub(crate) opts: LayerOpts,
}

layer_builder!(RandomFlip);

impl RandomFlip {
    /// A flip layer; `mode`: `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"`
    /// (an unknown mode is an error when the layer is built or run).
    pub fn new(mode: &str) -> Self {
        Self {
            mode: mode.to_string(),
            seed: None,
            rng: rng_from(None),
            opts: LayerOpts::default(),
        }
    }

    /// A fixed seed for the random flips.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.rng = rng_from(Some(seed));
        self
    }

    fn axes(&self) -> Result<(bool, bool)> {
        match self.mode.as_str() {
            "horizontal" => Ok((true, false)),
            "vertical" => Ok((false, true)),
            "horizontal_and_vertical" => Ok((true, true)),
            other => Err(Error::UnknownId {
                kind: "RandomFlip mode",
                got: other.into(),
                valid: vec!["horizontal", "vertical", "horizontal_and_vertical"],
            }),
        }
    }

    fn check(&self) -> Result<()> {
        self.axes().map(|_| ())
    }

    /// Each image is mirrored with probability 0.5 per enabled axis when `train`.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let (horizontal, vertical) = self.axes()?;
        in_training(x, train, "RandomFlip", &self.rng, |xb, rng| {
            let n = xb.size()[0];
            let mut out = xb.shallow_clone();
            for (on, axis) in [(horizontal, 2i64), (vertical, 1)] {
                if !on {
                    continue;
                }
                let mask: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.5).collect();
                let mask = Tensor::from_slice(&mask)
                    .to_device(out.device())
                    .reshape([n, 1, 1, 1]);
                out = out.flip([axis]).where_self(&mask, &out);
            }
            Ok(out)
        })
    }

    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let l = Self::new(c["mode"].as_str().unwrap_or("horizontal_and_vertical"));
        Ok(reseeded(l, c, Self::seed))
    }
}

random_layer_kind!(
    RandomFlip,
    "random_flip",
    |l| json!({ "mode": l.mode, "seed": l.seed })
);

/// Rotates images by a random angle during training (`keras.layers.RandomRotation`).
///
/// Arguments: `factor`, a fraction of a full turn: `0.1` draws angles in ±36°
/// ([`RandomRotation::with_range`] bounds it as `(lo, hi)`); `.fill_mode(…)` `"reflect"`
/// (Keras's default), `"nearest"` or `"constant"`; `.seed(n)`.
///
/// Input `(batch, height, width, channels)` (or one image); output the same shape,
/// `Kind::Float`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let half_turn = RandomRotation::with_range((0.5, 0.5)).seed(0);
/// let x = Tensor::rand([1, 4, 4, 1], (Kind::Float, Device::Cpu));
/// assert!(half_turn.forward(&x, true)?.allclose(&x.flip([1, 2]), 1e-4, 1e-4, false));
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug)]
pub struct RandomRotation {
    factor: (f64, f64),
    fill_mode: String,
    seed: Option<u64>,
    rng: Mutex<StdRng>,
    pub(crate) opts: LayerOpts,
}

layer_builder!(RandomRotation);

impl RandomRotation {
    /// Angles drawn from `±factor` of a full turn.
    pub fn new(factor: f64) -> Self {
        Self::with_range((-factor.abs(), factor.abs()))
    }

    /// Angles drawn from `[lo, hi]` of a full turn (`lo > hi` is an error when run).
    pub fn with_range(factor: (f64, f64)) -> Self {
        Self {
            factor,
            fill_mode: "reflect".into(),
            seed: None,
            rng: rng_from(None),
            opts: LayerOpts::default(),
        }
    }

    /// How pixels outside the image are filled: `"reflect"`, `"nearest"` or `"constant"`.
    pub fn fill_mode(mut self, fill_mode: &str) -> Self {
        self.fill_mode = fill_mode.to_string();
        self
    }

    /// A fixed seed for the random angles.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.rng = rng_from(Some(seed));
        self
    }

    fn check(&self) -> Result<()> {
        check_range(self.factor, "RandomRotation factor")?;
        check_fill_mode(&self.fill_mode)
    }

    /// Rotates each image by its own random angle when `train`.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.check()?;
        in_training(x, train, "RandomRotation", &self.rng, |xb, rng| {
            random_affine(xb, rng, &self.fill_mode, |rng| TransformParams {
                theta: draw(rng, self.factor) * 360.0,
                ..Default::default()
            })
        })
    }

    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let l = Self::with_range(get_pair(c, "factor")?)
            .fill_mode(c["fill_mode"].as_str().unwrap_or("reflect"));
        Ok(reseeded(l, c, Self::seed))
    }
}

random_layer_kind!(RandomRotation, "random_rotation", |l| json!({
    "factor": l.factor,
    "fill_mode": l.fill_mode,
    "seed": l.seed,
}));

/// Zooms images in or out at random during training (`keras.layers.RandomZoom`).
///
/// Arguments: `height_factor` `0.2` draws zooms in ±20% (positive zooms out, negative in;
/// [`RandomZoom::with_ranges`] takes `(lo, hi)` bounds); `.width_factor(w)` (by default the
/// aspect ratio is kept); `.fill_mode(…)` (`"reflect"` by default); `.seed(n)`.
///
/// Input `(batch, height, width, channels)` (or one image); output the same shape,
/// `Kind::Float`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let zoom = RandomZoom::new(0.3).seed(1);
/// let x = Tensor::rand([2, 6, 6, 1], (Kind::Float, Device::Cpu));
/// assert_eq!(zoom.forward(&x, true)?.size(), vec![2, 6, 6, 1]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug)]
pub struct RandomZoom {
    height: (f64, f64),
    width: Option<(f64, f64)>,
    fill_mode: String,
    seed: Option<u64>,
    rng: Mutex<StdRng>,
    pub(crate) opts: LayerOpts,
}

layer_builder!(RandomZoom);

impl RandomZoom {
    /// Zooms drawn from `±height_factor`, the same for the width.
    pub fn new(height_factor: f64) -> Self {
        let h = height_factor.abs();
        Self::with_ranges((-h, h), None)
    }

    /// Zooms drawn from explicit `(lo, hi)` ranges (`lo > hi` or `lo <= -1` is an error when
    /// run).
    pub fn with_ranges(height: (f64, f64), width: Option<(f64, f64)>) -> Self {
        Self {
            height,
            width,
            fill_mode: "reflect".into(),
            seed: None,
            rng: rng_from(None),
            opts: LayerOpts::default(),
        }
    }

    /// Zooms of the width drawn from `±width_factor`, independently of the height.
    pub fn width_factor(mut self, width_factor: f64) -> Self {
        let w = width_factor.abs();
        self.width = Some((-w, w));
        self
    }

    /// How pixels outside the image are filled: `"reflect"`, `"nearest"` or `"constant"`.
    pub fn fill_mode(mut self, fill_mode: &str) -> Self {
        self.fill_mode = fill_mode.to_string();
        self
    }

    /// A fixed seed for the random zooms.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.rng = rng_from(Some(seed));
        self
    }

    fn check(&self) -> Result<()> {
        check_range(self.height, "RandomZoom height_factor")?;
        if let Some(w) = self.width {
            check_range(w, "RandomZoom width_factor")?;
        }
        if self.height.0 <= -1.0 || self.width.is_some_and(|w| w.0 <= -1.0) {
            return Err(Error::InvalidArgument(
                "RandomZoom factors must be above -1".into(),
            ));
        }
        check_fill_mode(&self.fill_mode)
    }

    /// Zooms each image by its own random factor when `train`.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.check()?;
        // `affine_transform` gives `Kind::Float`, whatever the images' kind.
        in_training(x, train, "RandomZoom", &self.rng, |xb, rng| {
            random_affine(xb, rng, &self.fill_mode, |rng| {
                let zh = 1.0 + draw(rng, self.height);
                let zw = self.width.map_or(zh, |w| 1.0 + draw(rng, w));
                TransformParams {
                    zx: zh,
                    zy: zw,
                    ..Default::default()
                }
            })
        })
    }

    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let width = if c["width_factor"].is_null() {
            None
        } else {
            Some(get_pair(c, "width_factor")?)
        };
        let l = Self::with_ranges(get_pair(c, "height_factor")?, width)
            .fill_mode(c["fill_mode"].as_str().unwrap_or("reflect"));
        Ok(reseeded(l, c, Self::seed))
    }
}

random_layer_kind!(RandomZoom, "random_zoom", |l| json!({
    "height_factor": l.height,
    "width_factor": l.width,
    "fill_mode": l.fill_mode,
    "seed": l.seed,
}));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn flip_mirrors_some_images_and_only_in_training() {
        let x = Tensor::rand([32, 4, 5, 3], (Kind::Float, Device::Cpu));
        let f = RandomFlip::new("horizontal").seed(0);
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
        let err = RandomFlip::new("diagonal").forward(&x, true).unwrap_err();
        assert!(err.to_string().contains("diagonal"), "{err}");
    }

    #[test]
    fn rotation_and_zoom_keep_shape_and_move_pixels() {
        let x = Tensor::rand([4, 6, 6, 1], (Kind::Float, Device::Cpu));
        let r = RandomRotation::with_range((0.5, 0.5)).seed(0); // exactly 180°
        let y = r.forward(&x, true).unwrap();
        assert!(y.allclose(&x.flip([1, 2]), 1e-4, 1e-4, false));
        let z = RandomZoom::new(0.3).seed(1);
        let out = z.forward(&x, true).unwrap();
        assert_eq!(out.size(), vec![4, 6, 6, 1]);
        assert!(!out.allclose(&x, 1e-3, 1e-3, false));
        assert!(z.forward(&x, false).unwrap().equal(&x));
        let err = z
            .forward(&Tensor::zeros([6], (Kind::Float, Device::Cpu)), true)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "RandomZoom expects (batch, height, width, channels) or (height, width, channels), got input of shape (None,)");
        assert!(RandomZoom::with_ranges((0.2, 0.1), None)
            .forward(&x, true)
            .is_err());
        assert!(RandomRotation::new(0.1)
            .fill_mode("wrap")
            .forward(&x, true)
            .is_err());
    }

    #[test]
    fn a_model_checks_the_image_shape_and_the_mode_at_build() {
        let m = Sequential::new()
            .add(Input::new([4]))
            .add(RandomFlip::new("horizontal"));
        let err = m.build().unwrap_err().to_string();
        assert!(err.contains("RandomFlip 'random_flip"), "{err}");
        assert!(err.contains("(None, 4)"), "{err}");
        let m = Sequential::new()
            .add(Input::new([4, 4, 1]))
            .add(RandomFlip::new("sideways"));
        let err = m.build().unwrap_err().to_string();
        assert!(err.contains("sideways"), "{err}");
    }
}
