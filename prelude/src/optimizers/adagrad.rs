//! Keras's `Adagrad` optimizer, written with tensor ops.

use tch::Tensor;

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

impl Adagrad {
    /// The squared-gradient sums for `params`, starting at `initial_accumulator_value`.
    pub(crate) fn accumulators(&self, params: &[Tensor]) -> Vec<Tensor> {
        params
            .iter()
            .map(|p| {
                p.detach()
                    .zeros_like()
                    .fill_(self.initial_accumulator_value)
            })
            .collect()
    }

    /// One step: `accum += g²; p -= lr · g / sqrt(accum + epsilon)`.
    pub(crate) fn step(&self, params: &mut [Tensor], accum: &mut [Tensor]) {
        tch::no_grad(|| {
            for (p, a) in params.iter_mut().zip(accum.iter_mut()) {
                let g = p.grad();
                if !g.defined() || !p.requires_grad() {
                    continue;
                }
                let _ = a.addcmul_(&g, &g);
                let upd = &g / (&*a + self.epsilon).sqrt() * self.learning_rate;
                let _ = p.g_sub_(&upd);
            }
        })
    }
}
