//! Keras's `UpSampling2D` layer.

use super::config::read_config;
use super::conv_common::{to_channels_first, to_channels_last, SpatialDims};
use super::image_common::image_dims;
use super::keras_object::channels_last;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
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
    config: UpSampling2DConfig,
}
layer_builder!(UpSampling2D);

/// `UpSampling2D`'s options, as Keras 3 writes them (less `name`, `trainable`, `dtype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpSampling2DConfig {
    /// `[rows, columns]`.
    #[serde(default = "double")]
    pub size: [i64; 2],
    /// The prelude is channels-last, as Keras's default.
    #[serde(default = "channels_last")]
    pub data_format: String,
    /// `nearest` or `bilinear`.
    #[serde(default = "nearest")]
    pub interpolation: String,
}

fn double() -> [i64; 2] {
    [2, 2]
}
fn nearest() -> String {
    "nearest".to_string()
}

impl UpSampling2D {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(UpSampling2D {
            opts: LayerOpts::default(),
            config: read_config("UpSampling2D", c)?,
        })
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
            config: UpSampling2DConfig {
                size: size.into().0,
                data_format: channels_last(),
                interpolation: nearest(),
            },
        }
    }
    /// `"nearest"` (default: repeats pixels) or `"bilinear"` (half-pixel centres, as Keras).
    pub fn interpolation(mut self, interpolation: &str) -> Self {
        self.config.interpolation = interpolation.to_string();
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
        if !INTERPOLATIONS.contains(&self.config.interpolation.as_str()) {
            return Err(Error::UnknownId {
                kind: "interpolation",
                got: self.config.interpolation.clone(),
                valid: INTERPOLATIONS.to_vec(),
            });
        }
        if self.config.size.iter().any(|&s| s < 1) {
            return Err(Error::InvalidArgument(format!(
                "{label}: size must be at least 1, got {:?}",
                self.config.size
            )));
        }
        Ok(vec![h * self.config.size[0], w * self.config.size[1], c])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let [sh, sw] = self.config.size;
        if self.config.interpolation == "bilinear" {
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
        serde_json::to_value(&self.config).expect("an UpSampling2DConfig is plain JSON")
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
            serde_json::json!({"size": [2, 3], "interpolation": "nearest", "data_format": "channels_last"})
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
