//! Keras's `Input` and the `InputLayer` behind it.

use super::config::field;
use super::KerasTensor;
use super::{layer_shape_err, Layer, LayerKind, LayerOpts};
use crate::error::{keras_shape, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `Input`: the start of a functional model, or the first item of a `Sequential`.
///
/// A dimension of `-1` (Keras's `None`) takes any length, e.g. `Input::new([-1])` for
/// sequences of varying length.
///
/// ```
/// use ferrokeras::prelude::*;
/// let title = Input::with_name([10], "title");
/// assert_eq!(title.name(), "title");
/// assert_eq!(title.shape(), vec![10]);
/// assert!(title.is_input());
/// ```
pub struct Input;

impl Input {
    /// A symbolic input for examples of `shape` (without the batch axis): `[21]`,
    /// `[100, 100, 3]`; named `input_layer`, `input_layer_1`, …
    #[allow(clippy::new_ret_no_self)]
    pub fn new(shape: impl AsRef<[i64]>) -> KerasTensor {
        Self::make(shape.as_ref(), None)
    }

    /// [`Input::new`] with a name (Keras's `Input(shape, name="title")`), by which `fit`
    /// and `predict` can be given this input's data.
    pub fn with_name(shape: impl AsRef<[i64]>, name: impl Into<String>) -> KerasTensor {
        Self::make(shape.as_ref(), Some(name.into()))
    }

    fn make(shape: &[i64], name: Option<String>) -> KerasTensor {
        let layer = Layer::new(
            InputLayer {
                shape: shape.to_vec(),
            },
            LayerOpts {
                name,
                ..Default::default()
            },
        );
        KerasTensor::from_call(&layer, Vec::new(), shape.to_vec())
    }
}

/// Whether a batch's example shape `got` fits a declared `shape`, where `-1` takes any length.
pub(crate) fn shape_fits(shape: &[i64], got: &[i64]) -> bool {
    shape.len() == got.len() && shape.iter().zip(got).all(|(&s, &g)| s == -1 || s == g)
}

/// The layer of a model input: passes its input on, checking the shape.
pub(crate) struct InputLayer {
    shape: Vec<i64>,
}

impl InputLayer {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(InputLayer {
            shape: field("InputLayer", c, "shape")?,
        })
    }
}

impl LayerKind for InputLayer {
    fn class_name(&self) -> &'static str {
        "InputLayer"
    }
    fn default_name(&self) -> &'static str {
        "input_layer"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        if !shape_fits(&self.shape, input) {
            let mut full = vec![-1];
            full.extend(&self.shape);
            return Err(layer_shape_err(
                label,
                format!("shape {}", keras_shape(&full)),
                input,
            ));
        }
        Ok(self.shape.clone())
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x.shallow_clone()
    }
    fn config(&self) -> Value {
        json!({ "shape": self.shape })
    }
}
