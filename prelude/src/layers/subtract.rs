//! Keras's `Subtract` merge layer.

use super::merge_common::{merge_layer, Merge, MergeOp};
use super::{delegate_layer_kind, layer_builder, LayerKind, LayerOpts, Weight};
use crate::error::Result;
use serde_json::Value;
use tch::{Device, Tensor};

merge_layer!(
    Subtract,
    Subtract,
    "Keras's `Subtract`: the first of its two inputs minus the second.\n\nInputs: a list of tensors of one shape `(batch, …)`; output: that shape.\n\n```\nuse ferrokeras::prelude::*;\nlet a = Tensor::from_slice(&[1.0f32, 2.0]).view([1, 2]);\nlet b = Tensor::from_slice(&[3.0f32, 4.0]).view([1, 2]);\nlet y = Subtract::new().call(&[&a, &b]).unwrap();\nassert_eq!(Vec::<f32>::try_from(y.view([-1])).unwrap(), vec![-2.0, -2.0]);\n```"
);
