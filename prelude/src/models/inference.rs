//! `evaluate` and `predict`: inference in batches, without gradients.

use super::model::{Model, Plan};
use super::training::{format_logs, Tally};
use crate::data_adapter::{BatchSource, TensorData};
use crate::error::{Error, Result};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::runtime::{interrupted, MimeBundle, ProgressBar, Render};
use std::collections::BTreeMap;
use tch::{Device, Tensor};

/// What `evaluate` returns: the loss and each metric by name (`ev["accuracy"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Values by name: `loss`, `accuracy`, …
    pub values: BTreeMap<String, f64>,
}

impl Evaluation {
    /// The loss.
    pub fn loss(&self) -> f64 {
        self.values.get("loss").copied().unwrap_or(f64::NAN)
    }
    /// One value by name.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }
    /// The values as Keras's list: the loss first, then the metrics (alphabetical), so
    /// `let [loss, acc] = ev.to_vec()[..] else { … }` reads like `loss, acc = model.evaluate(…)`.
    pub fn to_vec(&self) -> Vec<f64> {
        let mut v = vec![self.loss()];
        v.extend(
            self.values
                .iter()
                .filter(|(k, _)| k.as_str() != "loss")
                .map(|(_, v)| *v),
        );
        v
    }
}

impl std::ops::Index<&str> for Evaluation {
    type Output = f64;
    fn index(&self, name: &str) -> &f64 {
        self.values.get(name).unwrap_or_else(|| {
            panic!(
                "evaluation has no value '{name}'; it has: {}",
                self.values.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }
}

impl Render for Evaluation {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::text(format_logs(&self.values))
    }
}

impl Model {
    /// Loss and metrics on in-memory data, in batches of 32 (Keras prints a line).
    pub fn evaluate(&self, x: &Tensor, y: &Tensor) -> Result<Evaluation> {
        self.evaluate_with(x, y, 32, 1)
    }

    /// `evaluate` with a batch size and verbosity (0 silent, 1 prints the result line).
    pub fn evaluate_with(
        &self,
        x: &Tensor,
        y: &Tensor,
        batch_size: usize,
        verbose: u8,
    ) -> Result<Evaluation> {
        let data = TensorData::new(x, Some(y))?;
        self.ensure_built(x.size().get(1..))?;
        self.check_targets(y)?;
        self.evaluate_source_with(&data, batch_size, verbose)
    }

    /// Loss and metrics over a [`BatchSource`].
    pub fn evaluate_source(&self, source: &dyn BatchSource) -> Result<Evaluation> {
        self.evaluate_source_with(source, 32, 1)
    }

    fn evaluate_source_with(
        &self,
        source: &dyn BatchSource,
        batch_size: usize,
        verbose: u8,
    ) -> Result<Evaluation> {
        self.build_from_source(source)?;
        let plan = self.plan()?;
        let out_shape = self.output_shape()?;
        let compiled = self.take_compiled()?;
        let metrics: Vec<Metric> = compiled
            .metrics
            .iter()
            .map(|m| m.resolve(&compiled.loss, &out_shape))
            .collect();
        let mut names = vec!["loss".to_string()];
        names.extend(metrics.iter().map(|m| m.name.clone()));
        let steps = source.num_batches(batch_size).unwrap_or(1).max(1) as u64;
        let mut bar = ProgressBar::hidden(Some(steps));
        let r = evaluate_source(&plan, &compiled.loss, &metrics, &names, source, batch_size);
        self.0.borrow_mut().compiled = Some(compiled);
        let values = r?;
        if verbose >= 1 {
            bar.update(steps, "");
            println!("{}", bar.finish(&format_logs(&values)));
        }
        Ok(Evaluation { values })
    }

    /// Predictions for `x`, in batches of 32, without gradients, returned on the CPU.
    pub fn predict(&self, x: &Tensor) -> Result<Tensor> {
        self.predict_with(x, 32)
    }

    /// `predict` with a batch size.
    pub fn predict_with(&self, x: &Tensor, batch_size: usize) -> Result<Tensor> {
        let data = TensorData::new(x, None)?;
        self.ensure_built(x.size().get(1..))?;
        self.predict_source_with(&data, batch_size)
    }

    /// Predictions over a [`BatchSource`] (targets, if any, are ignored).
    pub fn predict_source(&self, source: &dyn BatchSource) -> Result<Tensor> {
        self.predict_source_with(source, 32)
    }

    fn predict_source_with(&self, source: &dyn BatchSource, batch_size: usize) -> Result<Tensor> {
        self.build_from_source(source)?;
        let plan = self.plan()?;
        let mut outs = Vec::new();
        for batch in source.batches(batch_size.max(1), false, 0)? {
            let batch = batch?;
            let x = plan.prepare(&batch.x)?;
            outs.push(tch::no_grad(|| plan.forward(&x, false)).to_device(Device::Cpu));
            if interrupted() {
                return Err(Error::Interrupted);
            }
        }
        if outs.is_empty() {
            return Err(Error::InvalidData("no data to predict on".into()));
        }
        Ok(Tensor::cat(&outs, 0))
    }
}

pub(crate) fn evaluate_source(
    plan: &Plan,
    loss: &Loss,
    metrics: &[Metric],
    names: &[String],
    source: &dyn BatchSource,
    batch_size: usize,
) -> Result<BTreeMap<String, f64>> {
    let mut tally = Tally::new(names.to_vec(), plan.device);
    tch::no_grad(|| -> Result<()> {
        for batch in source.batches(batch_size.max(1), false, 0)? {
            let batch = batch?;
            let y = batch
                .y
                .ok_or_else(|| Error::InvalidData("evaluation batches need targets (y)".into()))?;
            let x = plan.prepare(&batch.x)?;
            let y = y.to_device(plan.device);
            let (pred, logits) = plan.forward_with_logits(&x, false);
            let mut values = vec![loss.compute_for_output(&pred, logits.as_ref(), &y)?];
            values.extend(metrics.iter().map(|m| m.compute(&pred, &y)));
            tally.add(&values, x.size()[0]);
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
    Ok(tally.logs(""))
}
