//! Overriding what `fit` does with each batch: Keras's "Customizing what happens in `fit()`".

use super::objective::Objective;
use crate::callbacks::EpochLogs;
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
use crate::optimizers::{apply_gradients, OptimizerState};
use tch::Tensor;

/// A training step of your own, which `fit` calls for each batch instead of its own: Keras's
/// overridden `Model.train_step(data)`. `fit` keeps the rest — epochs, shuffling,
/// validation, callbacks, the progress bar and the `History` of what the step returns.
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::callbacks::EpochLogs;
///
/// /// The guide's custom step: forward, compiled loss, gradients, compiled optimizer,
/// /// metrics of its own.
/// struct CustomStep { loss_tracker: Mean, mae_metric: MeanMetricWrapper }
/// impl TrainStep for CustomStep {
///     fn train_step(&mut self, data: &mut StepContext) -> Result<EpochLogs> {
///         let tape = GradientTape::new();
///         let y_pred = data.call_training()?;
///         let loss = data.compute_loss(&y_pred)?;
///         let weights = data.model().trainable_weights();
///         let grads = tape.gradient(&loss, &weights)?;
///         data.apply_gradients(&grads, &weights)?;
///         self.loss_tracker.update_state(&loss);
///         self.mae_metric.update_state(data.y(), &y_pred);
///         Ok(EpochLogs::from([
///             ("loss".to_string(), self.loss_tracker.result()),
///             ("mae".to_string(), self.mae_metric.result()),
///         ]))
///     }
///     fn reset_metrics(&mut self) {
///         self.loss_tracker.reset_state();
///         self.mae_metric.reset_state();
///     }
/// }
///
/// # fn main() -> ferrokeras::Result<()> {
/// let x = Tensor::rand([64, 4], (Kind::Float, Device::Cpu));
/// let y = x.sum_dim_intlist(1, true, Kind::Float);
/// let model = Sequential::new().add(Input::new([4])).add(Dense::new(1));
/// model.compile("adam", "mse", ())?;
/// let step = CustomStep { loss_tracker: Mean::new("loss"), mae_metric: MeanMetricWrapper::new("mae")? };
/// let history = model.fit(&x, &y, Fit { epochs: 2, verbose: 0, ..Default::default() }.train_step(step))?;
/// assert_eq!(history.keys(), ["loss", "mae"]);
/// # Ok(())
/// # }
/// ```
pub trait TrainStep {
    /// One step on the batch in `data`; returns the values to log (Keras's
    /// `{m.name: m.result() for m in self.metrics}`). The last step's values are the epoch's.
    fn train_step(&mut self, data: &mut StepContext<'_>) -> Result<EpochLogs>;

    /// Called before each epoch: reset the step's metrics here (Keras resets
    /// `model.metrics` at the start of every epoch).
    fn reset_metrics(&mut self) {}
}

/// A closure is a train step whose metrics are never reset.
impl<F: FnMut(&mut StepContext<'_>) -> Result<EpochLogs>> TrainStep for F {
    fn train_step(&mut self, data: &mut StepContext<'_>) -> Result<EpochLogs> {
        self(data)
    }
}

/// What a [`TrainStep`] gets: the batch, the model, and what `compile` set — the loss and
/// the optimizer (Keras's `data`, `self`, `self.compute_loss` and `self.optimizer`).
pub struct StepContext<'s> {
    pub(crate) model: &'s Model,
    pub(crate) plan: &'s Plan,
    pub(crate) objective: &'s Objective,
    pub(crate) optimizer: &'s mut OptimizerState,
    pub(crate) xs: &'s [Tensor],
    pub(crate) ys: &'s [Tensor],
    pub(crate) sample_weight: Option<&'s Tensor>,
}

impl StepContext<'_> {
    /// The model being trained.
    pub fn model(&self) -> &Model {
        self.model
    }

    /// The batch's (first) input, on the model's device.
    pub fn x(&self) -> &Tensor {
        &self.xs[0]
    }

    /// The batch's (first) target, on the model's device.
    pub fn y(&self) -> &Tensor {
        &self.ys[0]
    }

    /// The batch's sample weights (from `fit`'s `sample_weight` or `class_weight`), if any.
    pub fn sample_weight(&self) -> Option<&Tensor> {
        self.sample_weight
    }

    /// Every input and target of the batch (models of several inputs or outputs).
    pub fn data(&self) -> (&[Tensor], &[Tensor]) {
        (self.xs, self.ys)
    }

    /// The model on the batch in training mode, with gradients (Keras's
    /// `self(x, training=True)`); the first output.
    pub fn call_training(&self) -> Result<Tensor> {
        Ok(self.plan.forward(self.xs, true).swap_remove(0))
    }

    /// The compiled loss of `y_pred` against the batch's targets, weighted by the batch's
    /// sample weights if any (Keras's `self.compute_loss(y=y, y_pred=y_pred,
    /// sample_weight=…)`), differentiable; one-output models.
    pub fn compute_loss(&self, y_pred: &Tensor) -> Result<Tensor> {
        if self.ys.len() != 1 {
            return Err(Error::InvalidArgument(format!(
                "compute_loss takes the one output of a one-output model; this batch has {} targets",
                self.ys.len()
            )));
        }
        let (loss, _) = self.objective.compute(
            std::slice::from_ref(y_pred),
            &[None],
            self.ys,
            self.sample_weight,
        )?;
        Ok(loss)
    }

    /// One update of the compiled optimizer (Keras's `self.optimizer.apply_gradients(zip(
    /// gradients, weights))`); `weights` among the model's trainable weights.
    pub fn apply_gradients(&mut self, gradients: &[Tensor], weights: &[Tensor]) -> Result<()> {
        let weights: Vec<&Tensor> = weights.iter().collect();
        apply_gradients(self.optimizer, gradients, &weights)
    }
}
