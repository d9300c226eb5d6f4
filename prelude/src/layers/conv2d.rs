//! Keras's `Conv2D` layer.

use super::conv_common::{conv_layer, SpatialDims};
use super::conv_config::ConvSpec;
use super::{layer_builder, LayerOpts};
use crate::activations::ActivationArg;

conv_layer!(
    Conv2D,
    2,
    "Keras's `Conv2D`: input `(batch, h, w, channels)` → `(batch, h', w', filters)`; kernel \
     `(kh, kw, in, filters)`.\n\n```\nuse ferrokeras::prelude::*;\nlet m = Sequential::new().add(Input::new([32, 32, 3])).add(Conv2D::new(32, (3, 3)).activation(\"relu\"));\nassert_eq!(m.count_params(), 896);\n```"
);

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn vertical_edge_filter_on_5x5_image() {
        // Swedish notebook: a 5×5 image, dark left half, bright right, and a vertical-edge filter.
        let img = Tensor::from_slice(&[
            0f32, 0., 10., 10., 10., 0., 0., 10., 10., 10., 0., 0., 10., 10., 10., 0., 0., 10.,
            10., 10., 0., 0., 10., 10., 10.,
        ])
        .view([1, 5, 5, 1]);
        let filt =
            Tensor::from_slice(&[-1f32, 0., 1., -1., 0., 1., -1., 0., 1.]).view([3, 3, 1, 1]);
        let conv: Layer = Conv2D::new(1, 3).into();
        conv.build(&[5, 5, 1], Device::Cpu).unwrap();
        conv.set_weights(&[filt, Tensor::zeros([1], (Kind::Float, Device::Cpu))])
            .unwrap();
        let y = conv.call(&img).unwrap();
        assert_eq!(y.size(), vec![1, 3, 3, 1]);
        let got = Vec::<f32>::try_from(y.view([-1])).unwrap();
        assert_eq!(got, vec![30., 30., 0., 30., 30., 0., 30., 30., 0.]);
    }

    #[test]
    fn keras_param_counts() {
        let m = Sequential::new()
            .add(Input::new([100, 100, 3]))
            .add(Conv2D::new(32, (3, 3)).activation("relu"))
            .add(MaxPooling2D::new((2, 2)))
            .add(Conv2D::new(64, (3, 3)).activation("relu"));
        let layers = m.layers();
        m.build().unwrap();
        assert_eq!(layers[0].count_params(), 896);
        assert_eq!(layers[2].count_params(), 18_496);
        assert_eq!(layers[2].output_shape(), Some(vec![47, 47, 64]));
    }

    #[test]
    fn kernel_is_keras_layout() {
        let conv: Layer = Conv2D::new(8, (3, 5)).into();
        conv.build(&[10, 10, 2], Device::Cpu).unwrap();
        assert_eq!(conv.kernel().unwrap().size(), vec![3, 5, 2, 8]);
    }
}
