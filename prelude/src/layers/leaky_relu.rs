//! Keras's `LeakyReLU` layer.

use super::config::field;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::activations::ActivationFn;
use crate::error::Result;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `LeakyReLU` layer (negative slope 0.3 by default, as Keras's layer).
pub struct LeakyReLU {
    pub(crate) opts: LayerOpts,
    slope: f64,
}
layer_builder!(LeakyReLU);

impl LeakyReLU {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(LeakyReLU::new().negative_slope(field("LeakyReLU", c, "negative_slope")?))
    }
}

impl Default for LeakyReLU {
    fn default() -> Self {
        Self::new()
    }
}

impl LeakyReLU {
    /// A leaky ReLU with Keras's default slope 0.3.
    pub fn new() -> Self {
        LeakyReLU {
            opts: LayerOpts::default(),
            slope: 0.3,
        }
    }
    /// The slope for negative inputs.
    pub fn negative_slope(mut self, slope: f64) -> Self {
        self.slope = slope;
        self
    }
}

impl LayerKind for LeakyReLU {
    fn class_name(&self) -> &'static str {
        "LeakyReLU"
    }
    fn default_name(&self) -> &'static str {
        "leaky_re_lu"
    }
    fn build(&mut self, _label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        ActivationFn::LeakyRelu(self.slope).apply(x)
    }
    fn config(&self) -> Value {
        json!({"negative_slope": self.slope})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn leaky_relu_slope_is_0_3() {
        let l = LeakyReLU::new()
            .call(&Tensor::from_slice(&[-1.0f32, 1.0]).view([1, 2]))
            .unwrap();
        assert!((l.double_value(&[0, 0]) + 0.3).abs() < 1e-6);
    }
}
