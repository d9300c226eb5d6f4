//! Keras's `Dropout` layer.

use super::config::read_config;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Tensor};

/// `Dropout`'s options, field for field as Keras 3 writes them (less `name`, `trainable`,
/// `dtype`). The loader refuses a `noise_shape`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DropoutConfig {
    /// The fraction dropped (required).
    pub rate: f64,
    /// Keras's seed; libtorch's generator is seeded by `set_random_seed` instead.
    pub seed: Option<i64>,
    /// Not implemented (always `None`).
    pub noise_shape: Option<Vec<Option<i64>>>,
}

/// Keras's `Dropout`: during training zeroes a fraction `rate` of the inputs and scales the
/// rest by `1 / (1 - rate)`; does nothing at inference.
pub struct Dropout {
    pub(crate) opts: LayerOpts,
    config: DropoutConfig,
}
layer_builder!(Dropout);

impl Dropout {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Dropout {
            opts: LayerOpts::default(),
            config: read_config("Dropout", c)?,
        })
    }
}

impl Dropout {
    /// A dropout layer with the given rate in `[0, 1)`.
    pub fn new(rate: f64) -> Self {
        Dropout {
            opts: LayerOpts::default(),
            config: DropoutConfig {
                rate,
                seed: None,
                noise_shape: None,
            },
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
        if !(0.0..1.0).contains(&self.config.rate) {
            return Err(crate::Error::InvalidArgument(format!(
                "{label}: rate must be in [0, 1), got {}",
                self.config.rate
            )));
        }
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        if training && self.config.rate > 0.0 {
            x.dropout(self.config.rate, true)
        } else {
            x.shallow_clone()
        }
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a DropoutConfig is plain JSON")
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
