//! `evaluate`: the loss and metrics over data, in batches, without gradients.

use super::logs::Tally;
use super::objective::{on_device, Objective};
use super::sample_weights::{attach_sample_weight, SampleWeights};
use crate::callbacks::{format_logs, Callback, CallbackList, EpochLogs};
use crate::data_adapter::{BatchSource, Tensors};
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
use crate::runtime::{interrupted, MimeBundle, ProgressBar, Render};
use std::collections::BTreeMap;
use tch::Tensor;

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

/// `evaluate`'s options, Keras's keyword arguments with Keras's defaults:
/// `Evaluate { batch_size: 64, verbose: 0, ..Default::default() }`.
pub struct Evaluate<'a> {
    /// Examples per batch (default 32).
    pub batch_size: usize,
    /// 0 silent, 1 prints the result line (default).
    pub verbose: u8,
    /// Callbacks, called with the `on_test_*` hooks.
    pub callbacks: Vec<Box<dyn Callback + 'a>>,
    /// One weight per example for the loss (Keras's `sample_weight`; in-memory data).
    pub sample_weight: Option<&'a Tensor>,
}

impl Default for Evaluate<'_> {
    fn default() -> Self {
        Evaluate {
            batch_size: 32,
            verbose: 1,
            callbacks: Vec::new(),
            sample_weight: None,
        }
    }
}

impl<'a> Evaluate<'a> {
    /// Adds a callback.
    pub fn callback(mut self, c: impl Callback + 'a) -> Self {
        self.callbacks.push(Box::new(c));
        self
    }
}

impl Model {
    /// Loss and metrics on in-memory data, in batches of 32 (Keras prints a line).
    pub fn evaluate<'a>(
        &self,
        x: impl Into<Tensors<'a>>,
        y: impl Into<Tensors<'a>>,
    ) -> Result<Evaluation> {
        self.evaluate_with(x, y, 32, 1)
    }

    /// `evaluate` with a batch size and verbosity (0 silent, 1 prints the result line).
    pub fn evaluate_with<'a>(
        &self,
        x: impl Into<Tensors<'a>>,
        y: impl Into<Tensors<'a>>,
        batch_size: usize,
        verbose: u8,
    ) -> Result<Evaluation> {
        self.evaluate_opts(
            x,
            y,
            Evaluate {
                batch_size,
                verbose,
                ..Default::default()
            },
        )
    }

    /// `evaluate` with all of Keras's options, callbacks among them.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// # fn main() -> ferrokeras::Result<()> {
    /// let x = Tensor::rand([10, 2], (Kind::Float, Device::Cpu));
    /// let model = Sequential::new().add(Input::new([2])).add(Dense::new(1));
    /// model.compile("sgd", "mse", ())?;
    /// let ev = model.evaluate_opts(&x, &x.sum_dim_intlist(1, true, Kind::Float),
    ///     Evaluate { batch_size: 4, verbose: 0, ..Default::default() })?;
    /// assert!(ev.loss() >= 0.0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn evaluate_opts<'a>(
        &self,
        x: impl Into<Tensors<'a>>,
        y: impl Into<Tensors<'a>>,
        opts: Evaluate<'_>,
    ) -> Result<Evaluation> {
        let (plan, data) = self.tensor_data(&x.into(), Some(&y.into()))?;
        let outputs = plan.output_names().len();
        let (data, weights) = attach_sample_weight(data, opts.sample_weight, &None, outputs)?;
        self.evaluate_plan(&plan, &data, &weights, opts)
    }

    /// Loss and metrics over a [`BatchSource`] (e.g. a `Dataset`), printing the result line.
    pub fn evaluate_source(&self, source: &dyn BatchSource) -> Result<Evaluation> {
        self.evaluate_source_with(source, 32, 1)
    }

    /// `evaluate_source` with a batch size (ignored by already batched sources) and
    /// verbosity (0 silent, 1 prints the result line): Keras's
    /// `model.evaluate(val_ds, verbose=0)`.
    pub fn evaluate_source_with(
        &self,
        source: &dyn BatchSource,
        batch_size: usize,
        verbose: u8,
    ) -> Result<Evaluation> {
        self.build_from_source(source)?;
        let plan = self.plan()?;
        let opts = Evaluate {
            batch_size,
            verbose,
            ..Default::default()
        };
        self.evaluate_plan(&plan, source, &SampleWeights::None, opts)
    }

    fn evaluate_plan(
        &self,
        plan: &Plan,
        source: &dyn BatchSource,
        weights: &SampleWeights,
        opts: Evaluate<'_>,
    ) -> Result<Evaluation> {
        let batch_size = opts.batch_size;
        let mut callbacks = CallbackList::new(opts.callbacks);
        let values = self.with_compiled(|compiled| {
            let objective = Objective::new(compiled, plan)?;
            evaluate_batches(
                plan,
                &objective,
                source,
                batch_size,
                weights,
                &mut callbacks,
                self,
            )
        })?;
        if opts.verbose >= 1 {
            let steps = source.num_batches(batch_size).unwrap_or(1).max(1) as u64;
            let mut bar = ProgressBar::hidden(Some(steps));
            bar.update(steps, "");
            println!("{}", bar.finish(&format_logs(&values)));
        }
        Ok(Evaluation { values })
    }
}

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
