//! Keras's `Activation` layer.

use super::config::field;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::activations::{ActivationArg, ActivationFn, Logits};
use crate::error::Result;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `Activation` layer: applies an activation function.
///
/// ```
/// use ferrokeras::prelude::*;
/// let y = Activation::new("relu").call(&Tensor::from_slice(&[-1.0f32, 2.0]).view([1, 2])).unwrap();
/// assert_eq!(Vec::<f32>::try_from(y.view([-1])).unwrap(), vec![0.0, 2.0]);
/// ```
pub struct Activation {
    pub(crate) opts: LayerOpts,
    activation: ActivationArg,
    act: ActivationFn,
}
layer_builder!(Activation);

impl Activation {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Activation::new(field::<String>(
            "Activation",
            c,
            "activation",
        )?))
    }
}

impl Activation {
    /// An activation layer, by id or typed value.
    pub fn new(activation: impl Into<ActivationArg>) -> Self {
        Activation {
            opts: LayerOpts::default(),
            activation: activation.into(),
            act: ActivationFn::Linear,
        }
    }
}

impl LayerKind for Activation {
    fn class_name(&self) -> &'static str {
        "Activation"
    }
    fn default_name(&self) -> &'static str {
        "activation"
    }
    fn build(&mut self, _label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        self.act = self.activation.resolve()?;
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        self.act.apply(x)
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Option<Logits> {
        self.act.logits(|| x.shallow_clone())
    }
    fn config(&self) -> Value {
        let act = self.activation.config_id();
        json!({"activation": act})
    }
}
