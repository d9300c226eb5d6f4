//! Keras's `AdamW` optimizer (libtorch's fused AdamW).

use crate::error::Result;
use tch::COptimizer;

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
    /// libtorch's optimizer for this configuration.
    pub(crate) fn coptimizer(&self) -> Result<COptimizer> {
        Ok(COptimizer::adamw(
            self.learning_rate,
            self.beta_1,
            self.beta_2,
            self.weight_decay,
            self.epsilon,
            false,
        )?)
    }
}
