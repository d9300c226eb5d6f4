//! Keras's test loop: the loss and metrics over batches without gradients, with the
//! `on_test_*` hooks; what `evaluate` runs and what `fit` validates with.

use super::logs::Tally;
use super::objective::{on_device, Objective};
use super::sample_weights::SampleWeights;
use crate::callbacks::{Callback, EpochLogs};
use crate::data_adapter::BatchSource;
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
use crate::runtime::interrupted;

/// The mean loss and metrics of `plan` over `source`, without gradients, calling the
/// `on_test_*` hooks as Keras's `evaluate` does (also for `fit`'s validation).
pub(crate) fn evaluate_batches(
    plan: &Plan,
    objective: &Objective,
    source: &dyn BatchSource,
    batch_size: usize,
    weights: &SampleWeights,
    callbacks: &mut dyn Callback,
    model: &Model,
) -> Result<EpochLogs> {
    let mut tally = Tally::new(&objective.names, plan.device);
    callbacks.on_test_begin(model)?;
    tch::no_grad(|| -> Result<()> {
        for (step, batch) in source.batches(batch_size.max(1), false, 0)?.enumerate() {
            let batch = batch?;
            if batch.targets.is_empty() {
                return Err(Error::InvalidData(
                    "evaluation batches need targets (y)".into(),
                ));
            }
            callbacks.on_test_batch_begin(step, model)?;
            let xs = plan.prepare(&batch.inputs)?;
            let (targets, sample_weight) = weights.split(batch.targets)?;
            let ys = on_device(&targets, plan);
            let (preds, logits) = plan.forward_with_logits(&xs, false);
            let (_, values) = objective.compute(&preds, &logits, &ys, sample_weight.as_ref())?;
            tally.add(&values, xs[0].size()[0]);
            callbacks.on_test_batch_end(step, &tally, model)?;
            if interrupted() {
                return Err(Error::Interrupted);
            }
        }
        Ok(())
    })?;
    if tally.count == 0 {
        return Err(Error::InvalidData(
            "the evaluation data yielded no batches".into(),
        ));
    }
    let logs = tally.logs("");
    callbacks.on_test_end(&logs, model)?;
    Ok(logs)
}
