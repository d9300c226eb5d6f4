//! Keras's `LSTM`, on libtorch's fused LSTM kernel.

use super::config::field;
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts, Weight};
use crate::error::Result;
use crate::initializers::Initializer;
use serde_json::{json, Value};
use tch::{Device, Kind, Tensor};

/// Keras's `LSTM`: input `(batch, steps, features)` → `(batch, units)`, or
/// `(batch, steps, units)` with `return_sequences(true)`.
///
/// Weights in Keras layout: `kernel (features, 4·units)`, `recurrent_kernel (units,
/// 4·units)`, `bias (4·units)`, gates in Keras's order i, f, c, o; glorot-uniform kernel,
/// orthogonal recurrent kernel, forget-gate bias 1.
///
/// ```
/// use ferrokeras::prelude::*;
/// let m = Sequential::new().add(Input::new([40, 64])).add(LSTM::new(128));
/// assert_eq!(m.count_params(), 98_816);
/// ```
pub struct LSTM {
    pub(crate) opts: LayerOpts,
    units: i64,
    return_sequences: bool,
    /// (4u, in), torch layout.
    w_ih: Option<Tensor>,
    /// (4u, u), torch layout.
    w_hh: Option<Tensor>,
    bias: Option<Tensor>,
    zero_bias: Option<Tensor>,
}
layer_builder!(LSTM);

impl LSTM {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(
            LSTM::new(field("LSTM", c, "units")?).return_sequences(field(
                "LSTM",
                c,
                "return_sequences",
            )?),
        )
    }
}

impl LSTM {
    /// An LSTM with `units` hidden units.
    pub fn new(units: i64) -> Self {
        LSTM {
            opts: LayerOpts::default(),
            units,
            return_sequences: false,
            w_ih: None,
            w_hh: None,
            bias: None,
            zero_bias: None,
        }
    }
    /// Return the whole output sequence instead of the last step.
    pub fn return_sequences(mut self, yes: bool) -> Self {
        self.return_sequences = yes;
        self
    }
}

impl LayerKind for LSTM {
    fn class_name(&self) -> &'static str {
        "LSTM"
    }
    fn default_name(&self) -> &'static str {
        "lstm"
    }
    fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>> {
        if input.len() != 2 {
            return Err(layer_shape_err(
                label,
                "3 dimensions (batch, steps, features)",
                input,
            ));
        }
        let (steps, feat) = (input[0], input[1]);
        let u = self.units;
        match &self.w_ih {
            Some(w) if w.size()[1] != feat => {
                return Err(layer_shape_err(
                    label,
                    format!("last axis {}", w.size()[1]),
                    input,
                ))
            }
            Some(_) => {}
            None => {
                let k = Initializer::GlorotUniform.make(&[feat, 4 * u], device);
                let r = Initializer::Orthogonal.make(&[u, 4 * u], device);
                self.w_ih = Some(k.tr().contiguous());
                self.w_hh = Some(r.tr().contiguous());
                let b = Tensor::zeros([4 * u], (Kind::Float, device));
                let _ = b.narrow(0, u, u).fill_(1.0);
                self.bias = Some(b);
                self.zero_bias = Some(Tensor::zeros([4 * u], (Kind::Float, device)));
                if device.is_cuda() && tch::Cuda::cudnn_is_available() {
                    // cuDNN wants the weights in one buffer (else it compacts and warns each
                    // call); this moves them there in place, as tch's own LSTM does.
                    let flat: Vec<&Tensor> = [&self.w_ih, &self.w_hh, &self.bias, &self.zero_bias]
                        .into_iter()
                        .flatten()
                        .collect();
                    let _ = Tensor::internal_cudnn_rnn_flatten_weight(
                        &flat, 4, feat, 2, u, 0, 1, true, false,
                    );
                }
            }
        }
        Ok(if self.return_sequences {
            vec![steps, u]
        } else {
            vec![u]
        })
    }
    fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        let b = x.size()[0];
        let h0 = Tensor::zeros([1, b, self.units], (x.kind(), x.device()));
        let params = [
            self.w_ih.as_ref().expect("built"),
            self.w_hh.as_ref().expect("built"),
            self.bias.as_ref().expect("built"),
            self.zero_bias.as_ref().expect("built"),
        ];
        let (out, h, _c) = x.lstm(&[&h0, &h0], &params, true, 1, 0.0, training, false, true);
        if self.return_sequences {
            out
        } else {
            h.squeeze_dim(0)
        }
    }
    fn weights(&self) -> Vec<Weight> {
        match (&self.w_ih, &self.w_hh, &self.bias) {
            (Some(i), Some(h), Some(b)) => vec![
                Weight {
                    name: "kernel",
                    value: i.tr(),
                    trainable: true,
                },
                Weight {
                    name: "recurrent_kernel",
                    value: h.tr(),
                    trainable: true,
                },
                Weight {
                    name: "bias",
                    value: b.shallow_clone(),
                    trainable: true,
                },
            ],
            _ => Vec::new(),
        }
    }
    fn params(&self) -> Vec<Tensor> {
        [&self.w_ih, &self.w_hh, &self.bias]
            .into_iter()
            .flatten()
            .map(Tensor::shallow_clone)
            .collect()
    }
    fn config(&self) -> Value {
        json!({"units": self.units, "return_sequences": self.return_sequences})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn matches_a_hand_written_step() {
        let lstm: Layer = LSTM::new(3).return_sequences(true).into();
        let x = Tensor::randn([2, 1, 4], (Kind::Float, Device::Cpu));
        let y = lstm.call(&x).unwrap();
        assert_eq!(y.size(), vec![2, 1, 3]);
        // one step from zero state: c = i*g, h = o*tanh(c) with z = x·K + b (Keras gate order i,f,c,o)
        let w = lstm.weights();
        let z = x.squeeze_dim(1).matmul(&w[0]) + &w[2];
        let gates = z.chunk(4, -1);
        let c = gates[0].sigmoid() * gates[2].tanh();
        let h = gates[3].sigmoid() * c.tanh();
        let diff = (h - y.squeeze_dim(1)).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "{diff}");
        let last = LSTM::new(5)
            .call(&Tensor::randn([2, 7, 4], (Kind::Float, Device::Cpu)))
            .unwrap();
        assert_eq!(last.size(), vec![2, 5]);
    }
}
