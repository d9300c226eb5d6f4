//! What `DepthwiseConv2D` and `SeparableConv2D` share: the depthwise convolution (each input
//! channel convolved with its own `depth_multiplier` filters), which `SeparableConv2D` follows
//! with a 1×1 pointwise convolution that mixes the channels.
//!
//! libtorch runs the depthwise step as a grouped convolution (`groups = in`) on channels-first
//! data, weight `(in·mult, 1, kh, kw)`: its output channel `c·mult + m` comes from input
//! channel `c` and multiplier `m`, the order Keras's output has. `weights()` shows the
//! weights in Keras layout, as views on that storage.

use super::config::field;
use super::conv_common::{to_channels_first, to_channels_last};
use super::image_common::image_dims;
use super::padding::{torch_pad_order, Padding};
use super::{created_params, layer_shape_err, LayerKind, Weight};
use crate::activations::{ActivationArg, ActivationFn};
use crate::error::{Error, Result};
use crate::initializers::Initializer;
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// The shared implementation of `DepthwiseConv2D` and `SeparableConv2D`.
pub(crate) struct DepthwiseSep {
    /// `Some(filters)`: a pointwise convolution to `filters` channels follows
    /// (`SeparableConv2D`); `None`: the depthwise output is the layer's (`DepthwiseConv2D`).
    filters: Option<i64>,
    kernel_size: [i64; 2],
    pub(super) strides: [i64; 2],
    pub(super) padding: String,
    pad: Padding,
    pub(super) depth_multiplier: i64,
    pub(super) activation: ActivationArg,
    act: ActivationFn,
    pub(super) use_bias: bool,
    /// `(in·mult, 1, kh, kw)`.
    depthwise: Option<Tensor>,
    /// `(filters, in·mult, 1, 1)`.
    pointwise: Option<Tensor>,
    /// On the layer's output: after the pointwise step when there is one.
    bias: Option<Tensor>,
}

impl DepthwiseSep {
    pub(super) fn new(filters: Option<i64>, kernel_size: [i64; 2]) -> Self {
        DepthwiseSep {
            filters,
            kernel_size,
            strides: [1, 1],
            padding: "valid".into(),
            pad: Padding::Valid,
            depth_multiplier: 1,
            activation: ActivationArg::Id("linear".into()),
            act: ActivationFn::Linear,
            use_bias: true,
            depthwise: None,
            pointwise: None,
            bias: None,
        }
    }

    /// Reads the options both layers have from a saved config (`filters` as the caller read it).
    pub(super) fn from_config(class: &str, c: &Value, filters: Option<i64>) -> Result<Self> {
        let mut l = DepthwiseSep::new(filters, field(class, c, "kernel_size")?);
        l.strides = field(class, c, "strides")?;
        l.padding = field(class, c, "padding")?;
        l.depth_multiplier = field(class, c, "depth_multiplier")?;
        l.activation = ActivationArg::Id(field(class, c, "activation")?);
        l.use_bias = field(class, c, "use_bias")?;
        Ok(l)
    }

    /// Creates the weights for `cin` input channels; returns the output channels.
    fn create_weights(&mut self, cin: i64, device: Device) -> i64 {
        let [kh, kw] = self.kernel_size;
        let mult = self.depth_multiplier;
        // Drawn in Keras layout so the glorot fans are Keras's: (kh, kw, in, mult).
        let k = Initializer::GlorotUniform.make(&[kh, kw, cin, mult], device);
        self.depthwise = Some(k.permute([2, 3, 0, 1]).reshape([cin * mult, 1, kh, kw]));
        let out = match self.filters {
            Some(f) => {
                let p = Initializer::GlorotUniform.make(&[1, 1, cin * mult, f], device);
                self.pointwise = Some(p.permute([3, 2, 0, 1]).contiguous());
                f
            }
            None => cin * mult,
        };
        if self.use_bias {
            self.bias = Some(Initializer::Zeros.make(&[out], device));
        }
        out
    }
}

impl LayerKind for DepthwiseSep {
    fn class_name(&self) -> &'static str {
        match self.filters {
            Some(_) => "SeparableConv2D",
            None => "DepthwiseConv2D",
        }
    }
    fn default_name(&self) -> &'static str {
        match self.filters {
            Some(_) => "separable_conv2d",
            None => "depthwise_conv2d",
        }
    }
    fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>> {
        self.act = self.activation.resolve()?;
        self.pad = Padding::parse(&self.padding)?;
        let [h, w, cin] = image_dims(label, input)?;
        if self.depth_multiplier < 1 || self.filters.is_some_and(|f| f < 1) {
            return Err(Error::InvalidArgument(format!(
                "{label}: depth_multiplier and filters must be positive"
            )));
        }
        let [oh, ow] = [0, 1].map(|i| {
            let (len, _, _) = self
                .pad
                .out_len([h, w][i], self.kernel_size[i], self.strides[i]);
            len
        });
        if oh <= 0 || ow <= 0 {
            let expected = format!("images at least the kernel size {:?}", self.kernel_size);
            return Err(layer_shape_err(label, expected, input));
        }
        let out_channels = match (&self.depthwise, &self.pointwise) {
            (None, _) => self.create_weights(cin, device),
            (Some(k), pointwise) => {
                let built_for = k.size()[0] / self.depth_multiplier;
                if cin != built_for {
                    let expected = format!("{built_for} input channels");
                    return Err(layer_shape_err(label, expected, input));
                }
                pointwise.as_ref().map_or(k.size()[0], |p| p.size()[0])
            }
        };
        Ok(vec![oh, ow, out_channels])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let k = self.depthwise.as_ref().expect("built");
        let xc = x.permute(to_channels_first(2).as_slice()).contiguous();
        let pads = self.pad.pads(&xc.size(), &self.kernel_size, &self.strides);
        // libtorch pads both sides alike; Keras's "same" may want one more row or column
        // after (stride 2 on an even size): then pad explicitly and convolve unpadded.
        let (xc, sym) = if pads.iter().all(|&(before, after)| before == after) {
            (xc, [pads[0].0, pads[1].0])
        } else {
            (
                xc.constant_pad_nd(torch_pad_order(&pads).as_slice()),
                [0, 0],
            )
        };
        let groups = k.size()[0] / self.depth_multiplier;
        let depthwise_bias = if self.pointwise.is_none() {
            self.bias.as_ref()
        } else {
            None
        };
        let mut y = xc.conv2d(k, depthwise_bias, self.strides, sym, [1, 1], groups);
        if let Some(p) = &self.pointwise {
            y = y.conv2d(p, self.bias.as_ref(), [1, 1], [0, 0], [1, 1], 1);
        }
        self.act.apply(&y).permute(to_channels_last(2).as_slice())
    }
    fn weights(&self) -> Vec<Weight> {
        // (in·mult, 1, kh, kw) → (in, mult, kh, kw) → Keras's (kh, kw, in, mult).
        let depthwise = self.depthwise.as_ref().map(|k| {
            let [n, _, kh, kw] = k.size()[..] else {
                unreachable!("4-d weight")
            };
            let mult = self.depth_multiplier;
            k.view([n / mult, mult, kh, kw]).permute([2, 3, 0, 1])
        });
        let Some(p) = &self.pointwise else {
            return Weight::kernel_and_bias(depthwise, self.bias.as_ref());
        };
        let trainable = |name, value| Weight {
            name,
            value,
            trainable: true,
        };
        let kernels = depthwise
            .into_iter()
            .map(|v| trainable("depthwise_kernel", v));
        // (filters, in·mult, 1, 1) → Keras's (1, 1, in·mult, filters).
        let pointwise = trainable("pointwise_kernel", p.permute([2, 3, 1, 0]));
        let bias = self
            .bias
            .iter()
            .map(|b| trainable("bias", b.shallow_clone()));
        kernels.chain([pointwise]).chain(bias).collect()
    }
    fn params(&self) -> Vec<Tensor> {
        created_params([&self.depthwise, &self.pointwise, &self.bias])
    }
    fn config(&self) -> Value {
        let mut c = json!({"kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "depth_multiplier": self.depth_multiplier,
            "activation": self.activation.config_id(), "use_bias": self.use_bias});
        if let Some(f) = self.filters {
            c["filters"] = json!(f);
        }
        c
    }
}

/// The builder options `DepthwiseConv2D` and `SeparableConv2D` share, on their `inner`
/// [`DepthwiseSep`]: those of every convolution (`conv_options!`) and `depth_multiplier`.
macro_rules! depthwise_options {
    ($ty:ident) => {
        $crate::layers::conv_common::conv_options!($ty, 2);
        impl $ty {
            /// How many filters each input channel gets (default 1).
            pub fn depth_multiplier(mut self, depth_multiplier: i64) -> Self {
                self.inner.depth_multiplier = depth_multiplier;
                self
            }
        }
        delegate_layer_kind!($ty);
    };
}
pub(super) use depthwise_options;

/// Test helper: `layer` built for `input`, given `weights` (Keras layout), run on `input`;
/// the output's shape and values.
#[cfg(test)]
pub(super) fn run_with_weights(
    layer: impl Into<super::Layer>,
    weights: &[Tensor],
    input: &Tensor,
) -> (Vec<i64>, Vec<f32>) {
    let layer: super::Layer = layer.into();
    layer.build(&input.size()[1..], Device::Cpu).unwrap();
    layer.set_weights(weights).unwrap();
    let y = layer.call(input).unwrap();
    (y.size(), Vec::<f32>::try_from(y.reshape([-1])).unwrap())
}

/// Test helper: `arange(n)` as floats in `shape`.
#[cfg(test)]
pub(super) fn arange(shape: &[i64]) -> Tensor {
    let n: i64 = shape.iter().product();
    Tensor::arange(n, (tch::Kind::Float, Device::Cpu)).view(shape)
}
