//! Keras's `Dropout` layer.

use super::config::field;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::Result;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `Dropout`: during training zeroes a fraction `rate` of the inputs and scales the
/// rest by `1 / (1 - rate)`; does nothing at inference.
pub struct Dropout {
    pub(crate) opts: LayerOpts,
    rate: f64,
}
layer_builder!(Dropout);

impl Dropout {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Dropout::new(field("Dropout", c, "rate")?))
    }
}

impl Dropout {
    /// A dropout layer with the given rate in `[0, 1)`.
    pub fn new(rate: f64) -> Self {
        Dropout {
            opts: LayerOpts::default(),
            rate,
        }
    }
}

impl LayerKind for Dropout {
    fn class_name(&self) -> &'static str {
        "Dropout"
    }
    fn default_name(&self) -> &'static str {
        "dropout"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err(crate::Error::InvalidArgument(format!(
                "{label}: rate must be in [0, 1), got {}",
                self.rate
            )));
        }
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        if training && self.rate > 0.0 {
            x.dropout(self.rate, true)
        } else {
            x.shallow_clone()
        }
    }
    fn config(&self) -> Value {
        json!({"rate": self.rate})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn dropout_only_in_training() {
        let d: Layer = Dropout::new(0.5).into();
        let x = Tensor::ones([1000], (Kind::Float, Device::Cpu)).view([10, 100]);
        d.build(&[100], Device::Cpu).unwrap();
        assert!(d.forward(&x, false).equal(&x));
        let y = d.forward(&x, true);
        let zeros = y.eq(0.0).sum(Kind::Int64).int64_value(&[]);
        assert!(zeros > 300 && zeros < 700, "{zeros}");
        assert!((y.max().double_value(&[]) - 2.0).abs() < 1e-6);
    }
}
