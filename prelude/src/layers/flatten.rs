//! Keras's `Flatten` layer.

use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::Result;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `Flatten`: `(batch, d1, d2, …)` → `(batch, d1·d2·…)`.
#[derive(Default)]
pub struct Flatten {
    pub(crate) opts: LayerOpts,
}
layer_builder!(Flatten);

impl Flatten {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let _ = c;
        Ok(Flatten::new())
    }
}

impl Flatten {
    /// A flatten layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl LayerKind for Flatten {
    fn class_name(&self) -> &'static str {
        "Flatten"
    }
    fn default_name(&self) -> &'static str {
        "flatten"
    }
    fn build(&mut self, _label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        Ok(vec![input.iter().product()])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x.flatten(1, -1)
    }
    fn config(&self) -> Value {
        json!({})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn flatten_keeps_the_batch_axis() {
        let x = Tensor::arange(24, (Kind::Float, Device::Cpu)).view([2, 3, 4]);
        assert_eq!(Flatten::new().call(&x).unwrap().size(), vec![2, 12]);
    }
}
