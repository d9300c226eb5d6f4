//! Keras's `AveragePooling2D` layer.

use super::conv_common::SpatialDims;
use super::pooling_common::{pool_layer, PoolN};
use super::{delegate_layer_kind, layer_builder, LayerKind, LayerOpts, Weight};
use crate::error::Result;
use serde_json::Value;
use tch::{Device, Tensor};

pool_layer!(
    AveragePooling2D,
    2,
    false,
    "Keras's `AveragePooling2D`: the mean of each window, channels-last."
);

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn average_pool_4x4_to_2x2() {
        let x = Tensor::from_slice(&[
            1f32, 3., 2., 1., 4., 6., 5., 0., 7., 2., 9., 8., 1., 0., 3., 4.,
        ])
        .view([1, 4, 4, 1]);
        let a = AveragePooling2D::new(2).call(&x).unwrap();
        assert_eq!(
            Vec::<f32>::try_from(a.view([-1])).unwrap(),
            vec![3.5, 2., 2.5, 6.]
        );
    }
}
