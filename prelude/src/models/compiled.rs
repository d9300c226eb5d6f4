//! What `compile` stores in a model: the optimizer (and its state once bound to the
//! weights), the losses and the metrics. The trainer (the `trainers` module) reads and updates it.

use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optimizers::{OptimizerSpec, OptimizerState};
use std::cell::RefCell;
use std::rc::Rc;

/// The optimizer bound to the weights (after the first training step or a loaded file's
/// variables), shared by the model and a running `fit`, so that a callback saving the model
/// saves the optimizer as it is.
pub(crate) type SharedState = Rc<RefCell<Option<OptimizerState>>>;

pub(crate) struct Compiled {
    pub spec: OptimizerSpec,
    pub state: SharedState,
    /// One loss for every output, or one per output.
    pub losses: Vec<Loss>,
    /// How much each output's loss counts in the total (Keras's `loss_weights`).
    pub loss_weights: Option<Vec<f64>>,
    pub metrics: Vec<Metric>,
    /// Metrics weighted by the sample weights (Keras's `weighted_metrics`).
    pub weighted_metrics: Vec<Metric>,
}

impl Compiled {
    /// Compile settings with an optimizer not yet bound.
    pub fn new(
        spec: OptimizerSpec,
        losses: Vec<Loss>,
        loss_weights: Option<Vec<f64>>,
        metrics: Vec<Metric>,
        weighted_metrics: Vec<Metric>,
    ) -> Compiled {
        Compiled {
            spec,
            state: SharedState::default(),
            losses,
            loss_weights,
            metrics,
            weighted_metrics,
        }
    }

    /// A copy of the settings sharing the optimizer's state (what stays in the model while
    /// `fit` holds the compile state).
    pub fn settings(&self) -> Compiled {
        Compiled {
            spec: self.spec,
            state: Rc::clone(&self.state),
            losses: self.losses.clone(),
            loss_weights: self.loss_weights.clone(),
            metrics: self.metrics.clone(),
            weighted_metrics: self.weighted_metrics.clone(),
        }
    }
}
