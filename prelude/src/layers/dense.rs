//! Keras's `Dense` layer.

use super::config::field;
use super::handle::{created_params, layer_builder, layer_shape_err, LayerKind, LayerOpts, Weight};
use crate::activations::{ActivationArg, ActivationFn, Logits};
use crate::error::Result;
use crate::initializers::Initializer;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `Dense`: `activation(x · kernel + bias)` on the last axis.
///
/// Input `(batch, …, in)` → output `(batch, …, units)`; kernel `(in, units)`, bias `(units,)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let model = Sequential::new().add(Input::new([784])).add(Dense::new(512).activation("relu"));
/// assert_eq!(model.count_params(), 784 * 512 + 512);
/// ```
pub struct Dense {
    pub(crate) opts: LayerOpts,
    units: i64,
    activation: ActivationArg,
    act: ActivationFn,
    use_bias: bool,
    kernel: Option<Tensor>,
    bias: Option<Tensor>,
}
layer_builder!(Dense);

impl Dense {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Dense::from_parts(
            field("Dense", c, "units")?,
            field("Dense", c, "activation")?,
            field("Dense", c, "use_bias")?,
        ))
    }
}

impl Dense {
    /// A dense layer with `units` outputs, linear activation, glorot-uniform kernel, zero bias.
    pub fn new(units: i64) -> Self {
        Self::from_parts(units, "linear".to_string(), true)
    }

    pub(crate) fn from_parts(units: i64, activation: String, use_bias: bool) -> Self {
        Dense {
            opts: LayerOpts::default(),
            units,
            activation: ActivationArg::Id(activation),
            act: ActivationFn::Linear,
            use_bias,
            kernel: None,
            bias: None,
        }
    }

    /// The activation, by id (`"relu"`) or typed ([`ActivationFn`]).
    pub fn activation(mut self, activation: impl Into<ActivationArg>) -> Self {
        self.activation = activation.into();
        self
    }

    /// Whether to add a bias (default `true`).
    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.use_bias = use_bias;
        self
    }
}

impl Dense {
    /// `x · kernel + bias`, before the activation.
    fn pre_activation(&self, x: &Tensor) -> Tensor {
        let k = self.kernel.as_ref().expect("built");
        x.linear(k, self.bias.as_ref())
    }
}

impl LayerKind for Dense {
    fn class_name(&self) -> &'static str {
        "Dense"
    }
    fn default_name(&self) -> &'static str {
        "dense"
    }
    fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>> {
        self.act = self.activation.resolve()?;
        let last = match input.last() {
            Some(&d) => d,
            None => return Err(layer_shape_err(label, "at least 2 dimensions", input)),
        };
        match &self.kernel {
            Some(k) => {
                let expected = k.size()[1];
                if last != expected {
                    return Err(layer_shape_err(
                        label,
                        format!("last axis {expected}"),
                        input,
                    ));
                }
            }
            None => {
                if self.units <= 0 {
                    return Err(crate::Error::InvalidArgument(format!(
                        "{label}: units must be positive, got {}",
                        self.units
                    )));
                }
                // Stored (units, in) as libtorch's linear wants; `kernel()` shows (in, units).
                let k = Initializer::GlorotUniform.make(&[last, self.units], device);
                self.kernel = Some(k.tr().contiguous());
                if self.use_bias {
                    self.bias = Some(Initializer::Zeros.make(&[self.units], device));
                }
            }
        }
        let mut out = input.to_vec();
        *out.last_mut().unwrap() = self.units;
        Ok(out)
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        self.act.apply(&self.pre_activation(x))
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Option<Logits> {
        self.act.logits(|| self.pre_activation(x))
    }
    fn weights(&self) -> Vec<Weight> {
        // Stored (units, in): the transpose is Keras's (in, units).
        Weight::kernel_and_bias(self.kernel.as_ref().map(Tensor::tr), self.bias.as_ref())
    }
    fn params(&self) -> Vec<Tensor> {
        created_params([&self.kernel, &self.bias])
    }
    fn config(&self) -> Value {
        let act = self.activation.config_id();
        json!({"units": self.units, "activation": act, "use_bias": self.use_bias})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    /// A softmax Dense hands the loss its logits (x·W + b); its output is their softmax.
    #[test]
    fn softmax_dense_gives_its_logits() {
        let d: Layer = Dense::new(2).activation("softmax").into();
        d.build(&[3], Device::Cpu).unwrap();
        let w = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]).view([3, 2]);
        d.set_weights(&[w, Tensor::from_slice(&[0.5f32, -0.5])])
            .unwrap();
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0]).view([1, 3]);
        let (out, logits) = d.forward_with_logits(&x, false);
        let logits = logits.expect("softmax output has logits");
        let want = Tensor::from_slice(&[4.5f32, 4.5]).view([1, 2]);
        assert!(logits.values.allclose(&want, 1e-6, 1e-6, false));
        assert!(out.allclose(&d.forward(&x, false), 1e-6, 1e-6, false));
        let relu: Layer = Dense::new(2).activation("relu").into();
        relu.build(&[3], Device::Cpu).unwrap();
        assert!(relu.forward_with_logits(&x, false).1.is_none());
    }

    #[test]
    fn dense_is_x_w_plus_b() {
        let d: Layer = Dense::new(2).into();
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0]).view([1, 3]);
        d.build(&[3], Device::Cpu).unwrap();
        let w = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]).view([3, 2]);
        let b = Tensor::from_slice(&[0.5f32, -0.5]);
        d.set_weights(&[w, b]).unwrap();
        let y = d.call(&x).unwrap();
        // [1*1 + 2*0 + 3*1 + .5, 1*0 + 2*1 + 3*1 - .5]
        assert_eq!(Vec::<f32>::try_from(y.view([-1])).unwrap(), vec![4.5, 4.5]);
    }

    #[test]
    fn dense_shape_error_names_layer_and_shapes() {
        let model = Sequential::new()
            .add(Input::new([784]))
            .add(Dense::new(10).name("dense_x"));
        model.build().unwrap();
        let err = model
            .predict(
                &Tensor::zeros([2, 28, 28], (Kind::Float, Device::Cpu)),
                Predict::default(),
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Dense 'dense_x' expects last axis 784, got input of shape (None, 28, 28)"
        );
    }

    #[test]
    fn unknown_activation_is_an_error_at_build() {
        let err = Dense::new(2)
            .activation("rleu")
            .call(&Tensor::ones([1, 2], (Kind::Float, Device::Cpu)));
        assert!(err.unwrap_err().to_string().contains("valid ids are"));
    }
}
