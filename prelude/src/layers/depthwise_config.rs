//! The typed configs of `DepthwiseConv2D` ([`DepthwiseConfig`]) and `SeparableConv2D` (the
//! same plus [`PointwiseConfig`]), field for field as Keras 3's `get_config()` writes them,
//! and the spec that holds them until the first build (its `init` is in
//! `depthwise_common`).

use super::config::read_config;
use super::keras_object::{channels_last, linear, one, valid, yes, Dims, KerasObject};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn one_multiplier() -> i64 {
    1
}

/// `DepthwiseConv2D`'s options, and the depthwise half of `SeparableConv2D`'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthwiseConfig {
    /// Filters per input channel.
    #[serde(default = "one_multiplier")]
    pub depth_multiplier: i64,
    /// The window, one number or `[kh, kw]` (required).
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
    /// The activation's id.
    #[serde(default = "linear")]
    pub activation: String,
    /// Whether to add a bias.
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// How the depthwise kernel is drawn.
    #[serde(default = "KerasObject::glorot_uniform")]
    pub depthwise_initializer: KerasObject,
    /// How the bias is drawn.
    #[serde(default = "KerasObject::zeros")]
    pub bias_initializer: KerasObject,
    /// Kept for saving; not applied.
    pub depthwise_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub bias_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub activity_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub depthwise_constraint: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub bias_constraint: Option<KerasObject>,
}

/// What `SeparableConv2D` adds: the 1×1 pointwise convolution to `filters` channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointwiseConfig {
    /// Output channels (required).
    pub filters: i64,
    /// How the pointwise kernel is drawn.
    #[serde(default = "KerasObject::glorot_uniform")]
    pub pointwise_initializer: KerasObject,
    /// Kept for saving; not applied.
    pub pointwise_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub pointwise_constraint: Option<KerasObject>,
}

/// A `DepthwiseConv2D` (no `pointwise`) or `SeparableConv2D` not built yet.
pub(crate) struct DepthwiseSpec {
    pub(super) config: DepthwiseConfig,
    pub(super) pointwise: Option<PointwiseConfig>,
}

impl DepthwiseSpec {
    /// Keras's defaults; `filters` makes it a `SeparableConv2D`.
    pub(super) fn new(filters: Option<i64>, kernel_size: [i64; 2]) -> Self {
        DepthwiseSpec {
            config: DepthwiseConfig {
                depth_multiplier: 1,
                kernel_size: Dims::PerAxis(kernel_size.to_vec()),
                strides: Dims::PerAxis(vec![1, 1]),
                padding: valid(),
                data_format: channels_last(),
                dilation_rate: Dims::PerAxis(vec![1, 1]),
                activation: linear(),
                use_bias: true,
                depthwise_initializer: KerasObject::glorot_uniform(),
                bias_initializer: KerasObject::zeros(),
                depthwise_regularizer: None,
                bias_regularizer: None,
                activity_regularizer: None,
                depthwise_constraint: None,
                bias_constraint: None,
            },
            pointwise: filters.map(|filters| PointwiseConfig {
                filters,
                pointwise_initializer: KerasObject::glorot_uniform(),
                pointwise_regularizer: None,
                pointwise_constraint: None,
            }),
        }
    }

    /// The spec of a saved `DepthwiseConv2D` or `SeparableConv2D` config (`class` says
    /// which; `SeparableConv2D` requires `filters`).
    pub(crate) fn from_config(class: &str, c: &Value) -> Result<Self> {
        let mut config: DepthwiseConfig = read_config(class, c)?;
        config.kernel_size = Dims::PerAxis(config.kernel_size.expand(class, "kernel_size", 2)?);
        config.strides = Dims::PerAxis(config.strides.expand(class, "strides", 2)?);
        config.dilation_rate =
            Dims::PerAxis(config.dilation_rate.expand(class, "dilation_rate", 2)?);
        let pointwise = match class {
            "SeparableConv2D" => Some(read_config(class, c)?),
            _ => None,
        };
        Ok(DepthwiseSpec { config, pointwise })
    }

    pub(super) fn class(&self) -> &'static str {
        match self.pointwise {
            Some(_) => "SeparableConv2D",
            None => "DepthwiseConv2D",
        }
    }

    /// Keras's config: the depthwise options, and the pointwise ones of a `SeparableConv2D`.
    pub(super) fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(&self.config).expect("a DepthwiseConfig is plain JSON");
        if let (Some(p), Value::Object(o)) = (&self.pointwise, &mut v) {
            if let Ok(Value::Object(po)) = serde_json::to_value(p) {
                o.extend(po);
            }
        }
        v
    }
}

impl Clone for DepthwiseSpec {
    fn clone(&self) -> Self {
        DepthwiseSpec {
            config: self.config.clone(),
            pointwise: self.pointwise.clone(),
        }
    }
}
