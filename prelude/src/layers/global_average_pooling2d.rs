//! Keras's `GlobalAveragePooling2D` layer.

use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts};
use crate::error::Result;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `GlobalAveragePooling2D`: `(batch, h, w, channels)` → `(batch, channels)`.
#[derive(Default)]
pub struct GlobalAveragePooling2D {
    pub(crate) opts: LayerOpts,
}
layer_builder!(GlobalAveragePooling2D);

impl GlobalAveragePooling2D {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let _ = c;
        Ok(GlobalAveragePooling2D::new())
    }
}

impl GlobalAveragePooling2D {
    /// A global average pooling layer.
    pub fn new() -> Self {
        Self::default()
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
        if input.len() != 3 {
            return Err(layer_shape_err(
                label,
                "4 dimensions (batch, h, w, channels)",
                input,
            ));
        }
        Ok(vec![input[2]])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x.mean_dim([1i64, 2].as_slice(), false, x.kind())
    }
    fn config(&self) -> Value {
        json!({})
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
    }
}
