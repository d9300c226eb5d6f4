//! Keras's `Conv3D` layer.

use super::conv_common::{conv_layer, ConvN, SpatialDims};
use super::{delegate_layer_kind, layer_builder, LayerKind, LayerOpts, Weight};
use crate::activations::ActivationArg;
use crate::error::Result;
use serde_json::Value;
use tch::{Device, Tensor};

conv_layer!(
    Conv3D,
    3,
    "Keras's `Conv3D`: input `(batch, d, h, w, channels)` → `(batch, d', h', w', filters)`."
);
