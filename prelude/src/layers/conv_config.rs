//! The typed config of `Conv1D`, `Conv2D` and `Conv3D` ([`ConvConfig`], field for field as
//! Keras 3's `get_config()` writes it) and the spec that holds it until the first build
//! (its `init`, which makes the built convolution, is in `conv_common`).

use super::config::read_config;
use super::keras_object::{channels_last, linear, one, valid, yes, Dims, KerasObject};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn one_group() -> i64 {
    1
}

/// A convolution's options, as Keras 3 writes them (less `name`, `trainable`, `dtype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvConfig {
    /// Output channels (required).
    pub filters: i64,
    /// The window, one number or one per spatial axis (required).
    pub kernel_size: Dims,
    /// The step between windows.
    #[serde(default = "one")]
    pub strides: Dims,
    /// `valid` or `same`.
    #[serde(default = "valid")]
    pub padding: String,
    /// The prelude is channels-last, as Keras's default.
    #[serde(default = "channels_last")]
    pub data_format: String,
    /// Only 1 (the loader refuses others).
    #[serde(default = "one")]
    pub dilation_rate: Dims,
    /// Only 1 (the loader refuses others).
    #[serde(default = "one_group")]
    pub groups: i64,
    /// The activation's id.
    #[serde(default = "linear")]
    pub activation: String,
    /// Whether to add a bias.
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// How the kernel is drawn.
    #[serde(default = "KerasObject::glorot_uniform")]
    pub kernel_initializer: KerasObject,
    /// How the bias is drawn.
    #[serde(default = "KerasObject::zeros")]
    pub bias_initializer: KerasObject,
    /// Kept for saving; not applied.
    pub kernel_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub bias_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub activity_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub kernel_constraint: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub bias_constraint: Option<KerasObject>,
}

/// A `Conv1D/2D/3D` not built yet: its class and typed config, sizes one per axis (as
/// Keras writes them).
pub(crate) struct ConvSpec {
    pub(super) class: &'static str,
    pub(super) config: ConvConfig,
}

impl ConvSpec {
    /// Keras's defaults for `filters` outputs and a kernel of one size per axis.
    pub(super) fn new(class: &'static str, filters: i64, kernel_size: Vec<i64>) -> Self {
        let n = kernel_size.len();
        ConvSpec {
            class,
            config: ConvConfig {
                filters,
                kernel_size: Dims::PerAxis(kernel_size),
                strides: Dims::PerAxis(vec![1; n]),
                padding: valid(),
                data_format: channels_last(),
                dilation_rate: Dims::PerAxis(vec![1; n]),
                groups: 1,
                activation: linear(),
                use_bias: true,
                kernel_initializer: KerasObject::glorot_uniform(),
                bias_initializer: KerasObject::zeros(),
                kernel_regularizer: None,
                bias_regularizer: None,
                activity_regularizer: None,
                kernel_constraint: None,
                bias_constraint: None,
            },
        }
    }

    /// The spec of a saved `Conv1D/2D/3D` config: `filters` and `kernel_size` are required
    /// (an error names the class and the option), sizes given as one number are spread over
    /// the class's axes.
    pub(crate) fn from_config(class: &str, c: &Value) -> Result<ConvSpec> {
        let (class, n): (&'static str, usize) = match class {
            "Conv1D" => ("Conv1D", 1),
            "Conv2D" => ("Conv2D", 2),
            _ => ("Conv3D", 3),
        };
        let mut config: ConvConfig = read_config(class, c)?;
        config.kernel_size = Dims::PerAxis(config.kernel_size.expand(class, "kernel_size", n)?);
        config.strides = Dims::PerAxis(config.strides.expand(class, "strides", n)?);
        config.dilation_rate =
            Dims::PerAxis(config.dilation_rate.expand(class, "dilation_rate", n)?);
        Ok(ConvSpec { class, config })
    }

    /// The spatial axes (1, 2 or 3).
    pub(super) fn n(&self) -> usize {
        match self.class {
            "Conv1D" => 1,
            "Conv2D" => 2,
            _ => 3,
        }
    }
}
