//! Keras's `Conv1D` layer.

use super::conv_common::{conv_layer, ConvN, SpatialDims};
use super::{delegate_layer_kind, layer_builder, LayerKind, LayerOpts, Weight};
use crate::activations::ActivationArg;
use crate::error::Result;
use serde_json::Value;
use tch::{Device, Tensor};

conv_layer!(
    Conv1D,
    1,
    "Keras's `Conv1D`: input `(batch, steps, channels)` → `(batch, new_steps, filters)`."
);
