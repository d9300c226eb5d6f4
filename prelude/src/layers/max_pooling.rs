//! Keras's `MaxPooling1D`, `MaxPooling2D` and `MaxPooling3D` layers.

use super::conv_common::SpatialDims;
use super::pooling_common::{pool_layer, PoolN};
use super::{delegate_layer_kind, layer_builder, LayerKind, LayerOpts, Weight};
use crate::error::Result;
use serde_json::Value;
use tch::{Device, Tensor};

pool_layer!(
    MaxPooling1D,
    1,
    true,
    "Keras's `MaxPooling1D`: `(batch, steps, channels)`."
);
pool_layer!(
    MaxPooling2D,
    2,
    true,
    "Keras's `MaxPooling2D`: `(batch, h, w, channels)` → `(batch, h / ph, w / pw, channels)`."
);
pool_layer!(
    MaxPooling3D,
    3,
    true,
    "Keras's `MaxPooling3D`: `(batch, d, h, w, channels)`."
);

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn max_pool_4x4_to_2x2() {
        let x = Tensor::from_slice(&[
            1f32, 3., 2., 1., 4., 6., 5., 0., 7., 2., 9., 8., 1., 0., 3., 4.,
        ])
        .view([1, 4, 4, 1]);
        let y = MaxPooling2D::new((2, 2)).call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 2, 2, 1]);
        assert_eq!(
            Vec::<f32>::try_from(y.view([-1])).unwrap(),
            vec![6., 5., 7., 9.]
        );
    }

    #[test]
    fn same_padding_pools_keep_ceil_size() {
        let x = Tensor::arange(25, (Kind::Float, Device::Cpu)).view([1, 5, 5, 1]);
        let y = MaxPooling2D::new(2).padding("same").call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 3, 3, 1]);
        assert_eq!(y.double_value(&[0, 2, 2, 0]), 24.0);
        let y1 = MaxPooling1D::new(2)
            .call(&Tensor::ones([2, 9, 3], (Kind::Float, Device::Cpu)))
            .unwrap();
        assert_eq!(y1.size(), vec![2, 4, 3]);
        let y3 = MaxPooling3D::new(2)
            .call(&Tensor::ones([1, 4, 4, 4, 2], (Kind::Float, Device::Cpu)))
            .unwrap();
        assert_eq!(y3.size(), vec![1, 2, 2, 2, 2]);
    }
}
