//! Keras's `padding` option, shared by convolution and pooling layers.

use crate::error::{Error, Result};

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
