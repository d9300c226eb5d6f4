//! Keras's `padding` option and rebuilding layers from saved configurations.

use super::handle::LayerKind;
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

/// Builds a layer kind from its saved class name and `config`, by asking the layer's own
/// `from_config`. `None` for a class this table does not know (the model loader handles
/// nested `Sequential`/`Functional` models itself).
pub(crate) fn layer_kind_from_config(class: &str, c: &Value) -> Option<Result<Box<dyn LayerKind>>> {
    use super::*;
    use crate::preprocessing::random_layers::{RandomFlip, RandomRotation, RandomZoom};
    fn boxed<K: LayerKind + 'static>(k: Result<K>) -> Result<Box<dyn LayerKind>> {
        k.map(|k| Box::new(k) as Box<dyn LayerKind>)
    }
    Some(match class {
        "InputLayer" => boxed(input_layer::InputLayer::from_config(c)),
        "Dense" => boxed(Dense::from_config(c)),
        "Add" => boxed(Add::from_config(c)),
        "Subtract" => boxed(Subtract::from_config(c)),
        "Multiply" => boxed(Multiply::from_config(c)),
        "Average" => boxed(Average::from_config(c)),
        "Maximum" => boxed(Maximum::from_config(c)),
        "Minimum" => boxed(Minimum::from_config(c)),
        "Concatenate" => boxed(Concatenate::from_config(c)),
        "Activation" => boxed(Activation::from_config(c)),
        "Flatten" => boxed(Flatten::from_config(c)),
        "Dropout" => boxed(Dropout::from_config(c)),
        "Rescaling" => boxed(Rescaling::from_config(c)),
        "LeakyReLU" => boxed(LeakyReLU::from_config(c)),
        "Conv1D" | "Conv2D" | "Conv3D" => boxed(conv_common::ConvN::from_config(class, c)),
        "MaxPooling1D" | "MaxPooling2D" | "MaxPooling3D" | "AveragePooling2D" => {
            boxed(pooling_common::PoolN::from_config(class, c))
        }
        "GlobalAveragePooling2D" => boxed(GlobalAveragePooling2D::from_config(c)),
        "GlobalMaxPooling2D" => boxed(GlobalMaxPooling2D::from_config(c)),
        "DepthwiseConv2D" => boxed(DepthwiseConv2D::from_config(c)),
        "SeparableConv2D" => boxed(SeparableConv2D::from_config(c)),
        "ZeroPadding2D" => boxed(ZeroPadding2D::from_config(c)),
        "Cropping2D" => boxed(Cropping2D::from_config(c)),
        "UpSampling2D" => boxed(UpSampling2D::from_config(c)),
        "Reshape" => boxed(Reshape::from_config(c)),
        "Permute" => boxed(Permute::from_config(c)),
        "RepeatVector" => boxed(RepeatVector::from_config(c)),
        "ReLU" => boxed(ReLU::from_config(c)),
        "BatchNormalization" => boxed(BatchNormalization::from_config(c)),
        "Embedding" => boxed(Embedding::from_config(c)),
        "LSTM" => boxed(LSTM::from_config(c)),
        "RandomFlip" => boxed(RandomFlip::from_config(c)),
        "RandomRotation" => boxed(RandomRotation::from_config(c)),
        "RandomZoom" => boxed(RandomZoom::from_config(c)),
        _ => return None,
    })
}
