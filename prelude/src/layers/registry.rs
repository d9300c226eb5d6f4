//! Keras's `padding` option and rebuilding layers from saved configurations.

use super::handle::Layer;
use crate::error::{Error, Result};
use serde_json::Value;

/// Keras's `padding` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Padding {
    /// No padding: the output shrinks by `kernel - 1`.
    Valid,
    /// Zero padding so that the output is `ceil(input / stride)`.
    Same,
}

impl Padding {
    pub(crate) fn parse(id: &str) -> Result<Padding> {
        match id {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            _ => Err(Error::UnknownId {
                kind: "padding",
                got: id.to_string(),
                valid: vec!["valid", "same"],
            }),
        }
    }

    /// Output length and `(pad_before, pad_after)` for one spatial axis.
    pub(crate) fn out_len(&self, input: i64, kernel: i64, stride: i64) -> (i64, i64, i64) {
        match self {
            Padding::Valid => ((input - kernel) / stride + 1, 0, 0),
            Padding::Same => {
                let out = (input + stride - 1) / stride;
                let total = ((out - 1) * stride + kernel - input).max(0);
                (out, total / 2, total - total / 2)
            }
        }
    }

    /// `(pad_before, pad_after)` for each spatial axis of a channels-first `size`
    /// `(batch, channels, spatial…)` under windows of `kernel` moved by `strides`.
    pub(crate) fn pads(&self, size: &[i64], kernel: &[i64], strides: &[i64]) -> Vec<(i64, i64)> {
        (0..kernel.len())
            .map(|i| {
                let (_, before, after) = self.out_len(size[2 + i], kernel[i], strides[i]);
                (before, after)
            })
            .collect()
    }
}

/// Per-axis `(before, after)` pads in the order libtorch's `pad` and `constant_pad_nd` take
/// them: pairs from the last axis backwards.
pub(crate) fn torch_pad_order(pads: &[(i64, i64)]) -> Vec<i64> {
    pads.iter().rev().flat_map(|&(b, a)| [b, a]).collect()
}

/// Rebuilds a layer from [`Layer::config`] (used by `load_model`).
pub(crate) fn build_layer_from_config(v: &Value) -> Result<Layer> {
    let class = v["class_name"].as_str().unwrap_or_default();
    let c = &v["config"];
    let opts = LayerOpts {
        name: v["name"].as_str().map(str::to_string),
        input_shape: serde_json::from_value(v["input_shape"].clone())
            .ok()
            .flatten(),
        trainable: v["trainable"].as_bool(),
    };
    let bad = |what: &str| Error::InvalidArgument(format!("saved layer config of {class}: {what}"));
    macro_rules! field {
        ($name:literal) => {
            serde_json::from_value(c[$name].clone()).map_err(|e| bad(&format!("{}: {e}", $name)))?
        };
    }
    use super::*;
    use crate::preprocessing::random_layers;
    let layer = match class {
        "Dense" => Layer::new(
            dense::Dense::from_parts(field!("units"), field!("activation"), field!("use_bias")),
            opts,
        ),
        "Activation" => Layer::new(
            activation::Activation::from_parts(field!("activation")),
            opts,
        ),
        "Flatten" => Layer::new(Flatten::new(), opts),
        "Dropout" => Layer::new(Dropout::new(field!("rate")), opts),
        "Rescaling" => Layer::new(Rescaling::new(field!("scale"), field!("offset")), opts),
        "LeakyReLU" => Layer::new(
            LeakyReLU::new().negative_slope(field!("negative_slope")),
            opts,
        ),
        "Conv1D" | "Conv2D" | "Conv3D" => {
            Layer::new(conv_common::ConvN::from_config(class, c)?, opts)
        }
        "MaxPooling1D" | "MaxPooling2D" | "MaxPooling3D" | "AveragePooling2D" => {
            Layer::new(pooling_common::PoolN::from_config(class, c)?, opts)
        }
        "GlobalAveragePooling2D" => Layer::new(GlobalAveragePooling2D::new(), opts),
        "BatchNormalization" => Layer::new(
            BatchNormalization::new()
                .momentum(field!("momentum"))
                .epsilon(field!("epsilon")),
            opts,
        ),
        "Embedding" => Layer::new(
            Embedding::new(field!("input_dim"), field!("output_dim")),
            opts,
        ),
        "LSTM" => Layer::new(
            LSTM::new(field!("units")).return_sequences(field!("return_sequences")),
            opts,
        ),
        "RandomFlip" => Layer::new(random_layers::RandomFlip::from_config(c)?, opts),
        "RandomRotation" => Layer::new(random_layers::RandomRotation::from_config(c)?, opts),
        "RandomZoom" => Layer::new(random_layers::RandomZoom::from_config(c)?, opts),
        "Sequential" | "Functional" => {
            let model = crate::models::model_from_architecture(c)?;
            let layer = Layer::from(model);
            if opts.trainable == Some(false) {
                layer.set_trainable(false);
            }
            layer
        }
        _ => return Err(bad("unknown layer class")),
    };
    Ok(layer)
}
