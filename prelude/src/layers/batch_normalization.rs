//! Keras's `BatchNormalization`, over the last (channels) axis.

use super::config::field;
use super::conv_common::{to_channels_first, to_channels_last};
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts, Weight};
use crate::error::Result;
use crate::initializers::Initializer;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `BatchNormalization`: normalises each channel (last axis) with the batch's
/// statistics during training and the moving averages at inference.
///
/// Weights: `gamma`, `beta` (trainable), `moving_mean`, `moving_variance` (not trainable), so
/// it has `4 × channels` parameters of which `2 × channels` are non-trainable.
///
/// ```
/// use ferrokeras::prelude::*;
/// let bn: Layer = BatchNormalization::new().into();
/// bn.build(&[16], Device::Cpu).unwrap();
/// assert_eq!(bn.param_counts(), (32, 32));
/// ```
pub struct BatchNormalization {
    pub(crate) opts: LayerOpts,
    momentum: f64,
    epsilon: f64,
    gamma: Option<Tensor>,
    beta: Option<Tensor>,
    mean: Option<Tensor>,
    var: Option<Tensor>,
}
layer_builder!(BatchNormalization);

impl BatchNormalization {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(BatchNormalization::new()
            .momentum(field("BatchNormalization", c, "momentum")?)
            .epsilon(field("BatchNormalization", c, "epsilon")?))
    }
}

impl Default for BatchNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchNormalization {
    /// Keras's defaults: momentum 0.99, epsilon 0.001.
    pub fn new() -> Self {
        BatchNormalization {
            opts: LayerOpts::default(),
            momentum: 0.99,
            epsilon: 1e-3,
            gamma: None,
            beta: None,
            mean: None,
            var: None,
        }
    }
    /// Momentum of the moving averages (Keras's meaning: weight of the old value).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }
    /// Added to the variance before the square root.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }
}

impl LayerKind for BatchNormalization {
    fn frozen_means_inference(&self) -> bool {
        true
    }
    fn class_name(&self) -> &'static str {
        "BatchNormalization"
    }
    fn default_name(&self) -> &'static str {
        "batch_normalization"
    }
    fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>> {
        let c = match input.last() {
            Some(&c) => c,
            None => return Err(layer_shape_err(label, "at least 2 dimensions", input)),
        };
        match &self.gamma {
            Some(g) if g.size()[0] != c => {
                return Err(layer_shape_err(
                    label,
                    format!("last axis {}", g.size()[0]),
                    input,
                ))
            }
            Some(_) => {}
            None => {
                self.gamma = Some(Initializer::Ones.make(&[c], device));
                self.beta = Some(Initializer::Zeros.make(&[c], device));
                self.mean = Some(Initializer::Zeros.make(&[c], device));
                self.var = Some(Initializer::Ones.make(&[c], device));
            }
        }
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        let n = x.dim();
        let xc = if n > 2 {
            x.permute(to_channels_first(n - 2).as_slice())
        } else {
            x.shallow_clone()
        };
        let y = xc.batch_norm(
            self.gamma.as_ref(),
            self.beta.as_ref(),
            self.mean.as_ref(),
            self.var.as_ref(),
            training,
            1.0 - self.momentum,
            self.epsilon,
            true,
        );
        if n > 2 {
            y.permute(to_channels_last(n - 2).as_slice())
        } else {
            y
        }
    }
    fn weights(&self) -> Vec<Weight> {
        let mut v = Vec::new();
        if let (Some(g), Some(b), Some(m), Some(s)) =
            (&self.gamma, &self.beta, &self.mean, &self.var)
        {
            v.push(Weight {
                name: "gamma",
                value: g.shallow_clone(),
                trainable: true,
            });
            v.push(Weight {
                name: "beta",
                value: b.shallow_clone(),
                trainable: true,
            });
            v.push(Weight {
                name: "moving_mean",
                value: m.shallow_clone(),
                trainable: false,
            });
            v.push(Weight {
                name: "moving_variance",
                value: s.shallow_clone(),
                trainable: false,
            });
        }
        v
    }
    fn params(&self) -> Vec<Tensor> {
        self.gamma
            .iter()
            .chain(self.beta.iter())
            .map(Tensor::shallow_clone)
            .collect()
    }
    fn config(&self) -> Value {
        json!({"momentum": self.momentum, "epsilon": self.epsilon})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn normalises_in_training_and_uses_moving_stats_at_inference() {
        let bn: Layer = BatchNormalization::new().into();
        let x = Tensor::from_slice(&[1f32, 10., 3., 20.]).view([2, 2]);
        bn.build(&[2], Device::Cpu).unwrap();
        let y = bn.forward(&x, true);
        // channel 0: mean 2, biased var 1 → (1-2)/sqrt(1+1e-3)
        assert!((y.double_value(&[0, 0]) + 1.0 / (1.001f64).sqrt()).abs() < 1e-4);
        // moving mean moved 1% towards the batch mean
        let mm = bn.named_weights()[2].value.double_value(&[0]);
        assert!((mm - 0.02).abs() < 1e-6, "{mm}");
        // inference: (x - mm) / sqrt(mv + eps)
        let yi = bn.forward(&x, false);
        assert!(yi.double_value(&[0, 0]) > 0.9);
        // Frozen: training mode uses the moving statistics and leaves them alone.
        bn.set_trainable(false);
        let before = bn.get_weights();
        assert!(bn.forward(&x, true).allclose(&yi, 1e-6, 1e-6, false));
        assert!(bn.get_weights()[2].equal(&before[2]));
        let img = bn
            .call(&Tensor::ones([2, 3, 3, 2], (Kind::Float, Device::Cpu)))
            .unwrap();
        assert_eq!(img.size(), vec![2, 3, 3, 2]);
    }
}
