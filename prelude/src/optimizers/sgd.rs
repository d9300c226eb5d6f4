//! Keras's `SGD` optimizer (libtorch's fused SGD).

use crate::error::Result;
use tch::COptimizer;

/// Keras's `SGD`: learning rate 0.01, no momentum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SGD {
    /// Step size.
    pub learning_rate: f64,
    /// Momentum (0 = plain SGD).
    pub momentum: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}
impl Default for SGD {
    fn default() -> Self {
        SGD {
            learning_rate: 0.01,
            momentum: 0.0,
            nesterov: false,
        }
    }
}

impl SGD {
    /// libtorch's optimizer for this configuration.
    pub(crate) fn coptimizer(&self) -> Result<COptimizer> {
        Ok(COptimizer::sgd(
            self.learning_rate,
            self.momentum,
            0.0,
            0.0,
            self.nesterov,
        )?)
    }
}
