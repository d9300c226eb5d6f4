//! What `DepthwiseConv2D` and `SeparableConv2D` share: the depthwise convolution (each input
//! channel convolved with its own `depth_multiplier` filters), which `SeparableConv2D` follows
//! with a 1×1 pointwise convolution that mixes the channels.
//!
//! libtorch runs the depthwise step as a grouped convolution (`groups = in`) on channels-first
//! data, weight `(in·mult, 1, kh, kw)`: its output channel `c·mult + m` comes from input
//! channel `c` and multiplier `m`, the order Keras's output has. `weights()` shows the
//! weights in Keras layout, as views on that storage.

use super::conv_common::{channels_first_input, to_channels_last};
use super::depthwise_config::DepthwiseSpec;
use super::image_common::image_dims;
use super::padding::{torch_pad_order, Padding};
use super::{layer_shape_err, Dims, LayerKind, LayerSpec, Weight};
use crate::activations::{ActivationArg, ActivationFn};
use crate::error::{Error, Result};
use crate::initializers::Initializer;
use serde_json::Value;
use tch::{Device, Tensor};

/// A built `DepthwiseConv2D` or `SeparableConv2D`: its config resolved and its weights.
pub(crate) struct DepthwiseSep {
    spec: DepthwiseSpec,
    kernel_size: [i64; 2],
    strides: [i64; 2],
    pad: Padding,
    depth_multiplier: i64,
    act: ActivationFn,
    /// `(in·mult, 1, kh, kw)`.
    depthwise: Tensor,
    /// `(filters, in·mult, 1, 1)`; `SeparableConv2D` only.
    pointwise: Option<Tensor>,
    /// On the layer's output: after the pointwise step when there is one.
    bias: Option<Tensor>,
}

/// Two sizes from a config's `Dims` (already checked to be two).
fn pair(d: &Dims, class: &str, field: &str) -> Result<[i64; 2]> {
    let v = d.expand(class, field, 2)?;
    Ok([v[0], v[1]])
}

fn default_name(class: &str) -> &'static str {
    match class {
        "SeparableConv2D" => "separable_conv2d",
        _ => "depthwise_conv2d",
    }
}

impl DepthwiseSep {
    /// The output size of the two spatial axes, or the error for a too small image.
    fn out_hw(&self, label: &str, input: &[i64]) -> Result<[i64; 2]> {
        let [h, w, _] = image_dims(label, input)?;
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
        Ok([oh, ow])
    }
}

impl LayerSpec for DepthwiseSpec {
    fn class_name(&self) -> &'static str {
        self.class()
    }
    fn default_name(&self) -> &'static str {
        default_name(self.class())
    }
    fn config(&self) -> Value {
        self.to_json()
    }
    fn init(&self, label: &str, inputs: &[Vec<i64>], device: Device) -> Result<Box<dyn LayerKind>> {
        let class = self.class();
        let c = &self.config;
        let input = inputs.first().map(Vec::as_slice).unwrap_or_default();
        let [_, _, cin] = image_dims(label, input)?;
        let mult = c.depth_multiplier;
        if mult < 1 || self.pointwise.as_ref().is_some_and(|p| p.filters < 1) {
            return Err(Error::InvalidArgument(format!(
                "{label}: depth_multiplier and filters must be positive"
            )));
        }
        let [kh, kw] = pair(&c.kernel_size, class, "kernel_size")?;
        // Drawn in Keras layout so the glorot fans are Keras's: (kh, kw, in, mult).
        let k = c
            .depthwise_initializer
            .initializer(Initializer::GlorotUniform)
            .make(&[kh, kw, cin, mult], device);
        let depthwise = k.permute([2, 3, 0, 1]).reshape([cin * mult, 1, kh, kw]);
        let pointwise = self.pointwise.as_ref().map(|p| {
            p.pointwise_initializer
                .initializer(Initializer::GlorotUniform)
                .make(&[1, 1, cin * mult, p.filters], device)
                .permute([3, 2, 0, 1])
                .contiguous()
        });
        let out = self.pointwise.as_ref().map_or(cin * mult, |p| p.filters);
        let bias = c.use_bias.then(|| {
            c.bias_initializer
                .initializer(Initializer::Zeros)
                .make(&[out], device)
        });
        let built = DepthwiseSep {
            spec: self.clone(),
            kernel_size: [kh, kw],
            strides: pair(&c.strides, class, "strides")?,
            pad: Padding::parse(&c.padding)?,
            depth_multiplier: mult,
            act: ActivationArg::Id(c.activation.clone()).resolve()?,
            depthwise,
            pointwise,
            bias,
        };
        built.out_hw(label, input)?;
        Ok(Box::new(built))
    }
}

impl LayerKind for DepthwiseSep {
    fn class_name(&self) -> &'static str {
        self.spec.class()
    }
    fn default_name(&self) -> &'static str {
        default_name(self.spec.class())
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let [oh, ow] = self.out_hw(label, input)?;
        let cin = input[2];
        let k = &self.depthwise;
        let built_for = k.size()[0] / self.depth_multiplier;
        if cin != built_for {
            let expected = format!("{built_for} input channels");
            return Err(layer_shape_err(label, expected, input));
        }
        let out_channels = self.pointwise.as_ref().map_or(k.size()[0], |p| p.size()[0]);
        Ok(vec![oh, ow, out_channels])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let k = &self.depthwise;
        // A channels-last view, as for Conv2D (conv_common's module doc); the 1×1 and
        // depthwise kernels are the same in either memory format.
        let xc = channels_first_input(x, 2);
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
        let depthwise = {
            let k = &self.depthwise;
            let [n, _, kh, kw] = k.size()[..] else {
                unreachable!("4-d weight")
            };
            let mult = self.depth_multiplier;
            k.view([n / mult, mult, kh, kw]).permute([2, 3, 0, 1])
        };
        let Some(p) = &self.pointwise else {
            return Weight::kernel_and_bias(depthwise, self.bias.as_ref());
        };
        let trainable = |name, value| Weight {
            name,
            value,
            trainable: true,
        };
        let kernel = trainable("depthwise_kernel", depthwise);
        // (filters, in·mult, 1, 1) → Keras's (1, 1, in·mult, filters).
        let pointwise = trainable("pointwise_kernel", p.permute([2, 3, 1, 0]));
        let bias = self
            .bias
            .iter()
            .map(|b| trainable("bias", b.shallow_clone()));
        [kernel, pointwise].into_iter().chain(bias).collect()
    }
    fn params(&self) -> Vec<Tensor> {
        std::iter::once(&self.depthwise)
            .chain(&self.pointwise)
            .chain(&self.bias)
            .map(Tensor::shallow_clone)
            .collect()
    }
    fn config(&self) -> Value {
        self.spec.to_json()
    }
}

/// The builder options `DepthwiseConv2D` and `SeparableConv2D` share, on their `inner`
/// `DepthwiseSpec`: those of every convolution (`conv_options!`) and `depth_multiplier`.
macro_rules! depthwise_options {
    ($ty:ident) => {
        $crate::layers::conv_common::conv_options!($ty, 2);
        impl $ty {
            /// How many filters each input channel gets (default 1).
            pub fn depth_multiplier(mut self, depth_multiplier: i64) -> Self {
                self.inner.config.depth_multiplier = depth_multiplier;
                self
            }
        }
        $crate::layers::delegate_layer_spec!($ty);
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
