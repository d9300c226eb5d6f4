//! Keras's `LSTM`, on libtorch's fused LSTM kernel (oneDNN's on the CPU, cuDNN's on a GPU),
//! or behind an `Embedding` on the CPU on the prelude's own (`backend::lstm_cpu`): its typed
//! config (the builder) and the built layer whose weights the first build creates.

use super::config::read_config;
use super::keras_object::{yes, KerasObject};
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts, LayerSpec, Lookup, Weight};
use crate::backend::lstm_cpu;
use crate::error::Result;
use crate::initializers::Initializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Kind, Tensor};

fn tanh() -> String {
    "tanh".to_string()
}
fn sigmoid() -> String {
    "sigmoid".to_string()
}

/// `LSTM`'s options, field for field as Keras 3 writes them (less `name`, `trainable`,
/// `dtype`). The loader refuses `return_state`, `go_backwards`, `stateful`, `unroll` and
/// activations other than tanh and sigmoid, which the fused kernel does not do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LSTMConfig {
    /// Whether the output is every step's (else the last step's).
    #[serde(default)]
    pub return_sequences: bool,
    /// Not implemented (always `false`).
    #[serde(default)]
    pub return_state: bool,
    /// Not implemented (always `false`).
    #[serde(default)]
    pub go_backwards: bool,
    /// Not implemented (always `false`).
    #[serde(default)]
    pub stateful: bool,
    /// Not implemented (always `false`).
    #[serde(default)]
    pub unroll: bool,
    /// Masking is not implemented.
    #[serde(default)]
    pub zero_output_for_mask: bool,
    /// Hidden units (required).
    pub units: i64,
    /// Only `tanh`.
    #[serde(default = "tanh")]
    pub activation: String,
    /// Only `sigmoid`.
    #[serde(default = "sigmoid")]
    pub recurrent_activation: String,
    /// Only `true` (the fused kernel always adds a bias).
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// How the input kernel is drawn.
    #[serde(default = "KerasObject::glorot_uniform")]
    pub kernel_initializer: KerasObject,
    /// How the recurrent kernel is drawn.
    #[serde(default = "KerasObject::orthogonal")]
    pub recurrent_initializer: KerasObject,
    /// How the bias is drawn (before `unit_forget_bias`).
    #[serde(default = "KerasObject::zeros")]
    pub bias_initializer: KerasObject,
    /// Whether the forget gate's bias starts at 1.
    #[serde(default = "yes")]
    pub unit_forget_bias: bool,
    /// Kept for saving; not applied.
    pub kernel_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub recurrent_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub bias_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub activity_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub kernel_constraint: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub recurrent_constraint: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub bias_constraint: Option<KerasObject>,
    /// Input dropout; not implemented (0).
    #[serde(default)]
    pub dropout: f64,
    /// Recurrent dropout; not implemented (0).
    #[serde(default)]
    pub recurrent_dropout: f64,
    /// The dropout seed.
    pub seed: Option<i64>,
}

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
    config: LSTMConfig,
}
layer_builder!(LSTM, spec);

impl LSTM {
    /// An LSTM with `units` hidden units.
    pub fn new(units: i64) -> Self {
        LSTM::from_typed(LSTMConfig {
            return_sequences: false,
            return_state: false,
            go_backwards: false,
            stateful: false,
            unroll: false,
            zero_output_for_mask: false,
            units,
            activation: tanh(),
            recurrent_activation: sigmoid(),
            use_bias: true,
            kernel_initializer: KerasObject::glorot_uniform(),
            recurrent_initializer: KerasObject::orthogonal(),
            bias_initializer: KerasObject::zeros(),
            unit_forget_bias: true,
            kernel_regularizer: None,
            recurrent_regularizer: None,
            bias_regularizer: None,
            activity_regularizer: None,
            kernel_constraint: None,
            recurrent_constraint: None,
            bias_constraint: None,
            dropout: 0.0,
            recurrent_dropout: 0.0,
            seed: None,
        })
    }
    /// The layer of a typed config.
    pub fn from_typed(config: LSTMConfig) -> Self {
        LSTM {
            opts: LayerOpts::default(),
            config,
        }
    }
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(LSTM::from_typed(read_config("LSTM", c)?))
    }
    /// Return the whole output sequence instead of the last step.
    pub fn return_sequences(mut self, yes: bool) -> Self {
        self.config.return_sequences = yes;
        self
    }
}

/// An error unless `input` is `(steps, features)`.
fn check_rank(label: &str, input: &[i64]) -> Result<()> {
    if input.len() != 2 {
        return Err(layer_shape_err(
            label,
            "3 dimensions (batch, steps, features)",
            input,
        ));
    }
    Ok(())
}

impl LayerSpec for LSTM {
    fn class_name(&self) -> &'static str {
        "LSTM"
    }
    fn default_name(&self) -> &'static str {
        "lstm"
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("an LSTMConfig is plain JSON")
    }
    fn init(&self, label: &str, inputs: &[Vec<i64>], device: Device) -> Result<Box<dyn LayerKind>> {
        let input = inputs.first().map(Vec::as_slice).unwrap_or_default();
        check_rank(label, input)?;
        let c = &self.config;
        let (feat, u) = (input[1], c.units);
        let k = c
            .kernel_initializer
            .initializer(Initializer::GlorotUniform)
            .make(&[feat, 4 * u], device);
        let r = c
            .recurrent_initializer
            .initializer(Initializer::Orthogonal)
            .make(&[u, 4 * u], device);
        let bias = c
            .bias_initializer
            .initializer(Initializer::Zeros)
            .make(&[4 * u], device);
        if c.unit_forget_bias {
            let _ = bias.narrow(0, u, u).fill_(1.0);
        }
        let built = BuiltLSTM {
            config: c.clone(),
            w_ih: k.tr().contiguous(),
            w_hh: r.tr().contiguous(),
            bias,
            zero_bias: Tensor::zeros([4 * u], (Kind::Float, device)),
        };
        if device.is_cuda() && tch::Cuda::cudnn_is_available() {
            // cuDNN wants the weights in one buffer (else it compacts and warns each call);
            // this moves them there in place, as tch's own LSTM does.
            let _ = Tensor::internal_cudnn_rnn_flatten_weight(
                &built.torch_params(),
                4,
                feat,
                2,
                u,
                0,
                1,
                true,
                false,
            );
        }
        Ok(Box::new(built))
    }
}

/// A built `LSTM`: its weights exist, in libtorch's layout.
struct BuiltLSTM {
    config: LSTMConfig,
    /// (4u, in).
    w_ih: Tensor,
    /// (4u, u).
    w_hh: Tensor,
    bias: Tensor,
    /// libtorch's second bias, which Keras does not have: zeros, never trained.
    zero_bias: Tensor,
}

impl BuiltLSTM {
    /// The four tensors libtorch's LSTM takes, in its order.
    fn torch_params(&self) -> [&Tensor; 4] {
        [&self.w_ih, &self.w_hh, &self.bias, &self.zero_bias]
    }
}

impl LayerKind for BuiltLSTM {
    fn class_name(&self) -> &'static str {
        "LSTM"
    }
    fn default_name(&self) -> &'static str {
        "lstm"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        check_rank(label, input)?;
        let built_for = self.w_ih.size()[1];
        if input[1] != built_for {
            let expected = format!("last axis {built_for}");
            return Err(layer_shape_err(label, expected, input));
        }
        let u = self.config.units;
        Ok(if self.config.return_sequences {
            vec![input[0], u]
        } else {
            vec![u]
        })
    }
    fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        let b = x.size()[0];
        let h0 = Tensor::zeros([1, b, self.config.units], (x.kind(), x.device()));
        let params = self.torch_params();
        let (out, h, _c) = x.lstm(&[&h0, &h0], &params, true, 1, 0.0, training, false, true);
        if self.config.return_sequences {
            out
        } else {
            h.squeeze_dim(0)
        }
    }
    fn forward_from_table(&self, lookup: &Lookup, _training: bool) -> Option<Tensor> {
        let Lookup { table, ids } = lookup;
        let tokens = ids.numel() as i64;
        // Projecting the table costs one row per vocabulary entry where the input projection
        // costs one per token: it pays while the vocabulary is smaller than the batch's
        // tokens (39 characters against 128 × 40 in the Shakespeare model).
        let pays = ids.dim() == 2 && ids.size()[1] > 0 && table.size()[0] <= tokens;
        let runs = lstm_cpu::supports(self.w_ih.device(), self.w_ih.kind())
            && lstm_cpu::supports(table.device(), table.kind());
        if !(pays && runs) {
            return None;
        }
        let gates = self.bias.addmm(table, &self.w_ih.tr());
        let out = lstm_cpu::lstm_from_table(&gates, ids, &self.w_hh);
        Some(if self.config.return_sequences {
            out
        } else {
            out.select(1, -1)
        })
    }
    fn weights(&self) -> Vec<Weight> {
        let weight = |name, value| Weight {
            name,
            value,
            trainable: true,
        };
        vec![
            weight("kernel", self.w_ih.tr()),
            weight("recurrent_kernel", self.w_hh.tr()),
            weight("bias", self.bias.shallow_clone()),
        ]
    }
    fn params(&self) -> Vec<Tensor> {
        [&self.w_ih, &self.w_hh, &self.bias]
            .map(Tensor::shallow_clone)
            .into()
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("an LSTMConfig is plain JSON")
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
