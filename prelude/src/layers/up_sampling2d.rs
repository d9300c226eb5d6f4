//! Keras's `UpSampling2D` layer.

use super::config::field;
use super::conv_common::{to_channels_first, to_channels_last, SpatialDims};
use super::image_common::image_dims;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// The interpolations Keras's `UpSampling2D` offers that this layer implements.
const INTERPOLATIONS: &[&str] = &["nearest", "bilinear"];

/// Keras's `UpSampling2D`: repeats each row `size.0` times and each column `size.1` times.
///
/// Arguments: `size` (one number or `(rows, columns)`, default 2) and
/// [`interpolation`](UpSampling2D::interpolation) (`"nearest"`, Keras's default, or
/// `"bilinear"`). Input `(batch, h, w, channels)` → `(batch, h·rows, w·columns, channels)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::ones([1, 4, 4, 3], (Kind::Float, Device::Cpu));
/// let y = UpSampling2D::new((2, 3)).call(&x).unwrap();
/// assert_eq!(y.size(), vec![1, 8, 12, 3]);
/// ```
pub struct UpSampling2D {
    pub(crate) opts: LayerOpts,
    size: [i64; 2],
    interpolation: String,
}
layer_builder!(UpSampling2D);

impl UpSampling2D {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let size: [i64; 2] = field("UpSampling2D", c, "size")?;
        let interpolation: String = field("UpSampling2D", c, "interpolation")?;
        Ok(UpSampling2D::new(size).interpolation(&interpolation))
    }
}

impl Default for UpSampling2D {
    /// Doubles both axes, as Keras's default `size=(2, 2)`.
    fn default() -> Self {
        Self::new(2)
    }
}

impl UpSampling2D {
    /// Upsamples by `size`: one factor for both axes or `(rows, columns)`.
    pub fn new(size: impl Into<SpatialDims<2>>) -> Self {
        UpSampling2D {
            opts: LayerOpts::default(),
            size: size.into().0,
            interpolation: "nearest".into(),
        }
    }
    /// `"nearest"` (default: repeats pixels) or `"bilinear"` (half-pixel centres, as Keras).
    pub fn interpolation(mut self, interpolation: &str) -> Self {
        self.interpolation = interpolation.to_string();
        self
    }
}

impl LayerKind for UpSampling2D {
    fn class_name(&self) -> &'static str {
        "UpSampling2D"
    }
    fn default_name(&self) -> &'static str {
        "up_sampling2d"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let [h, w, c] = image_dims(label, input)?;
        if !INTERPOLATIONS.contains(&self.interpolation.as_str()) {
            return Err(Error::UnknownId {
                kind: "interpolation",
                got: self.interpolation.clone(),
                valid: INTERPOLATIONS.to_vec(),
            });
        }
        if self.size.iter().any(|&s| s < 1) {
            return Err(Error::InvalidArgument(format!(
                "{label}: size must be at least 1, got {:?}",
                self.size
            )));
        }
        Ok(vec![h * self.size[0], w * self.size[1], c])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let [sh, sw] = self.size;
        if self.interpolation == "bilinear" {
            let xc = x.permute(to_channels_first(2).as_slice());
            let out = [xc.size()[2] * sh, xc.size()[3] * sw];
            // align_corners = false: half-pixel centres, as Keras's (and TensorFlow's) resize.
            let y = xc.upsample_bilinear2d(out.as_slice(), false, None, None);
            y.permute(to_channels_last(2).as_slice())
        } else {
            x.repeat_interleave_self_int(sh, 1i64, None)
                .repeat_interleave_self_int(sw, 2i64, None)
        }
    }
    fn config(&self) -> Value {
        json!({"size": self.size, "interpolation": self.interpolation})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    fn values(t: &Tensor) -> Vec<f32> {
        Vec::<f32>::try_from(t.reshape([-1])).unwrap()
    }

    /// Keras 3.15: `UpSampling2D((2,3))` on arange(12) reshaped (1, 2, 3, 2).
    #[test]
    fn nearest_matches_keras() {
        let x = Tensor::arange(12, (Kind::Float, Device::Cpu)).view([1, 2, 3, 2]);
        let y = UpSampling2D::new((2, 3)).call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 4, 9, 2]);
        let row0: Vec<f32> = [
            0., 1., 0., 1., 0., 1., 2., 3., 2., 3., 2., 3., 4., 5., 4., 5., 4., 5.,
        ]
        .to_vec();
        let row1: Vec<f32> = row0.iter().map(|v| v + 6.0).collect();
        let want = [row0.clone(), row0, row1.clone(), row1].concat();
        assert_eq!(values(&y), want);
    }

    /// Bilinear with half-pixel centres: [0, 1] doubled is [0, 0.25, 0.75, 1].
    #[test]
    fn bilinear_uses_half_pixel_centres() {
        let x = Tensor::from_slice(&[0f32, 1.]).view([1, 1, 2, 1]);
        let y = UpSampling2D::new((1, 2))
            .interpolation("bilinear")
            .call(&x)
            .unwrap();
        assert_eq!(values(&y), vec![0., 0.25, 0.75, 1.]);
    }

    /// Keras: input (None, 4, 4, 3) → (None, 8, 12, 3), no weights; config round trip.
    #[test]
    fn shape_params_and_config() {
        let l: Layer = UpSampling2D::new((2, 3)).into();
        assert_eq!(l.build(&[4, 4, 3], Device::Cpu).unwrap(), vec![8, 12, 3]);
        assert_eq!(l.count_params(), 0);
        let c = l.config()["config"].clone();
        assert_eq!(
            c,
            serde_json::json!({"size": [2, 3], "interpolation": "nearest"})
        );
        assert_eq!(super::UpSampling2D::from_config(&c).unwrap().config(), c);
        let bad = UpSampling2D::default().interpolation("bicubic");
        let err = bad.call(&Tensor::zeros([1, 2, 2, 1], (Kind::Float, Device::Cpu)));
        assert!(err.unwrap_err().to_string().contains("bilinear"));
    }

    #[test]
    fn wrong_rank_names_layer_and_shapes() {
        let err = UpSampling2D::new(2)
            .name("up")
            .call(&Tensor::zeros([2, 4, 4], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "UpSampling2D 'up' expects 4 dimensions (batch, h, w, channels), got input of shape (None, 4, 4)"
        );
    }
}
