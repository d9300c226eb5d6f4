//! What the channels-last image layers (`ZeroPadding2D`, `Cropping2D`, `UpSampling2D`,
//! `GlobalMaxPooling2D`, `DepthwiseConv2D`, `SeparableConv2D`) share: the input check and
//! Keras's per-side margins.

use super::keras_object::channels_last;
use super::layer_shape_err;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The options of `GlobalAveragePooling2D` and `GlobalMaxPooling2D`, as Keras 3 writes them
/// (less `name`, `trainable`, `dtype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalPoolingConfig {
    /// The prelude is channels-last, as Keras's default.
    #[serde(default = "channels_last")]
    pub data_format: String,
    /// Whether the spatial axes stay (as size 1).
    #[serde(default)]
    pub keepdims: bool,
}

impl Default for GlobalPoolingConfig {
    fn default() -> Self {
        GlobalPoolingConfig {
            data_format: channels_last(),
            keepdims: false,
        }
    }
}

/// `[h, w, channels]` of one example, or the shape error that names the layer and the input.
pub(super) fn image_dims(label: &str, input: &[i64]) -> Result<[i64; 3]> {
    match *input {
        [h, w, c] => Ok([h, w, c]),
        _ => Err(layer_shape_err(
            label,
            "4 dimensions (batch, h, w, channels)",
            input,
        )),
    }
}

/// Rows and columns added (`ZeroPadding2D`) or removed (`Cropping2D`) on each side, as Keras
/// writes them: `((top, bottom), (left, right))`. From one number (every side), a pair
/// `(rows, columns)` (the same on both sides of each axis) or the full pair of pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Margins2D(pub [[i64; 2]; 2]);

impl From<i64> for Margins2D {
    fn from(v: i64) -> Self {
        Margins2D([[v, v], [v, v]])
    }
}
impl From<(i64, i64)> for Margins2D {
    fn from((h, w): (i64, i64)) -> Self {
        Margins2D([[h, h], [w, w]])
    }
}
impl From<((i64, i64), (i64, i64))> for Margins2D {
    fn from(((t, b), (l, r)): ((i64, i64), (i64, i64))) -> Self {
        Margins2D([[t, b], [l, r]])
    }
}
impl From<[[i64; 2]; 2]> for Margins2D {
    fn from(v: [[i64; 2]; 2]) -> Self {
        Margins2D(v)
    }
}

impl Margins2D {
    /// `(before, after)` for the height and the width axes.
    pub(super) fn pairs(&self) -> [(i64, i64); 2] {
        let [[t, b], [l, r]] = self.0;
        [(t, b), (l, r)]
    }

    /// How Keras prints it: `((1, 2), (3, 4))`.
    pub(super) fn keras_repr(&self) -> String {
        let [[t, b], [l, r]] = self.0;
        format!("(({t}, {b}), ({l}, {r}))")
    }

    /// [`Margins2D::pairs`], or the error naming layer `label` and its argument `what`
    /// (`"padding"`, `"cropping"`) when a margin is negative.
    pub(super) fn checked_pairs(&self, label: &str, what: &str) -> Result<[(i64, i64); 2]> {
        if self.0.iter().flatten().any(|&p| p < 0) {
            return Err(Error::InvalidArgument(format!(
                "{label}: {what} must not be negative, got {}",
                self.keras_repr()
            )));
        }
        Ok(self.pairs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_from_keras_forms() {
        assert_eq!(Margins2D::from(1).0, [[1, 1], [1, 1]]);
        assert_eq!(Margins2D::from((1, 2)).0, [[1, 1], [2, 2]]);
        assert_eq!(Margins2D::from(((1, 2), (3, 4))).pairs(), [(1, 2), (3, 4)]);
        assert_eq!(
            Margins2D::from([[1, 2], [3, 4]]).keras_repr(),
            "((1, 2), (3, 4))"
        );
    }

    #[test]
    fn negative_margins_are_an_error_naming_layer_and_argument() {
        let ok = Margins2D::from((1, 2)).checked_pairs("zp", "padding");
        assert_eq!(ok.unwrap(), [(1, 1), (2, 2)]);
        let err = Margins2D::from(((1, -2), (0, 0)))
            .checked_pairs("Cropping2D 'crop'", "cropping")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Cropping2D 'crop': cropping must not be negative, got ((1, -2), (0, 0))"),
            "{err}"
        );
    }
}
