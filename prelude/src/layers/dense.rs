//! Keras's `Dense` layer: its typed config ([`DenseConfig`], the builder) and the built layer
//! whose weights the config's first build creates.

use super::config::read_config;
use super::keras_object::{linear, yes, KerasObject};
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts, LayerSpec, Weight};
use crate::activations::{ActivationArg, ActivationFn, Logits};
use crate::error::{Error, Result};
use crate::initializers::Initializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Tensor};

/// `Dense`'s options, field for field as Keras 3's `Dense.get_config()` writes them (less
/// `name`, `trainable` and `dtype`, which every layer has).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenseConfig {
    /// Output size (required).
    pub units: i64,
    /// The activation's id.
    #[serde(default = "linear")]
    pub activation: String,
    /// Whether to add a bias.
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// How the kernel is drawn.
    #[serde(default = "KerasObject::glorot_uniform")]
    pub kernel_initializer: KerasObject,
    /// How the bias is drawn.
    #[serde(default = "KerasObject::zeros")]
    pub bias_initializer: KerasObject,
    /// Kept for saving; the prelude does not apply regularizers.
    pub kernel_regularizer: Option<KerasObject>,
    /// Kept for saving; the prelude does not apply regularizers.
    pub bias_regularizer: Option<KerasObject>,
    /// Kept for saving; the prelude does not apply constraints.
    pub kernel_constraint: Option<KerasObject>,
    /// Kept for saving; the prelude does not apply constraints.
    pub bias_constraint: Option<KerasObject>,
    /// Keras's quantization settings; `None` (not quantized) in the prelude.
    pub quantization_config: Option<Value>,
}

impl DenseConfig {
    /// Keras's defaults for a layer of `units` outputs.
    pub fn new(units: i64) -> Self {
        DenseConfig {
            units,
            activation: linear(),
            use_bias: true,
            kernel_initializer: KerasObject::glorot_uniform(),
            bias_initializer: KerasObject::zeros(),
            kernel_regularizer: None,
            bias_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
            quantization_config: None,
        }
    }
}

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
    config: DenseConfig,
}
layer_builder!(Dense, spec);

impl Dense {
    /// A dense layer with `units` outputs, linear activation, glorot-uniform kernel, zero bias.
    pub fn new(units: i64) -> Self {
        Dense::from_typed(DenseConfig::new(units))
    }

    /// The layer of a typed config.
    pub fn from_typed(config: DenseConfig) -> Self {
        Dense {
            opts: LayerOpts::default(),
            config,
        }
    }

    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Dense::from_typed(read_config("Dense", c)?))
    }

    /// The activation, by id (`"relu"`) or typed ([`ActivationFn`]).
    pub fn activation(mut self, activation: impl Into<ActivationArg>) -> Self {
        self.config.activation = activation.into().config_id();
        self
    }

    /// Whether to add a bias (default `true`).
    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.config.use_bias = use_bias;
        self
    }
}

impl LayerSpec for Dense {
    fn class_name(&self) -> &'static str {
        "Dense"
    }
    fn default_name(&self) -> &'static str {
        "dense"
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a DenseConfig is plain JSON")
    }
    fn init(&self, label: &str, inputs: &[Vec<i64>], device: Device) -> Result<Box<dyn LayerKind>> {
        let c = &self.config;
        let act = ActivationArg::Id(c.activation.clone()).resolve()?;
        let input = inputs.first().map(Vec::as_slice).unwrap_or_default();
        let Some(&last) = input.last() else {
            return Err(layer_shape_err(label, "at least 2 dimensions", input));
        };
        if c.units <= 0 {
            return Err(Error::InvalidArgument(format!(
                "{label}: units must be positive, got {}",
                c.units
            )));
        }
        let k = c
            .kernel_initializer
            .initializer(Initializer::GlorotUniform)
            .make(&[last, c.units], device);
        let bias = c.use_bias.then(|| {
            c.bias_initializer
                .initializer(Initializer::Zeros)
                .make(&[c.units], device)
        });
        Ok(Box::new(BuiltDense {
            config: c.clone(),
            act,
            // Stored (units, in) as libtorch's linear wants; `kernel()` shows (in, units).
            kernel: k.tr().contiguous(),
            bias,
        }))
    }
}

/// A built `Dense`: its weights exist.
struct BuiltDense {
    config: DenseConfig,
    act: ActivationFn,
    /// `(units, in)`.
    kernel: Tensor,
    /// `None` when the config says `use_bias: false`.
    bias: Option<Tensor>,
}

impl BuiltDense {
    /// `x · kernel + bias`, before the activation.
    fn pre_activation(&self, x: &Tensor) -> Tensor {
        x.linear(&self.kernel, self.bias.as_ref())
    }
}

impl LayerKind for BuiltDense {
    fn class_name(&self) -> &'static str {
        "Dense"
    }
    fn default_name(&self) -> &'static str {
        "dense"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let expected = self.kernel.size()[1];
        if input.last() != Some(&expected) {
            return Err(layer_shape_err(
                label,
                format!("last axis {expected}"),
                input,
            ));
        }
        let mut out = input.to_vec();
        *out.last_mut().unwrap() = self.config.units;
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
        Weight::kernel_and_bias(self.kernel.tr(), self.bias.as_ref())
    }
    fn params(&self) -> Vec<Tensor> {
        std::iter::once(&self.kernel)
            .chain(&self.bias)
            .map(Tensor::shallow_clone)
            .collect()
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a DenseConfig is plain JSON")
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
