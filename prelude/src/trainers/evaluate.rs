//! `evaluate`: the loss and metrics over data, in batches, without gradients.

use super::data::{Batched, Inputs, Targets};
use super::objective::Objective;
use super::result_line::ResultLine;
use super::sample_weights::{attach_sample_weight, SampleWeights};
use super::test_loop::evaluate_batches;
use crate::callbacks::{format_logs, Callback, CallbackList};
use crate::data_adapter::BatchSource;
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
use crate::runtime::{MimeBundle, Render};
use std::collections::BTreeMap;
use tch::Tensor;

/// What `evaluate` returns: the loss and each metric by name (`ev["accuracy"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Values by name: `loss`, `accuracy`, …
    pub values: BTreeMap<String, f64>,
    /// The names [`Evaluation::to_vec`] lists first, in Keras's order.
    order: Vec<String>,
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
    /// The values as Keras's list: the loss, then the metrics in the order `compile` was
    /// given them, then any other values (`<output>_loss`, `weighted_<name>`) alphabetically,
    /// so `let [loss, acc] = ev.to_vec()[..] else { … }` reads like
    /// `loss, acc = model.evaluate(…)`.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// let model = Sequential::new().add(Input::new([2])).add(Dense::new(2).activation("softmax"));
    /// model.compile("sgd", "categorical_crossentropy", ["mse", "accuracy"]).unwrap();
    /// let x = Tensor::ones([4, 2], (Kind::Float, Device::Cpu));
    /// let y = Tensor::eye(2, (Kind::Float, Device::Cpu)).repeat([2, 1]);
    /// let ev = model.evaluate(&x, &y, Evaluate { verbose: 0, ..Default::default() }).unwrap();
    /// assert_eq!(ev.to_vec(), vec![ev.loss(), ev["mse"], ev["accuracy"]]);
    /// ```
    pub fn to_vec(&self) -> Vec<f64> {
        let listed = self.order.iter().filter_map(|k| self.values.get(k));
        let rest = self
            .values
            .iter()
            .filter(|(k, _)| !self.order.contains(k))
            .map(|(_, v)| v);
        listed.chain(rest).copied().collect()
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
    /// The loss and metrics on `x` and `y` (Keras's `model.evaluate`): tensors and their
    /// targets, or a dataset and `None`; in batches, printing the result line unless
    /// `verbose: 0`.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// # fn main() -> ferrokeras::Result<()> {
    /// let x = Tensor::rand([10, 2], (Kind::Float, Device::Cpu));
    /// let y = x.sum_dim_intlist(1, true, Kind::Float);
    /// let model = Sequential::new().add(Input::new([2])).add(Dense::new(1));
    /// model.compile("sgd", "mse", ())?;
    /// let ev = model.evaluate(&x, &y, Evaluate { batch_size: 4, verbose: 0, ..Default::default() })?;
    /// let ds = Dataset::from_tensor_slices(&x, &y)?.batch(4);
    /// let on_ds = model.evaluate(&ds, None, Evaluate { verbose: 0, ..Default::default() })?;
    /// assert!((ev.loss() - on_ds.loss()).abs() < 1e-6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn evaluate<'a>(
        &self,
        x: impl Into<Inputs<'a>>,
        y: impl Into<Targets<'a>>,
        opts: Evaluate<'_>,
    ) -> Result<Evaluation> {
        let (x, y) = (x.into(), y.into());
        let (plan, data) = self.batched(&x, y.tensors(), "evaluate", true)?;
        match data {
            Batched::Tensors(data) => {
                let outputs = plan.output_names().len();
                let (data, weights) =
                    attach_sample_weight(data, opts.sample_weight, &None, outputs)?;
                self.evaluate_plan(&plan, &data, &weights, opts)
            }
            Batched::Source(source) => {
                if opts.sample_weight.is_some() {
                    return Err(Error::InvalidArgument(
                        "sample_weight needs in-memory tensors, not a dataset".into(),
                    ));
                }
                self.evaluate_plan(&plan, source, &SampleWeights::None, opts)
            }
        }
    }

    fn evaluate_plan(
        &self,
        plan: &Plan,
        source: &dyn BatchSource,
        weights: &SampleWeights,
        opts: Evaluate<'_>,
    ) -> Result<Evaluation> {
        let batch_size = opts.batch_size;
        let line = ResultLine::start(opts.verbose, source.num_batches(batch_size));
        let mut callbacks = CallbackList::new(opts.callbacks);
        let (values, order) = self.with_compiled(|compiled| {
            let objective = Objective::new(compiled, plan)?;
            let values = evaluate_batches(
                plan,
                &objective,
                source,
                batch_size,
                weights,
                &mut callbacks,
                self,
            )?;
            Ok((values, objective.list_order()))
        })?;
        line.print(&format_logs(&values));
        Ok(Evaluation { values, order })
    }
}
