//! Keras's `Conv3D` layer.

use super::conv_common::{conv_layer, SpatialDims};
use super::conv_config::ConvSpec;
use super::{layer_builder, LayerOpts};
use crate::activations::ActivationArg;

conv_layer!(
    Conv3D,
    3,
    "Keras's `Conv3D`: input `(batch, d, h, w, channels)` → `(batch, d', h', w', filters)`."
);
