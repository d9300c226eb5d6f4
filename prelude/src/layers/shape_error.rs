//! The error every layer kind reports for an input of the wrong shape, Keras-style.

use crate::error::{keras_shape, Error};

/// The error for an input of the wrong shape.
pub(crate) fn layer_shape_err(label: &str, expected: impl Into<String>, input: &[i64]) -> Error {
    let mut full = vec![-1];
    full.extend_from_slice(input);
    Error::Shape {
        layer: label.to_string(),
        expected: expected.into(),
        got: keras_shape(&full),
    }
}
