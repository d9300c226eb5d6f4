//! Keras's `BatchNormalization`, over the last (channels) axis: its typed config (the
//! builder) and the built layer whose weights the first build creates.

use super::config::read_config;
use super::conv_common::{to_channels_first, to_channels_last};
use super::keras_object::{last_axis, yes, Dims, KerasObject};
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts, LayerSpec, Weight};
use crate::error::Result;
use crate::initializers::Initializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Tensor};

fn momentum() -> f64 {
    0.99
}
fn epsilon() -> f64 {
    1e-3
}
fn axis() -> Dims {
    Dims::One(last_axis())
}

/// `BatchNormalization`'s options, field for field as Keras 3 writes them (less `name`,
/// `trainable`, `dtype`). The loader refuses other axes than the last, `center=False` and
/// `scale=False`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchNormalizationConfig {
    /// The normalised axis: the last (Keras 2 wrote a one-element list).
    #[serde(default = "axis")]
    pub axis: Dims,
    /// Weight of the old value in the moving averages.
    #[serde(default = "momentum")]
    pub momentum: f64,
    /// Added to the variance before the square root.
    #[serde(default = "epsilon")]
    pub epsilon: f64,
    /// Whether `beta` is added.
    #[serde(default = "yes")]
    pub center: bool,
    /// Whether `gamma` multiplies.
    #[serde(default = "yes")]
    pub scale: bool,
    /// How `beta` starts.
    #[serde(default = "KerasObject::zeros")]
    pub beta_initializer: KerasObject,
    /// How `gamma` starts.
    #[serde(default = "KerasObject::ones")]
    pub gamma_initializer: KerasObject,
    /// How the moving mean starts.
    #[serde(default = "KerasObject::zeros")]
    pub moving_mean_initializer: KerasObject,
    /// How the moving variance starts.
    #[serde(default = "KerasObject::ones")]
    pub moving_variance_initializer: KerasObject,
    /// Kept for saving; not applied.
    pub beta_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub gamma_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub beta_constraint: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub gamma_constraint: Option<KerasObject>,
    /// Keras's cross-device statistics; one device here.
    #[serde(default)]
    pub synchronized: bool,
    /// Batch renormalization; not implemented (always `false`).
    #[serde(default)]
    pub renorm: bool,
    /// Batch renormalization's clipping; unused.
    pub renorm_clipping: Option<Value>,
    /// Batch renormalization's momentum; unused.
    #[serde(default = "momentum")]
    pub renorm_momentum: f64,
}

impl Default for BatchNormalizationConfig {
    fn default() -> Self {
        BatchNormalizationConfig {
            axis: axis(),
            momentum: momentum(),
            epsilon: epsilon(),
            center: true,
            scale: true,
            beta_initializer: KerasObject::zeros(),
            gamma_initializer: KerasObject::ones(),
            moving_mean_initializer: KerasObject::zeros(),
            moving_variance_initializer: KerasObject::ones(),
            beta_regularizer: None,
            gamma_regularizer: None,
            beta_constraint: None,
            gamma_constraint: None,
            synchronized: false,
            renorm: false,
            renorm_clipping: None,
            renorm_momentum: momentum(),
        }
    }
}

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
    config: BatchNormalizationConfig,
}
layer_builder!(BatchNormalization, spec);

impl Default for BatchNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchNormalization {
    /// Keras's defaults: momentum 0.99, epsilon 0.001.
    pub fn new() -> Self {
        BatchNormalization::from_typed(BatchNormalizationConfig::default())
    }
    /// The layer of a typed config.
    pub fn from_typed(config: BatchNormalizationConfig) -> Self {
        BatchNormalization {
            opts: LayerOpts::default(),
            config,
        }
    }
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(BatchNormalization::from_typed(read_config(
            "BatchNormalization",
            c,
        )?))
    }
    /// Momentum of the moving averages (Keras's meaning: weight of the old value).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.config.momentum = momentum;
        self
    }
    /// Added to the variance before the square root.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.config.epsilon = epsilon;
        self
    }
}

impl LayerSpec for BatchNormalization {
    fn frozen_means_inference(&self) -> bool {
        true
    }
    fn class_name(&self) -> &'static str {
        "BatchNormalization"
    }
    fn default_name(&self) -> &'static str {
        "batch_normalization"
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a BatchNormalizationConfig is plain JSON")
    }
    fn init(&self, label: &str, inputs: &[Vec<i64>], device: Device) -> Result<Box<dyn LayerKind>> {
        let input = inputs.first().map(Vec::as_slice).unwrap_or_default();
        let Some(&ch) = input.last() else {
            return Err(layer_shape_err(label, "at least 2 dimensions", input));
        };
        let c = &self.config;
        let make = |init: &KerasObject, fallback| init.initializer(fallback).make(&[ch], device);
        Ok(Box::new(BuiltBatchNormalization {
            config: c.clone(),
            gamma: make(&c.gamma_initializer, Initializer::Ones),
            beta: make(&c.beta_initializer, Initializer::Zeros),
            mean: make(&c.moving_mean_initializer, Initializer::Zeros),
            var: make(&c.moving_variance_initializer, Initializer::Ones),
        }))
    }
}

/// A built `BatchNormalization`: its weights exist.
struct BuiltBatchNormalization {
    config: BatchNormalizationConfig,
    gamma: Tensor,
    beta: Tensor,
    mean: Tensor,
    var: Tensor,
}

// Keras moves the averages towards the batch's *biased* variance; libtorch's own running
// update (batch_norm with running stats) takes the unbiased one, which drifted from Keras by
// 1.5e-4 in three steps. So the averages are updated here and batch_norm only normalises.
impl BuiltBatchNormalization {
    /// `moving = momentum · moving + (1 − momentum) · batch` for the mean and the biased
    /// variance over every axis but the channels (axis 1 of the channels-first `xc`).
    fn update_moving_stats(&self, xc: &Tensor) {
        let axes: Vec<i64> = (0..xc.dim() as i64).filter(|&a| a != 1).collect();
        let weight = 1.0 - self.config.momentum;
        tch::no_grad(|| {
            let (var, mean) = xc
                .detach()
                .var_mean_correction(Some(axes.as_slice()), 0, false);
            let _ = self
                .mean
                .shallow_clone()
                .lerp_(&mean.to_kind(self.mean.kind()), weight);
            let _ = self
                .var
                .shallow_clone()
                .lerp_(&var.to_kind(self.var.kind()), weight);
        });
    }
}

impl LayerKind for BuiltBatchNormalization {
    fn frozen_means_inference(&self) -> bool {
        true
    }
    fn class_name(&self) -> &'static str {
        "BatchNormalization"
    }
    fn default_name(&self) -> &'static str {
        "batch_normalization"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let built_for = self.gamma.size()[0];
        if input.last() != Some(&built_for) {
            let expected = format!("last axis {built_for}");
            return Err(layer_shape_err(label, expected, input));
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
        // Training normalises with the batch's statistics (libtorch's running update is not
        // used: see update_moving_stats); inference with the moving ones.
        let (mean, var) = if training {
            self.update_moving_stats(&xc);
            (None, None)
        } else {
            (Some(&self.mean), Some(&self.var))
        };
        let y = xc.batch_norm(
            Some(&self.gamma),
            Some(&self.beta),
            mean,
            var,
            training,
            0.0,
            self.config.epsilon,
            true,
        );
        if n > 2 {
            y.permute(to_channels_last(n - 2).as_slice())
        } else {
            y
        }
    }
    fn weights(&self) -> Vec<Weight> {
        let weight = |name, value: &Tensor, trainable| Weight {
            name,
            value: value.shallow_clone(),
            trainable,
        };
        vec![
            weight("gamma", &self.gamma, true),
            weight("beta", &self.beta, true),
            weight("moving_mean", &self.mean, false),
            weight("moving_variance", &self.var, false),
        ]
    }
    fn params(&self) -> Vec<Tensor> {
        vec![self.gamma.shallow_clone(), self.beta.shallow_clone()]
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a BatchNormalizationConfig is plain JSON")
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
        // and the moving variance 1% towards the biased variance, as Keras does
        // (channel 0: 1, channel 1: 25; the unbiased ones, 2 and 50, would give 1.01 and 1.49)
        let mv = &bn.named_weights()[3].value;
        let (mv0, mv1) = (mv.double_value(&[0]), mv.double_value(&[1]));
        assert!(
            (mv0 - 1.0).abs() < 1e-6 && (mv1 - 1.24).abs() < 1e-6,
            "{mv0} {mv1}"
        );
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
