//! Keras's `AdamW` optimizer: Adam's update after decoupled weight decay, as Keras's base
//! optimizer applies `weight_decay` before each update.

use super::adam::{Adam, AdamState};
use super::param::Param;

/// Keras's `AdamW`: Adam with decoupled weight decay 0.004.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamW {
    /// Step size.
    pub learning_rate: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
    /// Decay of the first moment.
    pub beta_1: f64,
    /// Decay of the second moment.
    pub beta_2: f64,
    /// Numerical stability term.
    pub epsilon: f64,
}
impl Default for AdamW {
    fn default() -> Self {
        AdamW {
            learning_rate: 0.001,
            weight_decay: 0.004,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

impl AdamW {
    /// Adam's part of the rule.
    fn adam(&self) -> Adam {
        Adam {
            learning_rate: self.learning_rate,
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            epsilon: self.epsilon,
        }
    }

    /// One step: `w *= 1 − weight_decay·lr` for every weight with a gradient, then Adam's.
    pub(crate) fn step(&self, state: &mut AdamState, lr: f64, iteration: i64, params: &[Param]) {
        let keep = 1.0 - self.weight_decay * lr;
        tch::no_grad(|| {
            for p in params.iter().filter(|p| p.gradient().is_some()) {
                let _ = p.tensor.shallow_clone().g_mul_scalar_(keep);
            }
        });
        state.step(&self.adam(), lr, iteration, params);
    }
}
