//! Keras's `SeparableConv2D` layer.

use super::conv_common::SpatialDims;
use super::depthwise_common::depthwise_options;
use super::depthwise_config::DepthwiseSpec;
use super::{layer_builder, LayerOpts};
use crate::activations::ActivationArg;
use crate::error::Result;
use serde_json::Value;

/// Keras's `SeparableConv2D`: a depthwise convolution (each input channel with its own
/// `depth_multiplier` filters) followed by a 1×1 pointwise convolution to `filters` channels.
///
/// Arguments: `filters`, `kernel_size` (one number or `(kh, kw)`); builder methods `strides`
/// (default 1), `padding` (`"valid"` or `"same"`), `depth_multiplier` (default 1),
/// `activation`, `use_bias` (default `true`). Input `(batch, h, w, in)` →
/// `(batch, h', w', filters)`; weights `depthwise_kernel (kh, kw, in, mult)`,
/// `pointwise_kernel (1, 1, in·mult, filters)` and `bias (filters,)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let m = Sequential::new().add(Input::new([8, 8, 16])).add(SeparableConv2D::new(32, (3, 3)));
/// assert_eq!(m.count_params(), 688);
/// ```
pub struct SeparableConv2D {
    pub(crate) opts: LayerOpts,
    inner: DepthwiseSpec,
}
layer_builder!(SeparableConv2D, spec);

impl SeparableConv2D {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(SeparableConv2D {
            opts: LayerOpts::default(),
            inner: DepthwiseSpec::from_config("SeparableConv2D", c)?,
        })
    }

    /// A separable convolution to `filters` channels with windows of `kernel_size`.
    pub fn new(filters: i64, kernel_size: impl Into<SpatialDims<2>>) -> Self {
        SeparableConv2D {
            opts: LayerOpts::default(),
            inner: DepthwiseSpec::new(Some(filters), kernel_size.into().0),
        }
    }
}

depthwise_options!(SeparableConv2D);

#[cfg(test)]
mod tests {
    use super::super::depthwise_common::{arange, run_with_weights};
    use crate::prelude::*;

    /// Keras 3.15, filters 3: depthwise arange(18) as (3, 3, 2, 1), pointwise arange(6) as
    /// (1, 1, 2, 3), bias 0, input arange(32) as (1, 4, 4, 2).
    #[test]
    fn matches_keras() {
        let x = arange(&[1, 4, 4, 2]);
        let bias = Tensor::zeros([3], (Kind::Float, Device::Cpu));
        let w = [arange(&[3, 3, 2, 1]), arange(&[1, 1, 2, 3]), bias];
        let (shape, y) = run_with_weights(SeparableConv2D::new(3, 3), &w, &x);
        assert_eq!(shape, vec![1, 2, 2, 3]);
        #[rustfmt::skip]
        let want = [3609., 5844., 8079., 4095., 6636., 9177., 5553., 9012., 12471., 6039.,
            9804., 13569.];
        assert_eq!(y, want);
        let (shape, y) = run_with_weights(SeparableConv2D::new(3, 3).padding("same"), &w, &x);
        assert_eq!(shape, vec![1, 4, 4, 3]);
        assert_eq!(y[..6], [1092., 1748., 2404., 1776., 2852., 3928.]);
        assert_eq!(y[42..], [2964., 4760., 6556., 1716., 2740., 3764.]);
    }

    /// Keras 3.15, filters 3, depth_multiplier 2: depthwise arange(36) as (3, 3, 2, 2),
    /// pointwise arange(12) as (1, 1, 4, 3), bias [1, 2, 3].
    #[test]
    fn matches_keras_depth_multiplier_2() {
        let x = arange(&[1, 4, 4, 2]);
        let bias = Tensor::from_slice(&[1f32, 2., 3.]);
        let w = [arange(&[3, 3, 2, 2]), arange(&[1, 1, 4, 3]), bias];
        let layer = || SeparableConv2D::new(3, 3).depth_multiplier(2);
        let (shape, y) = run_with_weights(layer(), &w, &x);
        assert_eq!(shape, vec![1, 2, 2, 3]);
        #[rustfmt::skip]
        let want = [43444., 52574., 61704., 49384., 59774., 70164., 67204., 81374., 95544.,
            73144., 88574., 104004.];
        assert_eq!(y, want);
        let (shape, y) = run_with_weights(layer().padding("same"), &w, &x);
        assert_eq!(shape, vec![1, 4, 4, 3]);
        assert_eq!(y[..6], [12949., 15618., 18287., 21151., 25534., 29917.]);
        assert_eq!(y[42..], [36271., 43750., 51229., 21109., 25410., 29711.]);
    }

    /// Keras: on (None, 8, 8, 16), `SeparableConv2D(32, (3,3))` has 688 parameters, with
    /// depth_multiplier 2 1,344; weights depthwise_kernel, pointwise_kernel, bias.
    #[test]
    fn keras_params_weights_and_config() {
        let l: Layer = SeparableConv2D::new(32, (3, 3)).into();
        assert_eq!(l.build(&[8, 8, 16], Device::Cpu).unwrap(), vec![6, 6, 32]);
        assert_eq!(l.count_params(), 688);
        let l2: Layer = SeparableConv2D::new(32, (3, 3)).depth_multiplier(2).into();
        assert_eq!(l2.build(&[8, 8, 16], Device::Cpu).unwrap(), vec![6, 6, 32]);
        assert_eq!(l2.count_params(), 1344);
        let w: Vec<_> = l2
            .named_weights()
            .iter()
            .map(|w| (w.name, w.value.size()))
            .collect();
        let want = vec![
            ("depthwise_kernel", vec![3, 3, 16, 2]),
            ("pointwise_kernel", vec![1, 1, 32, 32]),
            ("bias", vec![32]),
        ];
        assert_eq!(w, want);
        let c = l2.config()["config"].clone();
        let want = serde_json::json!({"filters": 32, "kernel_size": [3, 3], "strides": [1, 1],
            "padding": "valid", "depth_multiplier": 2, "activation": "linear", "use_bias": true});
        // Keras's options the builder set; the rest are Keras's defaults (see
        // tests/layers_keras_configs.rs).
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&c[k], v, "{k}");
        }
        assert_eq!(super::SeparableConv2D::from_config(&c).unwrap().config(), c);
    }

    #[test]
    fn small_input_names_layer_and_shapes() {
        let err = SeparableConv2D::new(4, 3)
            .name("sep")
            .call(&Tensor::zeros([1, 2, 8, 3], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "SeparableConv2D 'sep' expects images at least the kernel size [3, 3], got input of shape (None, 2, 8, 3)"
        );
    }
}
