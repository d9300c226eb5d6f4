//! Core layers: `Dense`, `Activation`, `Flatten`, `Dropout`, `Rescaling`, `LeakyReLU`.

use super::handle::{layer_builder, layer_shape_err, LayerKind, LayerOpts, Weight};
use crate::activations::{ActivationArg, ActivationFn};
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
        let k = self.kernel.as_ref().expect("built");
        self.act.apply(&x.linear(k, self.bias.as_ref()))
    }
    fn weights(&self) -> Vec<Weight> {
        let mut w = Vec::new();
        if let Some(k) = &self.kernel {
            w.push(Weight {
                name: "kernel",
                value: k.tr(),
                trainable: true,
            });
        }
        if let Some(b) = &self.bias {
            w.push(Weight {
                name: "bias",
                value: b.shallow_clone(),
                trainable: true,
            });
        }
        w
    }
    fn params(&self) -> Vec<Tensor> {
        self.kernel
            .iter()
            .chain(self.bias.iter())
            .map(Tensor::shallow_clone)
            .collect()
    }
    fn config(&self) -> Value {
        let act = match &self.activation {
            ActivationArg::Typed(a) => a.id().to_string(),
            ActivationArg::Id(s) => s.clone(),
        };
        json!({"units": self.units, "activation": act, "use_bias": self.use_bias})
    }
}

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
    /// An activation layer, by id or typed value.
    pub fn new(activation: impl Into<ActivationArg>) -> Self {
        Activation {
            opts: LayerOpts::default(),
            activation: activation.into(),
            act: ActivationFn::Linear,
        }
    }
    pub(crate) fn from_parts(id: String) -> Self {
        Self::new(id)
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
    fn config(&self) -> Value {
        let act = match &self.activation {
            ActivationArg::Typed(a) => a.id().to_string(),
            ActivationArg::Id(s) => s.clone(),
        };
        json!({"activation": act})
    }
}

/// Keras's `Flatten`: `(batch, d1, d2, …)` → `(batch, d1·d2·…)`.
#[derive(Default)]
pub struct Flatten {
    pub(crate) opts: LayerOpts,
}
layer_builder!(Flatten);

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

/// Keras's `Dropout`: during training zeroes a fraction `rate` of the inputs and scales the
/// rest by `1 / (1 - rate)`; does nothing at inference.
pub struct Dropout {
    pub(crate) opts: LayerOpts,
    rate: f64,
}
layer_builder!(Dropout);

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

/// Keras's `Rescaling`: `x * scale + offset` (e.g. `Rescaling::new(1.0 / 255.0, 0.0)`).
pub struct Rescaling {
    pub(crate) opts: LayerOpts,
    scale: f64,
    offset: f64,
}
layer_builder!(Rescaling);

impl Rescaling {
    /// A rescaling layer.
    pub fn new(scale: f64, offset: f64) -> Self {
        Rescaling {
            opts: LayerOpts::default(),
            scale,
            offset,
        }
    }
}

impl LayerKind for Rescaling {
    fn class_name(&self) -> &'static str {
        "Rescaling"
    }
    fn default_name(&self) -> &'static str {
        "rescaling"
    }
    fn build(&mut self, _label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x * self.scale + self.offset
    }
    fn config(&self) -> Value {
        json!({"scale": self.scale, "offset": self.offset})
    }
}

/// Keras's `LeakyReLU` layer (negative slope 0.3 by default, as Keras's layer).
pub struct LeakyReLU {
    pub(crate) opts: LayerOpts,
    slope: f64,
}
layer_builder!(LeakyReLU);

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
            .predict(&Tensor::zeros([2, 28, 28], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Dense 'dense_x' expects last axis 784, got input of shape (None, 28, 28)"
        );
    }

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

    #[test]
    fn flatten_rescaling_leaky() {
        let x = Tensor::arange(24, (Kind::Float, Device::Cpu)).view([2, 3, 4]);
        assert_eq!(Flatten::new().call(&x).unwrap().size(), vec![2, 12]);
        let r = Rescaling::new(0.5, 1.0).call(&x).unwrap();
        assert_eq!(r.double_value(&[1, 2, 3]), 23.0 * 0.5 + 1.0);
        let l = LeakyReLU::new()
            .call(&Tensor::from_slice(&[-1.0f32, 1.0]).view([1, 2]))
            .unwrap();
        assert!((l.double_value(&[0, 0]) + 0.3).abs() < 1e-6);
    }

    #[test]
    fn unknown_activation_is_an_error_at_build() {
        let err = Dense::new(2)
            .activation("rleu")
            .call(&Tensor::ones([1, 2], (Kind::Float, Device::Cpu)));
        assert!(err.unwrap_err().to_string().contains("valid ids are"));
    }
}
