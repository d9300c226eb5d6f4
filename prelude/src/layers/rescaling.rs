//! Keras's `Rescaling` layer.

use super::config::field;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::Result;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `Rescaling(scale, offset=0.0)`: `x * scale + offset`, e.g.
/// `Rescaling::new(1.0 / 255.0)` or `Rescaling::new(1.0 / 127.5).offset(-1.0)`.
pub struct Rescaling {
    pub(crate) opts: LayerOpts,
    scale: f64,
    offset: f64,
}
layer_builder!(Rescaling);

impl Rescaling {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(
            Rescaling::new(field("Rescaling", c, "scale")?).offset(field(
                "Rescaling",
                c,
                "offset",
            )?),
        )
    }
}

impl Rescaling {
    /// A layer that multiplies its input by `scale` (offset 0, as Keras's default).
    pub fn new(scale: f64) -> Self {
        Rescaling {
            opts: LayerOpts::default(),
            scale,
            offset: 0.0,
        }
    }

    /// Adds `offset` after scaling (Keras's `offset`).
    pub fn offset(mut self, offset: f64) -> Self {
        self.offset = offset;
        self
    }
}

impl LayerKind for Rescaling {
    fn class_name(&self) -> &'static str {
        "Rescaling"
    }
    fn default_name(&self) -> &'static str {
        "rescaling"
    }
    fn build(&mut self, _label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x * self.scale + self.offset
    }
    fn config(&self) -> Value {
        json!({"scale": self.scale, "offset": self.offset})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn rescaling_is_x_scale_plus_offset() {
        let x = Tensor::arange(24, (Kind::Float, Device::Cpu)).view([2, 3, 4]);
        let r = Rescaling::new(0.5).offset(1.0).call(&x).unwrap();
        assert_eq!(r.double_value(&[1, 2, 3]), 23.0 * 0.5 + 1.0);
        let r = Rescaling::new(0.5).call(&x).unwrap();
        assert_eq!(r.double_value(&[1, 2, 3]), 23.0 * 0.5);
    }
}
