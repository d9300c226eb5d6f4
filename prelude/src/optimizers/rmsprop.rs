//! Keras's `RMSprop` optimizer (libtorch's fused RMSprop).

use crate::error::Result;
use tch::COptimizer;

/// Keras's `RMSprop`: learning rate 0.001, rho 0.9, epsilon 1e-7.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RMSprop {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the squared-gradient average.
    pub rho: f64,
    /// Momentum.
    pub momentum: f64,
    /// Numerical stability term.
    pub epsilon: f64,
    /// Centered variant.
    pub centered: bool,
}
impl Default for RMSprop {
    fn default() -> Self {
        RMSprop {
            learning_rate: 0.001,
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
        }
    }
}

impl RMSprop {
    /// libtorch's optimizer for this configuration.
    pub(crate) fn coptimizer(&self) -> Result<COptimizer> {
        Ok(COptimizer::rms_prop(
            self.learning_rate,
            self.rho,
            self.epsilon,
            0.0,
            self.momentum,
            self.centered,
        )?)
    }
}
