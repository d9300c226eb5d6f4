//! Keras's `GlobalAveragePooling2D` layer.

use super::config::read_config;
use super::image_common::{image_dims, GlobalPoolingConfig};
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::Result;
use serde_json::Value;
use tch::{Device, Tensor};

/// Keras's `GlobalAveragePooling2D`: `(batch, h, w, channels)` → `(batch, channels)`.
#[derive(Default)]
pub struct GlobalAveragePooling2D {
    pub(crate) opts: LayerOpts,
    config: GlobalPoolingConfig,
}
layer_builder!(GlobalAveragePooling2D);

impl GlobalAveragePooling2D {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(GlobalAveragePooling2D {
            opts: LayerOpts::default(),
            config: read_config("GlobalAveragePooling2D", c)?,
        })
    }
}

impl GlobalAveragePooling2D {
    /// A global average pooling layer.
    pub fn new() -> Self {
        Self::default()
    }
    /// Whether to keep the spatial axes (as size 1).
    pub fn keepdims(mut self, keepdims: bool) -> Self {
        self.config.keepdims = keepdims;
        self
    }
}

impl LayerKind for GlobalAveragePooling2D {
    fn class_name(&self) -> &'static str {
        "GlobalAveragePooling2D"
    }
    fn default_name(&self) -> &'static str {
        "global_average_pooling2d"
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
        x.mean_dim([1i64, 2].as_slice(), self.config.keepdims, x.kind())
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a GlobalPoolingConfig is plain JSON")
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn global_average_of_a_4x4_image() {
        let x = Tensor::from_slice(&[
            1f32, 3., 2., 1., 4., 6., 5., 0., 7., 2., 9., 8., 1., 0., 3., 4.,
        ])
        .view([1, 4, 4, 1]);
        let g = GlobalAveragePooling2D::new().call(&x).unwrap();
        assert_eq!(g.size(), vec![1, 1]);
        assert!((g.double_value(&[0, 0]) - 56.0 / 16.0).abs() < 1e-6);
        let kept = GlobalAveragePooling2D::new()
            .keepdims(true)
            .call(&x)
            .unwrap();
        assert_eq!(kept.size(), vec![1, 1, 1, 1]);
        assert_eq!(kept.double_value(&[0, 0, 0, 0]), g.double_value(&[0, 0]));
    }
}
