//! Keras's `ZeroPadding2D` layer.

use super::config::read_config;
use super::image_common::{image_dims, Margins2D};
use super::keras_object::channels_last;
use super::padding::torch_pad_order;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Tensor};

/// Keras's `ZeroPadding2D`: adds rows and columns of zeros around each image.
///
/// Argument: `padding`, one number (every side, default 1), `(rows, columns)` or
/// `((top, bottom), (left, right))` (see [`Margins2D`]).
/// Input `(batch, h, w, channels)` → `(batch, h + top + bottom, w + left + right, channels)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::ones([1, 5, 5, 3], (Kind::Float, Device::Cpu));
/// let y = ZeroPadding2D::new(((1, 2), (3, 4))).call(&x).unwrap();
/// assert_eq!(y.size(), vec![1, 8, 12, 3]);
/// ```
pub struct ZeroPadding2D {
    pub(crate) opts: LayerOpts,
    config: ZeroPadding2DConfig,
}
layer_builder!(ZeroPadding2D);

/// `ZeroPadding2D`'s options, as Keras 3 writes them (less `name`, `trainable`, `dtype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZeroPadding2DConfig {
    /// `[[top, bottom], [left, right]]`.
    #[serde(default = "one_each_side")]
    pub padding: Margins2D,
    /// The prelude is channels-last, as Keras's default.
    #[serde(default = "channels_last")]
    pub data_format: String,
}

fn one_each_side() -> Margins2D {
    Margins2D::from(1)
}

impl ZeroPadding2D {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(ZeroPadding2D {
            opts: LayerOpts::default(),
            config: read_config("ZeroPadding2D", c)?,
        })
    }
}

impl Default for ZeroPadding2D {
    /// One row or column of zeros on every side, as Keras's default `padding=(1, 1)`.
    fn default() -> Self {
        Self::new(1)
    }
}

impl ZeroPadding2D {
    /// Pads by `padding` (see [`Margins2D`] for its forms).
    pub fn new(padding: impl Into<Margins2D>) -> Self {
        ZeroPadding2D {
            opts: LayerOpts::default(),
            config: ZeroPadding2DConfig {
                padding: padding.into(),
                data_format: channels_last(),
            },
        }
    }
}

impl LayerKind for ZeroPadding2D {
    fn class_name(&self) -> &'static str {
        "ZeroPadding2D"
    }
    fn default_name(&self) -> &'static str {
        "zero_padding2d"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let [h, w, c] = image_dims(label, input)?;
        let [(t, b), (l, r)] = self.config.padding.checked_pairs(label, "padding")?;
        Ok(vec![h + t + b, w + l + r, c])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        // Nothing added on the channel axis (the last one, first in libtorch's order).
        let [hp, wp] = self.config.padding.pairs();
        x.constant_pad_nd(torch_pad_order(&[hp, wp, (0, 0)]).as_slice())
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a ZeroPadding2DConfig is plain JSON")
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    fn values(t: &Tensor) -> Vec<f32> {
        Vec::<f32>::try_from(t.reshape([-1])).unwrap()
    }

    /// Keras 3.15: `ZeroPadding2D(((1,2),(3,4)))` on 1..6 reshaped (1, 2, 3, 1).
    #[test]
    fn matches_keras() {
        let x = (Tensor::arange(6, (Kind::Float, Device::Cpu)) + 1.0).view([1, 2, 3, 1]);
        let y = ZeroPadding2D::new(((1, 2), (3, 4))).call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 5, 10, 1]);
        let mut want = vec![0f32; 50];
        want[13..16].copy_from_slice(&[1., 2., 3.]);
        want[23..26].copy_from_slice(&[4., 5., 6.]);
        assert_eq!(values(&y), want);
    }

    /// Keras: input (None, 5, 5, 3) → (None, 8, 12, 3), no weights; config round trip.
    #[test]
    fn shape_params_and_config() {
        let l: Layer = ZeroPadding2D::new(((1, 2), (3, 4))).into();
        assert_eq!(l.build(&[5, 5, 3], Device::Cpu).unwrap(), vec![8, 12, 3]);
        assert_eq!(l.count_params(), 0);
        let c = l.config()["config"].clone();
        assert_eq!(
            c,
            serde_json::json!({"padding": [[1, 2], [3, 4]], "data_format": "channels_last"})
        );
        let back = super::ZeroPadding2D::from_config(&c).unwrap();
        assert_eq!(back.config(), c);
        assert_eq!(ZeroPadding2D::default().config.padding.0, [[1, 1], [1, 1]]);
    }

    #[test]
    fn wrong_rank_names_layer_and_shapes() {
        let err = ZeroPadding2D::new(1)
            .name("zp")
            .call(&Tensor::zeros([2, 5, 3], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "ZeroPadding2D 'zp' expects 4 dimensions (batch, h, w, channels), got input of shape (None, 5, 3)"
        );
    }
}
