//! Keras's `GlobalMaxPooling2D` layer.

use super::config::read_config;
use super::image_common::{image_dims, GlobalPoolingConfig};
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::Result;
use serde_json::Value;
use tch::{Device, Tensor};

/// Keras's `GlobalMaxPooling2D`: the largest value of each channel over the whole image.
///
/// Argument: [`keepdims`](GlobalMaxPooling2D::keepdims) (default `false`).
/// Input `(batch, h, w, channels)` → `(batch, channels)`, or `(batch, 1, 1, channels)` with
/// `keepdims`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::arange(8, (Kind::Float, Device::Cpu)).view([1, 2, 2, 2]);
/// let y = GlobalMaxPooling2D::new().call(&x).unwrap();
/// assert_eq!(Vec::<f32>::try_from(y.view([-1])).unwrap(), vec![6.0, 7.0]);
/// ```
#[derive(Default)]
pub struct GlobalMaxPooling2D {
    pub(crate) opts: LayerOpts,
    config: GlobalPoolingConfig,
}
layer_builder!(GlobalMaxPooling2D);

impl GlobalMaxPooling2D {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(GlobalMaxPooling2D {
            opts: LayerOpts::default(),
            config: read_config("GlobalMaxPooling2D", c)?,
        })
    }
}

impl GlobalMaxPooling2D {
    /// A global max pooling layer.
    pub fn new() -> Self {
        Self::default()
    }
    /// Whether to keep the spatial axes (as size 1).
    pub fn keepdims(mut self, keepdims: bool) -> Self {
        self.config.keepdims = keepdims;
        self
    }
}

impl LayerKind for GlobalMaxPooling2D {
    fn class_name(&self) -> &'static str {
        "GlobalMaxPooling2D"
    }
    fn default_name(&self) -> &'static str {
        "global_max_pooling2d"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let [_, _, c] = image_dims(label, input)?;
        Ok(if self.config.keepdims {
            vec![1, 1, c]
        } else {
            vec![c]
        })
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x.amax([1i64, 2].as_slice(), self.config.keepdims)
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a GlobalPoolingConfig is plain JSON")
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    /// Keras 3.15 on a permutation of 0..35 minus 10, shape (2, 3, 3, 2).
    #[test]
    fn matches_keras() {
        let x = Tensor::from_slice(&[
            -6f32, 24., 20., -8., -7., 11., 16., 10., 1., -9., -10., 8., 18., 0., -1., -4., 25.,
            9., -2., 6., 13., 2., 22., 3., -3., -5., 7., 15., 4., 14., 17., 12., 19., 23., 5., 21.,
        ])
        .view([2, 3, 3, 2]);
        let y = GlobalMaxPooling2D::new().call(&x).unwrap();
        assert_eq!(y.size(), vec![2, 2]);
        assert_eq!(
            Vec::<f32>::try_from(y.view([-1])).unwrap(),
            vec![25., 24., 22., 23.]
        );
        let k = GlobalMaxPooling2D::new().keepdims(true).call(&x).unwrap();
        assert_eq!(k.size(), vec![2, 1, 1, 2]);
    }

    /// Keras: input (None, 5, 5, 3) → (None, 3), no weights; config round trip.
    #[test]
    fn shape_params_and_config() {
        let l: Layer = GlobalMaxPooling2D::new().into();
        assert_eq!(l.build(&[5, 5, 3], Device::Cpu).unwrap(), vec![3]);
        assert_eq!(l.count_params(), 0);
        let c = l.config()["config"].clone();
        assert_eq!(
            c,
            serde_json::json!({"keepdims": false, "data_format": "channels_last"})
        );
        assert_eq!(
            super::GlobalMaxPooling2D::from_config(&c).unwrap().config(),
            c
        );
    }

    #[test]
    fn wrong_rank_names_layer_and_shapes() {
        let err = GlobalMaxPooling2D::new()
            .name("gmp")
            .call(&Tensor::zeros([2, 5], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "GlobalMaxPooling2D 'gmp' expects 4 dimensions (batch, h, w, channels), got input of shape (None, 5)"
        );
    }
}
