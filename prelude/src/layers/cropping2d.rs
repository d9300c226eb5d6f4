//! Keras's `Cropping2D` layer.

use super::config::read_config;
use super::image_common::{image_dims, Margins2D};
use super::keras_object::channels_last;
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Tensor};

/// Keras's `Cropping2D`: removes rows and columns at the edges of each image.
///
/// Argument: `cropping`, one number (every side), `(rows, columns)` or
/// `((top, bottom), (left, right))` (see [`Margins2D`]; default none).
/// Input `(batch, h, w, channels)` → `(batch, h - top - bottom, w - left - right, channels)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::ones([1, 6, 6, 3], (Kind::Float, Device::Cpu));
/// let y = Cropping2D::new(((1, 1), (2, 0))).call(&x).unwrap();
/// assert_eq!(y.size(), vec![1, 4, 4, 3]);
/// ```
pub struct Cropping2D {
    pub(crate) opts: LayerOpts,
    config: Cropping2DConfig,
}
layer_builder!(Cropping2D);

/// `Cropping2D`'s options, as Keras 3 writes them (less `name`, `trainable`, `dtype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cropping2DConfig {
    /// `[[top, bottom], [left, right]]`.
    #[serde(default = "nothing")]
    pub cropping: Margins2D,
    /// The prelude is channels-last, as Keras's default.
    #[serde(default = "channels_last")]
    pub data_format: String,
}

fn nothing() -> Margins2D {
    Margins2D::from(0)
}

impl Cropping2D {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Cropping2D {
            opts: LayerOpts::default(),
            config: read_config("Cropping2D", c)?,
        })
    }
}

impl Default for Cropping2D {
    /// Crops nothing, as Keras's default `cropping=((0, 0), (0, 0))`.
    fn default() -> Self {
        Self::new(0)
    }
}

impl Cropping2D {
    /// Crops by `cropping` (see [`Margins2D`] for its forms).
    pub fn new(cropping: impl Into<Margins2D>) -> Self {
        Cropping2D {
            opts: LayerOpts::default(),
            config: Cropping2DConfig {
                cropping: cropping.into(),
                data_format: channels_last(),
            },
        }
    }
}

impl LayerKind for Cropping2D {
    fn class_name(&self) -> &'static str {
        "Cropping2D"
    }
    fn default_name(&self) -> &'static str {
        "cropping2d"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let [h, w, c] = image_dims(label, input)?;
        let [(t, b), (l, r)] = self.config.cropping.checked_pairs(label, "cropping")?;
        // As Keras, at least one row and one column must be left.
        if h - t - b <= 0 || w - l - r <= 0 {
            return Err(layer_shape_err(
                label,
                format!(
                    "images larger than the cropping {}",
                    self.config.cropping.keras_repr()
                ),
                input,
            ));
        }
        Ok(vec![h - t - b, w - l - r, c])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let [(t, b), (l, r)] = self.config.cropping.pairs();
        let size = x.size();
        x.narrow(1, t, size[1] - t - b)
            .narrow(2, l, size[2] - l - r)
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a Cropping2DConfig is plain JSON")
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    /// Keras 3.15: `Cropping2D(((1,1),(2,0)))` on arange(20) reshaped (1, 4, 5, 1).
    #[test]
    fn matches_keras() {
        let x = Tensor::arange(20, (Kind::Float, Device::Cpu)).view([1, 4, 5, 1]);
        let y = Cropping2D::new(((1, 1), (2, 0))).call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 2, 3, 1]);
        assert_eq!(
            Vec::<f32>::try_from(y.reshape([-1])).unwrap(),
            vec![7., 8., 9., 12., 13., 14.]
        );
    }

    /// Keras: input (None, 6, 6, 3) → (None, 4, 4, 3), no weights; config round trip.
    #[test]
    fn shape_params_and_config() {
        let l: Layer = Cropping2D::new(((1, 1), (2, 0))).into();
        assert_eq!(l.build(&[6, 6, 3], Device::Cpu).unwrap(), vec![4, 4, 3]);
        assert_eq!(l.count_params(), 0);
        let c = l.config()["config"].clone();
        assert_eq!(
            c,
            serde_json::json!({"cropping": [[1, 1], [2, 0]], "data_format": "channels_last"})
        );
        assert_eq!(super::Cropping2D::from_config(&c).unwrap().config(), c);
    }

    #[test]
    fn too_much_cropping_names_layer_and_shapes() {
        let err = Cropping2D::new(((1, 1), (2, 0)))
            .name("crop")
            .call(&Tensor::zeros([1, 2, 6, 3], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Cropping2D 'crop' expects images larger than the cropping ((1, 1), (2, 0)), got input of shape (None, 2, 6, 3)"
        );
        let err = Cropping2D::new(1)
            .name("crop2")
            .call(&Tensor::zeros([1, 6], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Cropping2D 'crop2' expects 4 dimensions")
                && err.ends_with("(None, 6)")
        );
    }
}
