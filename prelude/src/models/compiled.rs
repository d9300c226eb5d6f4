//! What `compile` stores in a model: the optimizer (and its state once bound to the
//! weights), the losses and the metrics. The trainer (the `trainers` module) reads and updates it.

use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optimizers::{OptimizerSpec, OptimizerState};

pub(crate) struct Compiled {
    pub spec: OptimizerSpec,
    /// The optimizer bound to the weights, after the first training step.
    pub state: Option<OptimizerState>,
    /// One loss for every output, or one per output.
    pub losses: Vec<Loss>,
    /// How much each output's loss counts in the total (Keras's `loss_weights`).
    pub loss_weights: Option<Vec<f64>>,
    pub metrics: Vec<Metric>,
}

impl Compiled {
    /// The settings without the optimizer's state (which stays with the trainer).
    pub fn settings(&self) -> Compiled {
        Compiled {
            spec: self.spec,
            state: None,
            losses: self.losses.clone(),
            loss_weights: self.loss_weights.clone(),
            metrics: self.metrics.clone(),
        }
    }
}
