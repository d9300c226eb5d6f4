//! What a training or evaluation step computes: each output's loss (weighted into one total)
//! and metrics, named as Keras logs them.

use super::logs::BatchValue;
use crate::activations::Logits;
use crate::error::{Error, Result};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::models::{Compiled, Plan};
use crate::optimizers::OptimizerState;
use tch::{Kind, Tensor};

/// The compiled losses and metrics, resolved for a model's outputs.
pub(crate) struct Objective {
    /// One loss per output.
    losses: Vec<Loss>,
    weights: Vec<f64>,
    /// The metrics of each output.
    metrics: Vec<Vec<Metric>>,
    /// The weighted metrics of each output.
    weighted_metrics: Vec<Vec<Metric>>,
    /// One example's shape per output.
    shapes: Vec<Vec<i64>>,
    /// The names of the values a step returns: `loss`, then (for several outputs)
    /// `<output>_loss` each, then the metrics (`accuracy`, or `<output>_accuracy`), then the
    /// weighted metrics (`weighted_accuracy` where `accuracy` is taken).
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
        let resolve = |ms: &[Metric]| -> Vec<Vec<Metric>> {
            losses
                .iter()
                .zip(&shapes)
                .map(|(loss, shape)| ms.iter().map(|m| m.resolve(loss, shape)).collect())
                .collect()
        };
        let metrics = resolve(&compiled.metrics);
        let weighted_metrics = resolve(&compiled.weighted_metrics);
        for (out, ms) in outputs.iter().zip(&metrics) {
            names.extend(ms.iter().map(|m| format!("{}{}", prefix(out), m.name)));
        }
        // Keras's `CompileMetrics.result`: a weighted metric whose name a plain one has taken
        // becomes `weighted_<name>`.
        for (out, ms) in outputs.iter().zip(&weighted_metrics) {
            for m in ms {
                let name = format!("{}{}", prefix(out), m.name);
                let name = if names.contains(&name) {
                    format!("{}weighted_{}", prefix(out), m.name)
                } else {
                    name
                };
                names.push(name);
            }
        }
        Ok(Objective {
            losses,
            weights,
            metrics,
            weighted_metrics,
            shapes,
            names,
        })
    }

    /// The order of `evaluate`'s list, as Keras's `_flatten_metrics_in_order` makes it: `loss`,
    /// then the compiled metrics' own names in compile order (plain, then weighted); values
    /// logged under other names (`<output>_loss`, `weighted_mse`) follow alphabetically.
    /// Keras lists a name that is both plain and weighted twice; it is listed once here.
    pub fn list_order(&self) -> Vec<String> {
        let mut order = vec!["loss".to_string()];
        // The first output's metrics (a model of several outputs logs prefixed names).
        let plain = self.metrics.iter().take(1).flatten();
        let weighted = self.weighted_metrics.iter().take(1).flatten();
        for m in plain.chain(weighted) {
            if !order.contains(&m.name) {
                order.push(m.name.clone());
            }
        }
        order
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
    /// `sample_weight` (one per example) the losses and the weighted metrics are weighted as
    /// Keras weighs them; the plain metrics are not.
    pub fn compute(
        &self,
        preds: &[Tensor],
        logits: &[Option<Logits>],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<(Tensor, Vec<BatchValue>)> {
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
        let mut values = vec![BatchValue::Mean(total.detach())];
        if per_output.len() > 1 {
            values.extend(per_output.iter().map(|l| BatchValue::Mean(l.detach())));
        }
        for ((ms, pred), y) in self.metrics.iter().zip(preds).zip(ys) {
            values.extend(ms.iter().map(|m| BatchValue::Mean(m.compute(pred, y))));
        }
        for ((ms, pred), y) in self.weighted_metrics.iter().zip(preds).zip(ys) {
            for m in ms {
                values.push(weighted_value(m, pred, y, sample_weight));
            }
        }
        Ok((total, values))
    }
}

/// A weighted metric's `Σ mᵢ·wᵢ` and `Σ wᵢ` over the batch (every weight 1 without sample
/// weights), as Keras's `Mean.update_state(values, sample_weight)` adds them.
fn weighted_value(
    metric: &Metric,
    pred: &Tensor,
    y: &Tensor,
    sample_weight: Option<&Tensor>,
) -> BatchValue {
    let per_sample = metric.per_sample(pred, y);
    let weight = match sample_weight {
        Some(w) => w
            .detach()
            .to_device(per_sample.device())
            .to_kind(Kind::Float),
        None => per_sample.ones_like(),
    };
    let weight = weight.reshape(per_sample.size());
    BatchValue::Weighted {
        total: (&per_sample * &weight).sum(Kind::Float),
        weight: weight.sum(Kind::Float),
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
) -> Result<Vec<BatchValue>> {
    optimizer.zero_grad();
    let (preds, logits) = plan.forward_with_logits(xs, true);
    let (loss, values) = objective.compute(&preds, &logits, ys, sample_weight)?;
    if loss.requires_grad() {
        loss.backward();
        optimizer.step();
    }
    Ok(values)
}
