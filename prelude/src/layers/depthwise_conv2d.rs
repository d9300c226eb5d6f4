//! Keras's `DepthwiseConv2D` layer.

use super::conv_common::SpatialDims;
use super::depthwise_common::depthwise_options;
use super::depthwise_config::DepthwiseSpec;
use super::{layer_builder, LayerOpts};
use crate::activations::ActivationArg;
use crate::error::Result;
use serde_json::Value;

/// Keras's `DepthwiseConv2D`: each input channel convolved with its own `depth_multiplier`
/// filters (no mixing across channels), as in MobileNet.
///
/// Arguments: `kernel_size` (one number or `(kh, kw)`); builder methods `strides` (default
/// 1), `padding` (`"valid"` or `"same"`), `depth_multiplier` (default 1), `activation`,
/// `use_bias` (default `true`). Input `(batch, h, w, in)` → `(batch, h', w', in·mult)`, output
/// channel `c·mult + m` from input channel `c`; weights `kernel (kh, kw, in, mult)` and
/// `bias (in·mult,)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let m = Sequential::new().add(Input::new([8, 8, 16])).add(DepthwiseConv2D::new((3, 3)));
/// assert_eq!(m.count_params(), 160);
/// ```
pub struct DepthwiseConv2D {
    pub(crate) opts: LayerOpts,
    inner: DepthwiseSpec,
}
layer_builder!(DepthwiseConv2D, spec);

impl DepthwiseConv2D {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(DepthwiseConv2D {
            opts: LayerOpts::default(),
            inner: DepthwiseSpec::from_config("DepthwiseConv2D", c)?,
        })
    }

    /// A depthwise convolution with windows of `kernel_size`.
    pub fn new(kernel_size: impl Into<SpatialDims<2>>) -> Self {
        DepthwiseConv2D {
            opts: LayerOpts::default(),
            inner: DepthwiseSpec::new(None, kernel_size.into().0),
        }
    }
}

depthwise_options!(DepthwiseConv2D);

#[cfg(test)]
mod tests {
    use super::super::depthwise_common::{arange, run_with_weights};
    use crate::prelude::*;

    fn zeros(n: i64) -> Tensor {
        Tensor::zeros([n], (Kind::Float, Device::Cpu))
    }

    /// Keras 3.15: kernel arange(18) as (3, 3, 2, 1), bias 0, input arange(32) as (1, 4, 4, 2).
    #[test]
    fn matches_keras_valid_and_same() {
        let x = arange(&[1, 4, 4, 2]);
        let w = [arange(&[3, 3, 2, 1]), zeros(2)];
        let (shape, y) = run_with_weights(DepthwiseConv2D::new(3), &w, &x);
        assert_eq!(shape, vec![1, 2, 2, 2]);
        assert_eq!(
            y,
            vec![1032., 1203., 1176., 1365., 1608., 1851., 1752., 2013.]
        );
        let (shape, y) = run_with_weights(DepthwiseConv2D::new(3).padding("same"), &w, &x);
        assert_eq!(shape, vec![1, 4, 4, 2]);
        #[rustfmt::skip]
        let want = [292., 364., 484., 592., 616., 736., 412., 492., 684., 798., 1032., 1203.,
            1176., 1365., 744., 870., 1116., 1278., 1608., 1851., 1752., 2013., 1080., 1254.,
            556., 668., 748., 916., 808., 988., 452., 572.];
        assert_eq!(y, want);
    }

    /// Keras 3.15: "same" with stride 2 pads 0 before and 1 after on a 4-wide input, 1 and 1
    /// on a 5-wide one.
    #[test]
    fn matches_keras_same_stride2() {
        let w = [arange(&[3, 3, 2, 1]), zeros(2)];
        let layer = || DepthwiseConv2D::new(3).padding("same").strides(2);
        let (shape, y) = run_with_weights(layer(), &w, &arange(&[1, 4, 4, 2]));
        assert_eq!(shape, vec![1, 2, 2, 2]);
        assert_eq!(y, vec![1032., 1203., 744., 870., 748., 916., 452., 572.]);
        let (shape, y) = run_with_weights(layer(), &w, &arange(&[1, 5, 5, 2]));
        assert_eq!(shape, vec![1, 3, 3, 2]);
        #[rustfmt::skip]
        let want = [352., 428., 700., 826., 544., 636., 1380., 1566., 2112., 2409., 1380.,
            1590., 928., 1100., 1276., 1546., 736., 924.];
        assert_eq!(y, want);
    }

    /// Keras 3.15, depth_multiplier 2: kernel arange(36) as (3, 3, 2, 2), bias
    /// [0.5, -1, 2, 0]; output channel c·2 + m.
    #[test]
    fn matches_keras_depth_multiplier_2() {
        let w = [
            arange(&[3, 3, 2, 2]),
            Tensor::from_slice(&[0.5f32, -1., 2., 0.]),
        ];
        let x = arange(&[1, 4, 4, 2]);
        let (shape, y) = run_with_weights(DepthwiseConv2D::new(3).depth_multiplier(2), &w, &x);
        assert_eq!(shape, vec![1, 2, 2, 4]);
        #[rustfmt::skip]
        let want = [2064.5, 2153., 2408., 2505., 2352.5, 2459., 2732., 2847., 3216.5, 3377.,
            3704., 3873., 3504.5, 3683., 4028., 4215.];
        assert_eq!(y, want);
        let same = DepthwiseConv2D::new(3).depth_multiplier(2).padding("same");
        let (shape, y) = run_with_weights(same, &w, &x);
        assert_eq!(shape, vec![1, 4, 4, 4]);
        assert_eq!(
            y[..8],
            [584.5, 603., 730., 752., 968.5, 1003., 1186., 1226.]
        );
        assert_eq!(y[60..], [904.5, 1003., 1146., 1248.]);
    }

    /// Keras: on (None, 8, 8, 16), `DepthwiseConv2D((3,3))` has 160 parameters (kernel
    /// (3, 3, 16, 1), bias (16)); with depth_multiplier 2 and no bias 288 (kernel (3, 3, 16, 2)).
    #[test]
    fn keras_params_weights_and_config() {
        let l: Layer = DepthwiseConv2D::new((3, 3)).into();
        assert_eq!(l.build(&[8, 8, 16], Device::Cpu).unwrap(), vec![6, 6, 16]);
        assert_eq!(l.count_params(), 160);
        let w: Vec<_> = l
            .named_weights()
            .iter()
            .map(|w| (w.name, w.value.size()))
            .collect();
        assert_eq!(w, vec![("kernel", vec![3, 3, 16, 1]), ("bias", vec![16])]);
        let l2: Layer = DepthwiseConv2D::new(3)
            .depth_multiplier(2)
            .use_bias(false)
            .into();
        assert_eq!(l2.build(&[8, 8, 16], Device::Cpu).unwrap(), vec![6, 6, 32]);
        assert_eq!(l2.count_params(), 288);
        assert_eq!(l2.kernel().unwrap().size(), vec![3, 3, 16, 2]);
        let c = l2.config()["config"].clone();
        let want = serde_json::json!({"kernel_size": [3, 3], "strides": [1, 1],
            "padding": "valid", "depth_multiplier": 2, "activation": "linear", "use_bias": false});
        // Keras's options the builder set; the rest are Keras's defaults (see
        // tests/layers_keras_configs.rs).
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&c[k], v, "{k}");
        }
        assert_eq!(super::DepthwiseConv2D::from_config(&c).unwrap().config(), c);
    }

    #[test]
    fn wrong_channels_name_layer_and_shapes() {
        let l: Layer = DepthwiseConv2D::new(3).name("dw").into();
        l.build(&[8, 8, 16], Device::Cpu).unwrap();
        let err = l
            .call(&Tensor::zeros([1, 8, 8, 3], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "DepthwiseConv2D 'dw' expects 16 input channels, got input of shape (None, 8, 8, 3)"
        );
    }
}
