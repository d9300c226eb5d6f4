//! Keras's `Adagrad` optimizer, written with in-place tensor ops as Keras's torch backend
//! writes it (`keras/src/backend/torch/optimizers/torch_adagrad.py`).

use super::param::{Order, Param, Slots};

/// Keras's `Adagrad`: learning rate 0.001, initial accumulator 0.1, epsilon 1e-7.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adagrad {
    /// Step size.
    pub learning_rate: f64,
    /// Starting value of the squared-gradient sums.
    pub initial_accumulator_value: f64,
    /// Numerical stability term.
    pub epsilon: f64,
}
impl Default for Adagrad {
    fn default() -> Self {
        Adagrad {
            learning_rate: 0.001,
            initial_accumulator_value: 0.1,
            epsilon: 1e-7,
        }
    }
}

/// Adagrad's variables: an `accumulator` of squared gradients per weight, starting at
/// `initial_accumulator_value`.
pub(crate) struct AdagradState {
    accumulators: Slots,
}

impl AdagradState {
    pub fn new(cfg: &Adagrad, n: usize) -> AdagradState {
        AdagradState {
            accumulators: Slots::new("accumulator", cfg.initial_accumulator_value, n),
        }
    }

    /// One step: `acc += g²; w −= lr·g / √(acc + ε)`.
    pub fn step(&mut self, cfg: &Adagrad, lr: f64, params: &[Param]) {
        tch::no_grad(|| {
            for (i, p) in params.iter().enumerate() {
                let Some(g) = p.gradient() else { continue };
                let acc = self.accumulators.at(i, p);
                let _ = acc.addcmul_(&g, &g);
                if lr == 0.0 {
                    continue;
                }
                // w + g / (√(acc + ε) / −lr).
                let mut denom = acc.g_add_scalar(cfg.epsilon);
                let _ = denom.sqrt_();
                let _ = denom.g_div_scalar_(-lr);
                let _ = p.tensor.shallow_clone().addcdiv_(&g, &denom);
            }
        })
    }

    /// The variables in Keras's order.
    pub fn slots(&mut self) -> (Order, Vec<&mut Slots>) {
        (Order::Grouped, vec![&mut self.accumulators])
    }
}
