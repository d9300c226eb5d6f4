//! Keras's `Adam` optimizer (libtorch's fused Adam).

use crate::error::Result;
use tch::COptimizer;

/// Keras's `Adam`: learning rate 0.001, betas 0.9/0.999, epsilon 1e-7.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adam {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the first moment.
    pub beta_1: f64,
    /// Decay of the second moment.
    pub beta_2: f64,
    /// Numerical stability term.
    pub epsilon: f64,
}
impl Default for Adam {
    fn default() -> Self {
        Adam {
            learning_rate: 0.001,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

impl Adam {
    /// libtorch's optimizer for this configuration.
    pub(crate) fn coptimizer(&self) -> Result<COptimizer> {
        Ok(COptimizer::adam(
            self.learning_rate,
            self.beta_1,
            self.beta_2,
            0.0,
            self.epsilon,
            false,
        )?)
    }
}
