//! Keras's `Concatenate` merge layer.

use super::merge_common::{Merge, MergeOp};
use super::{delegate_layer_kind, layer_builder, LayerKind, LayerOpts, Weight};
use crate::error::Result;
use serde_json::Value;
use tch::{Device, Tensor};

/// Keras's `Concatenate`: joins its inputs along `axis` (default `-1`, the last; counted as
/// Keras counts, with the batch axis as 0). The inputs must agree on every other axis.
///
/// Inputs `(batch, …, d_i)` → output `(batch, …, Σ d_i)` for the last axis.
///
/// ```
/// use ferrokeras::prelude::*;
/// let a = Input::new([4, 3]);
/// let b = Input::new([4, 3]);
/// assert_eq!(Concatenate::new().call(&[&a, &b]).unwrap().shape(), vec![4, 6]);
/// assert_eq!(Concatenate::new().axis(1).call(&[&a, &b]).unwrap().shape(), vec![8, 3]);
/// ```
pub struct Concatenate {
    pub(crate) opts: LayerOpts,
    inner: Merge,
}
layer_builder!(Concatenate);

impl Concatenate {
    /// Concatenation along the last axis.
    pub fn new() -> Self {
        Concatenate {
            opts: LayerOpts::default(),
            inner: Merge {
                op: MergeOp::Concatenate(-1),
            },
        }
    }

    /// The axis to join along (Keras's `axis=`, the batch axis being 0).
    pub fn axis(mut self, axis: i64) -> Self {
        self.inner.op = MergeOp::Concatenate(axis);
        self
    }

    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Concatenate {
            opts: LayerOpts::default(),
            inner: Merge::concatenate_from_config(c)?,
        })
    }
}

impl Default for Concatenate {
    fn default() -> Self {
        Self::new()
    }
}

delegate_layer_kind!(Concatenate);
