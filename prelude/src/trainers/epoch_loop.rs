//! The epoch loop of `fit`: Keras's order of callback hooks around each batch and epoch.

use super::compile::sync_learning_rate;
use super::epoch_iterator::EpochIterator;
use super::logs::Tally;
use super::objective::{on_device, train_step, Objective};
use super::sample_weights::SampleWeights;
use super::test_loop::evaluate_batches;
use super::train_step::{StepContext, TrainStep};
use crate::callbacks::{Callback, CallbackList, EpochLogs};
use crate::data_adapter::BatchSource;
use crate::error::{Error, Result};
use crate::models::{Compiled, Model, Plan};
use crate::optimizers::OptimizerState;
use crate::runtime::interrupted;
use std::cell::RefMut;

/// What one `fit` runs on: the training batches, the validation ones, and where each one's
/// sample weights come from.
pub(crate) struct RunData<'d> {
    pub train: &'d dyn BatchSource,
    pub train_weights: SampleWeights,
    pub val: Option<&'d dyn BatchSource>,
    pub val_weights: SampleWeights,
}

/// The compiled optimizer, bound to the weights on the first training call so that later
/// calls continue its state. Held for one step: callbacks between steps may read it (to save
/// it).
pub(crate) fn bind_optimizer<'c>(
    model: &Model,
    compiled: &'c Compiled,
) -> Result<RefMut<'c, OptimizerState>> {
    let mut state = compiled.state.try_borrow_mut().map_err(|_| {
        Error::NotReady(
            "the compiled optimizer is in use: a training step cannot train the model again".into(),
        )
    })?;
    if state.is_none() {
        *state = Some(compiled.spec.bind(model.optimizer_params()));
    }
    Ok(RefMut::map(state, |s| s.as_mut().expect("bound above")))
}

/// One `fit`: the model, what each step computes, and its callbacks.
pub(crate) struct EpochLoop<'r, 'c> {
    pub model: &'r Model,
    pub plan: &'r Plan,
    pub objective: Objective,
    pub callbacks: &'r mut CallbackList<'c>,
    /// The user's train step, instead of [`train_step`].
    pub custom_step: Option<&'r mut (dyn TrainStep + 'c)>,
    pub batch_size: usize,
    pub shuffle: bool,
    /// At most this many batches an epoch (Keras's `steps_per_epoch`).
    pub steps_per_epoch: Option<usize>,
    /// Validate after every this many epochs (Keras's `validation_freq`).
    pub validation_freq: usize,
}

impl EpochLoop<'_, '_> {
    /// Keras's epoch loop (`keras/src/backend/torch/trainer.py`, `fit`): the hooks in the same
    /// order. Returns the last epoch's logs, for `on_train_end`.
    pub fn run(
        &mut self,
        compiled: &mut Compiled,
        data: &RunData<'_>,
        initial_epoch: usize,
        epochs: usize,
    ) -> Result<EpochLogs> {
        let batch_size = self.batch_size;
        let model = self.model;
        let mut batches =
            EpochIterator::new(data.train, batch_size, self.shuffle, self.steps_per_epoch);
        model.clear_stop_request();
        self.callbacks.on_train_begin(model)?;
        // A callback (BackupAndRestore) may resume from a later epoch.
        let first = model.take_initial_epoch().unwrap_or(initial_epoch);
        let mut last_logs = EpochLogs::new();
        for epoch in first..epochs {
            if let Some(step) = self.custom_step.as_mut() {
                step.reset_metrics();
            }
            self.callbacks.on_epoch_begin(epoch, model)?;
            let mut tally = Tally::new(&self.objective.names, self.plan.device);
            // What the user's train step last returned: its epoch's values so far.
            let mut step_logs: Option<EpochLogs> = None;
            let mut stopped = false;
            batches.begin_epoch()?;
            let mut step = 0;
            while let Some(batch) = batches.next_batch() {
                let batch = batch?;
                if batch.targets.is_empty() {
                    return Err(Error::InvalidData(
                        "training batches need targets (y)".into(),
                    ));
                }
                self.callbacks.on_train_batch_begin(step, model)?;
                // A callback may have changed the learning rate.
                sync_learning_rate(model, compiled)?;
                let xs = self.plan.prepare(&batch.inputs)?;
                let (targets, weights) = data.train_weights.split(batch.targets)?;
                let ys = on_device(&targets, self.plan);
                let mut optimizer = bind_optimizer(model, compiled)?;
                if let Some(custom) = self.custom_step.as_mut() {
                    let mut ctx = StepContext {
                        model,
                        plan: self.plan,
                        objective: &self.objective,
                        optimizer: &mut optimizer,
                        xs: &xs,
                        ys: &ys,
                        sample_weight: weights.as_ref(),
                    };
                    let logs = custom.train_step(&mut ctx)?;
                    drop(optimizer);
                    tally.count += xs[0].size()[0];
                    self.callbacks.on_train_batch_end(step, &logs, model)?;
                    step_logs = Some(logs);
                } else {
                    let values = train_step(
                        self.plan,
                        &mut optimizer,
                        &self.objective,
                        &xs,
                        &ys,
                        weights.as_ref(),
                    )?;
                    drop(optimizer);
                    tally.add(&values, xs[0].size()[0]);
                    self.callbacks.on_train_batch_end(step, &tally, model)?;
                }
                step += 1;
                if interrupted() {
                    stopped = true;
                    break;
                }
                if model.stop_requested() {
                    break;
                }
            }
            if tally.count == 0 {
                return Err(Error::InvalidData(
                    "the training data yielded no batches".into(),
                ));
            }
            // As Keras: the epoch's values are what the last step returned.
            let mut logs = step_logs.unwrap_or_else(|| tally.logs(""));
            // As Keras: validation after every `validation_freq`-th epoch.
            let validate = (epoch + 1) % self.validation_freq == 0;
            if let (false, true, Some(v)) = (stopped, validate, data.val) {
                match evaluate_batches(
                    self.plan,
                    &self.objective,
                    v,
                    batch_size,
                    &data.val_weights,
                    &mut *self.callbacks,
                    model,
                ) {
                    Ok(vlogs) => {
                        logs.extend(vlogs.into_iter().map(|(k, v)| (format!("val_{k}"), v)))
                    }
                    // Interrupted while validating: keep what was trained.
                    Err(Error::Interrupted) => stopped = true,
                    Err(e) => return Err(e),
                }
            }
            if stopped {
                // The History keeps the epoch so far and the bar ends; every callback is told.
                self.callbacks.on_epoch_interrupted(epoch, &logs, model)?;
                println!(
                    "Training interrupted during epoch {}: weights are kept, returning the history so far.",
                    epoch + 1
                );
                last_logs = logs;
                break;
            }
            self.callbacks.on_epoch_end(epoch, &mut logs, model)?;
            last_logs = logs;
            if model.stop_requested() {
                break;
            }
        }
        Ok(last_logs)
    }
}
