//! Keras's `Flatten` layer.

use super::config::read_config;
use super::keras_object::channels_last;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Tensor};

/// `Flatten`'s one option, as Keras 3 writes it (less `name`, `trainable`, `dtype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlattenConfig {
    /// The prelude is channels-last, as Keras's default.
    #[serde(default = "channels_last")]
    pub data_format: String,
}

impl Default for FlattenConfig {
    fn default() -> Self {
        FlattenConfig {
            data_format: channels_last(),
        }
    }
}

/// Keras's `Flatten`: `(batch, d1, d2, …)` → `(batch, d1·d2·…)`.
#[derive(Default)]
pub struct Flatten {
    pub(crate) opts: LayerOpts,
    config: FlattenConfig,
}
layer_builder!(Flatten);

impl Flatten {
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Flatten {
            opts: LayerOpts::default(),
            config: read_config("Flatten", c)?,
        })
    }
}

impl Flatten {
    /// A flatten layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl LayerKind for Flatten {
    fn class_name(&self) -> &'static str {
        "Flatten"
    }
    fn default_name(&self) -> &'static str {
        "flatten"
    }
    fn build(&mut self, _label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        Ok(vec![input.iter().product()])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x.flatten(1, -1)
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("a FlattenConfig is plain JSON")
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn flatten_keeps_the_batch_axis() {
        let x = Tensor::arange(24, (Kind::Float, Device::Cpu)).view([2, 3, 4]);
        assert_eq!(Flatten::new().call(&x).unwrap().size(), vec![2, 12]);
    }
}
