//! What a training or evaluation step computes: each output's loss (weighted into one total)
//! and metrics, named as Keras logs them.

use crate::activations::Logits;
use crate::error::{Error, Result};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::models::{Compiled, Plan};
use crate::optimizers::OptimizerState;
use tch::Tensor;

/// The compiled losses and metrics, resolved for a model's outputs.
pub(crate) struct Objective {
    /// One loss per output.
    losses: Vec<Loss>,
    weights: Vec<f64>,
    /// The metrics of each output.
    metrics: Vec<Vec<Metric>>,
    /// One example's shape per output.
    shapes: Vec<Vec<i64>>,
    /// The names of the values a step returns: `loss`, then (for several outputs)
    /// `<output>_loss` each, then the metrics (`accuracy`, or `<output>_accuracy`).
    pub names: Vec<String>,
}

impl Objective {
    pub fn new(compiled: &Compiled, plan: &Plan) -> Result<Objective> {
        let outputs = plan.output_names();
        let shapes = plan.output_shapes();
        let n = outputs.len();
        let losses = match compiled.losses.len() {
            1 => vec![compiled.losses[0]; n],
            k if k == n => compiled.losses.clone(),
            k => {
                return Err(Error::InvalidArgument(format!(
                    "compile was given {k} losses for a model of {n} outputs ({}): give one for all or one per output",
                    outputs.join(", ")
                )))
            }
        };
        let weights = match &compiled.loss_weights {
            None => vec![1.0; n],
            Some(w) if w.len() == n => w.clone(),
            Some(w) => {
                return Err(Error::InvalidArgument(format!(
                    "loss_weights has {} values for a model of {n} outputs",
                    w.len()
                )))
            }
        };
        let mut names = vec!["loss".to_string()];
        let prefix = |o: &str| {
            if n > 1 {
                format!("{o}_")
            } else {
                String::new()
            }
        };
        if n > 1 {
            names.extend(outputs.iter().map(|o| format!("{o}_loss")));
        }
        let mut metrics = Vec::with_capacity(n);
        for ((out, loss), shape) in outputs.iter().zip(&losses).zip(&shapes) {
            let ms: Vec<Metric> = compiled
                .metrics
                .iter()
                .map(|m| m.resolve(loss, shape))
                .collect();
            names.extend(ms.iter().map(|m| format!("{}{}", prefix(out), m.name)));
            metrics.push(ms);
        }
        Ok(Objective {
            losses,
            weights,
            metrics,
            shapes,
            names,
        })
    }

    /// Checks each output's targets against its loss and shape (labels in range, one-hot
    /// width, …).
    pub fn check_targets(&self, ys: &[Tensor]) -> Result<()> {
        if ys.len() != self.losses.len() {
            return Err(Error::InvalidData(format!(
                "the model has {} outputs, got {} target tensors",
                self.losses.len(),
                ys.len()
            )));
        }
        for ((loss, y), shape) in self.losses.iter().zip(ys).zip(&self.shapes) {
            loss.check_targets(y, shape)?;
        }
        Ok(())
    }

    /// The total loss (differentiable) and every named value for one batch. With
    /// `sample_weight` (one per example) the losses are weighted as Keras weighs them; the
    /// metrics are not (Keras weighs only `weighted_metrics`).
    pub fn compute(
        &self,
        preds: &[Tensor],
        logits: &[Option<Logits>],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<(Tensor, Vec<Tensor>)> {
        if ys.len() != preds.len() {
            return Err(Error::InvalidData(format!(
                "the model has {} outputs, got {} targets per batch",
                preds.len(),
                ys.len()
            )));
        }
        let mut per_output = Vec::with_capacity(preds.len());
        for (i, (pred, y)) in preds.iter().zip(ys).enumerate() {
            let logits = logits.get(i).and_then(Option::as_ref);
            per_output.push(self.losses[i].compute_for_output(pred, logits, y, sample_weight)?);
        }
        let total = if per_output.len() == 1 && self.weights[0] == 1.0 {
            per_output[0].shallow_clone()
        } else {
            per_output
                .iter()
                .zip(&self.weights)
                .map(|(l, w)| l * *w)
                .reduce(|a, b| a + b)
                .expect("at least one output")
        };
        let mut values = vec![total.detach()];
        if per_output.len() > 1 {
            values.extend(per_output.iter().map(Tensor::detach));
        }
        for ((ms, pred), y) in self.metrics.iter().zip(preds).zip(ys) {
            values.extend(ms.iter().map(|m| m.compute(pred, y)));
        }
        Ok((total, values))
    }
}

/// The batch's tensors on the model's device.
pub(crate) fn on_device(ts: &[Tensor], plan: &Plan) -> Vec<Tensor> {
    ts.iter().map(|t| t.to_device(plan.device)).collect()
}

/// One gradient step on one batch; returns the named values.
pub(crate) fn train_step(
    plan: &Plan,
    optimizer: &mut OptimizerState,
    objective: &Objective,
    xs: &[Tensor],
    ys: &[Tensor],
    sample_weight: Option<&Tensor>,
) -> Result<Vec<Tensor>> {
    optimizer.zero_grad();
    let (preds, logits) = plan.forward_with_logits(xs, true);
    let (loss, values) = objective.compute(&preds, &logits, ys, sample_weight)?;
    if loss.requires_grad() {
        loss.backward();
        optimizer.step();
    }
    Ok(values)
}
