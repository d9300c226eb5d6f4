//! Keras's `Conv1D` layer.

use super::conv_common::{conv_layer, SpatialDims};
use super::conv_config::ConvSpec;
use super::{layer_builder, LayerOpts};
use crate::activations::ActivationArg;

conv_layer!(
    Conv1D,
    1,
    "Keras's `Conv1D`: input `(batch, steps, channels)` → `(batch, new_steps, filters)`."
);
