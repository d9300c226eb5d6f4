//! What `Conv1D`, `Conv2D` and `Conv3D` share: the N-dimensional convolution, channels-last
//! like Keras.
//!
//! Inputs are `(batch, spatial…, channels)`; kernels are exposed in Keras layout
//! `(k…, in, out)`. libtorch's convolutions take channels-first *shapes*, so the layer hands
//! them a permuted view: for 2 and 3 spatial axes that view is what PyTorch calls the
//! `channels_last` memory format, which oneDNN runs faster than channels-first on the CPU
//! (issue 23: the CIFAR CNN trained 0.72–0.82× as fast as Keras-TF with contiguous NCHW
//! copies). The output comes back in the same format, so its channels-last view is contiguous
//! and stacked conv/pool/Flatten layers copy nothing.

use super::conv_config::{ConvConfig, ConvSpec};
use super::padding::{torch_pad_order, Padding};
use super::{layer_shape_err, LayerKind, LayerSpec, Weight};
use crate::activations::{ActivationArg, ActivationFn};
use crate::error::Result;
use crate::initializers::Initializer;
use serde_json::Value;
use tch::{Device, Tensor};

/// A size per spatial axis: from one number (`3`) or one per axis (`(3, 3)`, `[3, 3]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpatialDims<const N: usize>(pub [i64; N]);

impl<const N: usize> From<i64> for SpatialDims<N> {
    fn from(v: i64) -> Self {
        SpatialDims([v; N])
    }
}
impl<const N: usize> From<[i64; N]> for SpatialDims<N> {
    fn from(v: [i64; N]) -> Self {
        SpatialDims(v)
    }
}
impl From<(i64, i64)> for SpatialDims<2> {
    fn from(v: (i64, i64)) -> Self {
        SpatialDims([v.0, v.1])
    }
}
impl From<(i64, i64, i64)> for SpatialDims<3> {
    fn from(v: (i64, i64, i64)) -> Self {
        SpatialDims([v.0, v.1, v.2])
    }
}

/// Permutation channels-last → channels-first for `n` spatial axes.
pub(crate) fn to_channels_first(n: usize) -> Vec<i64> {
    let mut p = vec![0, n as i64 + 1];
    p.extend(1..=n as i64);
    p
}

/// `x` (channels-last data) as the channels-first shape libtorch's convolutions take. For 2
/// and 3 spatial axes this is a view in the channels-last memory format (see the module doc);
/// libtorch has no such format for 1 axis, so a `Conv1D` input is copied channels-first.
pub(crate) fn channels_first_input(x: &Tensor, n: usize) -> Tensor {
    let v = x.permute(to_channels_first(n).as_slice());
    if n >= 2 {
        v
    } else {
        v.contiguous()
    }
}

/// A kernel drawn in Keras layout `(k…, in, out)` as libtorch's `(out, in, k…)`, stored in the
/// memory format [`channels_first_input`] gives the data (for 1 spatial axis, contiguous).
pub(crate) fn torch_kernel(keras: &Tensor, n: usize) -> Tensor {
    let n = n as i64;
    if n >= 2 {
        // memory (out, k…, in), seen as (out, in, k…)
        let mut to_memory = vec![n + 1];
        to_memory.extend(0..=n);
        let mut to_shape = vec![0, n + 1];
        to_shape.extend(1..=n);
        keras
            .permute(to_memory.as_slice())
            .contiguous()
            .permute(to_shape.as_slice())
    } else {
        let mut p = vec![n + 1, n];
        p.extend(0..n);
        keras.permute(p.as_slice()).contiguous()
    }
}

/// Permutation channels-first → channels-last for `n` spatial axes.
pub(crate) fn to_channels_last(n: usize) -> Vec<i64> {
    let mut p = vec![0];
    p.extend(2..=n as i64 + 1);
    p.push(1);
    p
}

/// A built `Conv1D/2D/3D`: its config resolved (sizes per axis, padding, activation) and
/// its weights.
pub(crate) struct ConvN {
    spec_class: &'static str,
    config: ConvConfig,
    kernel_size: Vec<i64>,
    strides: Vec<i64>,
    pad: Padding,
    act: ActivationFn,
    /// The weight as libtorch's `(out, in, k…)`, in the data's memory format
    /// ([`torch_kernel`]).
    weight: Tensor,
    bias: Option<Tensor>,
}

impl LayerSpec for ConvSpec {
    fn class_name(&self) -> &'static str {
        self.class
    }
    fn default_name(&self) -> &'static str {
        default_name(self.class)
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a ConvConfig is plain JSON")
    }
    fn init(&self, label: &str, inputs: &[Vec<i64>], device: Device) -> Result<Box<dyn LayerKind>> {
        let n = self.n();
        let c = &self.config;
        let kernel_size = c.kernel_size.expand(self.class, "kernel_size", n)?;
        let strides = c.strides.expand(self.class, "strides", n)?;
        let act = ActivationArg::Id(c.activation.clone()).resolve()?;
        let pad = Padding::parse(&c.padding)?;
        let input = inputs.first().map(Vec::as_slice).unwrap_or_default();
        check_rank(label, input, n)?;
        let mut shape = kernel_size.clone();
        shape.push(input[n]);
        shape.push(c.filters);
        let k = c
            .kernel_initializer
            .initializer(Initializer::GlorotUniform)
            .make(&shape, device);
        let bias = c.use_bias.then(|| {
            c.bias_initializer
                .initializer(Initializer::Zeros)
                .make(&[c.filters], device)
        });
        Ok(Box::new(ConvN {
            spec_class: self.class,
            config: c.clone(),
            kernel_size,
            strides,
            pad,
            act,
            weight: torch_kernel(&k, n),
            bias,
        }))
    }
}

fn default_name(class: &str) -> &'static str {
    match class {
        "Conv1D" => "conv1d",
        "Conv2D" => "conv2d",
        _ => "conv3d",
    }
}

/// An error unless `input` is `n` spatial axes and channels.
fn check_rank(label: &str, input: &[i64], n: usize) -> Result<()> {
    if input.len() == n + 1 {
        return Ok(());
    }
    Err(layer_shape_err(
        label,
        format!(
            "{} dimensions (batch, {}channels)",
            n + 2,
            "spatial, ".repeat(n)
        ),
        input,
    ))
}

impl ConvN {
    fn n(&self) -> usize {
        self.kernel_size.len()
    }

    /// Keras-layout view `(k…, in, out)` of the channels-first weight.
    fn keras_kernel(&self, w: &Tensor) -> Tensor {
        let n = self.n() as i64;
        let mut p: Vec<i64> = (2..n + 2).collect();
        p.push(1);
        p.push(0);
        w.permute(p.as_slice())
    }
}

impl LayerKind for ConvN {
    fn class_name(&self) -> &'static str {
        self.spec_class
    }
    fn default_name(&self) -> &'static str {
        default_name(self.spec_class)
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let n = self.n();
        check_rank(label, input, n)?;
        let built_for = self.weight.size()[1];
        if input[n] != built_for {
            return Err(layer_shape_err(
                label,
                format!("{built_for} input channels"),
                input,
            ));
        }
        let mut out = Vec::with_capacity(n + 1);
        for i in 0..n {
            let (len, _, _) = self
                .pad
                .out_len(input[i], self.kernel_size[i], self.strides[i]);
            if len <= 0 {
                return Err(layer_shape_err(
                    label,
                    format!(
                        "spatial size at least the kernel size {:?}",
                        self.kernel_size
                    ),
                    input,
                ));
            }
            out.push(len);
        }
        out.push(self.config.filters);
        Ok(out)
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let n = self.n();
        let w = &self.weight;
        let mut xc = channels_first_input(x, n);
        let pads = self.pad.pads(&xc.size(), &self.kernel_size, &self.strides);
        let mut sym: Vec<i64> = pads.iter().map(|&(before, _)| before).collect();
        if pads.iter().any(|&(before, after)| before != after) {
            // libtorch's convolutions pad evenly: pad unevenly first.
            xc = xc.constant_pad_nd(torch_pad_order(&pads).as_slice());
            sym = vec![0; n];
        }
        let dil = vec![1; n];
        let y = match n {
            1 => xc.conv1d(
                w,
                self.bias.as_ref(),
                self.strides.as_slice(),
                sym.as_slice(),
                dil.as_slice(),
                1,
            ),
            2 => xc.conv2d(
                w,
                self.bias.as_ref(),
                self.strides.as_slice(),
                sym.as_slice(),
                dil.as_slice(),
                1,
            ),
            _ => xc.conv3d(
                w,
                self.bias.as_ref(),
                self.strides.as_slice(),
                sym.as_slice(),
                dil.as_slice(),
                1,
            ),
        };
        self.act.apply(&y).permute(to_channels_last(n).as_slice())
    }
    fn weights(&self) -> Vec<Weight> {
        let kernel = self.keras_kernel(&self.weight);
        Weight::kernel_and_bias(kernel, self.bias.as_ref())
    }
    fn params(&self) -> Vec<Tensor> {
        std::iter::once(&self.weight)
            .chain(&self.bias)
            .map(Tensor::shallow_clone)
            .collect()
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a ConvConfig is plain JSON")
    }
}
/// The builder options every convolution layer has (`strides`, `padding`, `activation`,
/// `use_bias`), for layer `$ty` with `$n` spatial axes, on its `inner` convolution: a
/// [`ConvSpec`] for `Conv1D/2D/3D`, a `DepthwiseSpec` for `DepthwiseConv2D` and
/// `SeparableConv2D`.
macro_rules! conv_options {
    ($ty:ident, $n:literal) => {
        impl $ty {
            /// The step between windows, one number or one per spatial axis (default 1).
            pub fn strides(mut self, strides: impl Into<SpatialDims<$n>>) -> Self {
                self.inner.config.strides =
                    $crate::layers::Dims::PerAxis(strides.into().0.to_vec());
                self
            }
            /// `"valid"` (default) or `"same"` (Keras's: any odd extra padding after).
            pub fn padding(mut self, padding: &str) -> Self {
                self.inner.config.padding = padding.to_string();
                self
            }
            /// The activation, by id or typed.
            pub fn activation(mut self, activation: impl Into<ActivationArg>) -> Self {
                self.inner.config.activation = activation.into().config_id();
                self
            }
            /// Whether to add a bias (default `true`).
            pub fn use_bias(mut self, use_bias: bool) -> Self {
                self.inner.config.use_bias = use_bias;
                self
            }
        }
    };
}
pub(super) use conv_options;

/// Declares one of `Conv1D/2D/3D` over [`ConvSpec`].
macro_rules! conv_layer {
    ($ty:ident, $n:literal, $doc:literal) => {
        #[doc = $doc]
        pub struct $ty {
            pub(crate) opts: LayerOpts,
            inner: ConvSpec,
        }
        layer_builder!($ty, spec);

        impl $ty {
            /// `filters` output channels, kernel size as one number or one per axis.
            pub fn new(filters: i64, kernel_size: impl Into<SpatialDims<$n>>) -> Self {
                $ty {
                    opts: LayerOpts::default(),
                    inner: ConvSpec::new(stringify!($ty), filters, kernel_size.into().0.to_vec()),
                }
            }
        }
        $crate::layers::conv_common::conv_options!($ty, $n);

        $crate::layers::delegate_layer_spec!($ty);
    };
}
pub(super) use conv_layer;

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn same_padding_and_strides() {
        let x = Tensor::ones([2, 7, 7, 3], (Kind::Float, Device::Cpu));
        let y = Conv2D::new(4, 3)
            .padding("same")
            .strides(2)
            .call(&x)
            .unwrap();
        assert_eq!(y.size(), vec![2, 4, 4, 4]);
        let y = Conv2D::new(4, 2).padding("same").call(&x).unwrap();
        assert_eq!(y.size(), vec![2, 7, 7, 4]);
        let y1 = Conv1D::new(5, 3)
            .call(&Tensor::ones([2, 10, 4], (Kind::Float, Device::Cpu)))
            .unwrap();
        assert_eq!(y1.size(), vec![2, 8, 5]);
        let y3 = Conv3D::new(2, 3)
            .call(&Tensor::ones([1, 5, 6, 7, 1], (Kind::Float, Device::Cpu)))
            .unwrap();
        assert_eq!(y3.size(), vec![1, 3, 4, 5, 2]);
    }

    #[test]
    fn conv2d_output_is_contiguous_channels_last() {
        // libtorch ran the channels-last kernels and returned that format: the NHWC output is
        // plain contiguous memory, so pooling, the next conv or Flatten copy nothing.
        let x = Tensor::rand([2, 9, 9, 3], (Kind::Float, Device::Cpu));
        let y = Conv2D::new(8, 3).padding("same").call(&x).unwrap();
        assert!(y.is_contiguous(), "strides {:?}", y.stride());
        let y = Conv2D::new(4, 2)
            .strides(2)
            .padding("same")
            .call(&y)
            .unwrap();
        assert!(
            y.is_contiguous(),
            "after uneven padding: strides {:?}",
            y.stride()
        );
    }

    #[test]
    fn conv1d_and_conv3d_by_hand() {
        let conv: Layer = Conv1D::new(1, 2).into();
        conv.build(&[4, 1], Device::Cpu).unwrap();
        let k = Tensor::from_slice(&[1f32, -2.]).view([2, 1, 1]);
        conv.set_weights(&[k, Tensor::from_slice(&[0.5f32])])
            .unwrap();
        let y = conv
            .call(&Tensor::from_slice(&[1f32, 2., 3., 5.]).view([1, 4, 1]))
            .unwrap();
        // y[i] = x[i] - 2 x[i+1] + 0.5
        assert_eq!(
            Vec::<f32>::try_from(y.view([-1])).unwrap(),
            vec![-2.5, -3.5, -6.5]
        );
        let c3: Layer = Conv3D::new(1, 2).use_bias(false).into();
        c3.build(&[2, 2, 2, 1], Device::Cpu).unwrap();
        c3.set_weights(&[Tensor::ones([2, 2, 2, 1, 1], (Kind::Float, Device::Cpu))])
            .unwrap();
        let x = Tensor::arange(8, (Kind::Float, Device::Cpu)).view([1, 2, 2, 2, 1]);
        assert_eq!(c3.call(&x).unwrap().double_value(&[0, 0, 0, 0, 0]), 28.0);
    }
}
