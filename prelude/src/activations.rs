//! Keras's `keras.activations`: element-wise functions applied after a layer.
//!
//! Every layer with an `activation` option takes either a string id (`"relu"`) or a typed
//! [`ActivationFn`] value.
//!
//! ```
//! use ferrokeras::prelude::*;
//! let x = Tensor::from_slice(&[-1.0f32, 0.0, 2.0]);
//! let y = ActivationFn::parse("relu").unwrap().apply(&x);
//! assert_eq!(Vec::<f32>::try_from(y).unwrap(), vec![0.0, 0.0, 2.0]);
//! ```

use crate::error::{Error, Result};
use tch::Tensor;

/// An activation function, as Keras names them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ActivationFn {
    /// `linear`: the identity (Keras's default).
    Linear,
    /// `relu`: max(x, 0).
    Relu,
    /// `sigmoid`: 1 / (1 + e^-x).
    Sigmoid,
    /// `tanh`.
    Tanh,
    /// `softmax` over the last axis.
    Softmax,
    /// `leaky_relu` with the given negative slope (Keras's default 0.2).
    LeakyRelu(f64),
    /// `elu` with alpha 1.
    Elu,
    /// `gelu` (exact, erf-based).
    Gelu,
    /// `softplus`.
    Softplus,
}

/// Every string id [`ActivationFn::parse`] accepts.
pub const ACTIVATION_IDS: &[&str] = &[
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "leaky_relu",
    "elu",
    "gelu",
    "softplus",
];

impl ActivationFn {
    /// Looks up an activation by its Keras id; an unknown id lists the valid ones.
    pub fn parse(id: &str) -> Result<Self> {
        Ok(match id {
            "linear" | "None" | "none" | "" => ActivationFn::Linear,
            "relu" => ActivationFn::Relu,
            "sigmoid" => ActivationFn::Sigmoid,
            "tanh" => ActivationFn::Tanh,
            "softmax" => ActivationFn::Softmax,
            "leaky_relu" => ActivationFn::LeakyRelu(0.2),
            "elu" => ActivationFn::Elu,
            "gelu" => ActivationFn::Gelu,
            "softplus" => ActivationFn::Softplus,
            _ => {
                return Err(Error::UnknownId {
                    kind: "activation",
                    got: id.to_string(),
                    valid: ACTIVATION_IDS.to_vec(),
                })
            }
        })
    }

    /// The Keras id of this activation.
    pub fn id(&self) -> &'static str {
        match self {
            ActivationFn::Linear => "linear",
            ActivationFn::Relu => "relu",
            ActivationFn::Sigmoid => "sigmoid",
            ActivationFn::Tanh => "tanh",
            ActivationFn::Softmax => "softmax",
            ActivationFn::LeakyRelu(_) => "leaky_relu",
            ActivationFn::Elu => "elu",
            ActivationFn::Gelu => "gelu",
            ActivationFn::Softplus => "softplus",
        }
    }

    /// The [`Logits`] a layer ending in this function hands the loss: `pre_activation()`, when
    /// the function turns logits into probabilities (`softmax`, `sigmoid`); otherwise `None`.
    pub(crate) fn logits(&self, pre_activation: impl FnOnce() -> Tensor) -> Option<Logits> {
        matches!(self, ActivationFn::Softmax | ActivationFn::Sigmoid).then(|| Logits {
            values: pre_activation(),
            activation: *self,
        })
    }

    /// Applies the function to `x`.
    pub fn apply(&self, x: &Tensor) -> Tensor {
        match self {
            ActivationFn::Linear => x.shallow_clone(),
            ActivationFn::Relu => x.relu(),
            ActivationFn::Sigmoid => x.sigmoid(),
            ActivationFn::Tanh => x.tanh(),
            ActivationFn::Softmax => x.softmax(-1, x.kind()),
            ActivationFn::LeakyRelu(slope) => x.leaky_relu_backward_helper(*slope),
            ActivationFn::Elu => x.elu(),
            ActivationFn::Gelu => x.gelu("none"),
            ActivationFn::Softplus => x.softplus(),
        }
    }
}

trait LeakyHelper {
    fn leaky_relu_backward_helper(&self, slope: f64) -> Tensor;
}

impl LeakyHelper for Tensor {
    /// `max(x, slope·x)` for slope in [0, 1], differentiable through autograd.
    fn leaky_relu_backward_helper(&self, slope: f64) -> Tensor {
        let neg = self.clamp_max(0.0) * slope;
        self.clamp_min(0.0) + neg
    }
}

/// What an `activation` option accepts: a string id or a typed value.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivationArg {
    /// A typed activation.
    Typed(ActivationFn),
    /// A string id, checked when the layer is built.
    Id(String),
}

impl ActivationArg {
    /// The id as written in a saved model's config: the typed activation's id, or the string
    /// as given.
    pub fn config_id(&self) -> String {
        match self {
            ActivationArg::Typed(a) => a.id().to_string(),
            ActivationArg::Id(s) => s.clone(),
        }
    }

    /// Resolves the argument, erroring on an unknown id.
    pub fn resolve(&self) -> Result<ActivationFn> {
        match self {
            ActivationArg::Typed(a) => Ok(*a),
            ActivationArg::Id(s) => ActivationFn::parse(s),
        }
    }
}

impl From<ActivationFn> for ActivationArg {
    fn from(a: ActivationFn) -> Self {
        ActivationArg::Typed(a)
    }
}

impl From<&str> for ActivationArg {
    fn from(s: &str) -> Self {
        ActivationArg::Id(s.to_string())
    }
}

impl From<String> for ActivationArg {
    fn from(s: String) -> Self {
        ActivationArg::Id(s)
    }
}

/// A model's output before its final `softmax` or `sigmoid`.
///
/// Cross-entropy losses use these instead of the probabilities, as Keras does when the output
/// comes from a softmax or sigmoid (tf.keras takes the activation's input). On probabilities
/// clipped to `[1e-7, 1 - 1e-7]`, a saturated output has no gradient: an MLP on raw 0–255
/// MNIST pixels stalled at 44% accuracy; with the logits it reaches about 90%.
pub struct Logits {
    /// The pre-activation values.
    pub values: Tensor,
    /// `Softmax` or `Sigmoid`.
    pub activation: ActivationFn,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(t: Tensor) -> Vec<f64> {
        Vec::<f64>::try_from(t.to_kind(tch::Kind::Double)).unwrap()
    }

    #[test]
    fn each_activation_matches_its_formula() {
        let x = Tensor::from_slice(&[-2.0f32, 0.0, 1.0]);
        assert_eq!(vals(ActivationFn::Relu.apply(&x)), vec![0.0, 0.0, 1.0]);
        let lr = vals(ActivationFn::LeakyRelu(0.2).apply(&x));
        assert!((lr[0] + 0.4).abs() < 1e-6 && lr[2] == 1.0);
        let s = vals(ActivationFn::Sigmoid.apply(&x));
        assert!((s[1] - 0.5).abs() < 1e-7);
        let sm = vals(ActivationFn::Softmax.apply(&x));
        assert!((sm.iter().sum::<f64>() - 1.0).abs() < 1e-6);
        let e = vals(ActivationFn::Elu.apply(&x));
        assert!((e[0] - ((-2.0f64).exp() - 1.0)).abs() < 1e-6);
        assert_eq!(vals(ActivationFn::Linear.apply(&x)), vec![-2.0, 0.0, 1.0]);
    }

    #[test]
    fn unknown_id_lists_valid_ones() {
        let err = ActivationFn::parse("rellu").unwrap_err().to_string();
        assert!(err.contains("unknown activation 'rellu'") && err.contains("relu, sigmoid"));
    }
}
