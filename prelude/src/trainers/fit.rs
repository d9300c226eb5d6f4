//! `fit`, `fit_source` and `train_on_batch`: the epoch loop.

use super::evaluate::evaluate_batches;
use super::logs::Tally;
use super::objective::{train_step, Objective};
use super::settings::capped_epochs;
use crate::callbacks::{Callback, EpochLogs, History, ProgbarLogger};
use crate::data_adapter::{BatchSource, TensorData, Tensors};
use crate::error::{Error, Result};
use crate::models::{Compiled, Model, Plan};
use crate::runtime::interrupted;
use std::collections::BTreeMap;
use tch::Tensor;

/// Validation data for [`Fit`]: tensors `(x, y)` or any [`BatchSource`].
pub enum Validation<'a> {
    /// In-memory `(x, y)` (several of each for a model of several inputs or outputs).
    Tensors(Tensors<'a>, Tensors<'a>),
    /// A batch source (e.g. a `Dataset`).
    Source(&'a dyn BatchSource),
}

impl<'a, X: Into<Tensors<'a>>, Y: Into<Tensors<'a>>> From<(X, Y)> for Validation<'a> {
    fn from((x, y): (X, Y)) -> Self {
        Validation::Tensors(x.into(), y.into())
    }
}

impl<'a, T: BatchSource> From<&'a T> for Validation<'a> {
    fn from(s: &'a T) -> Self {
        Validation::Source(s)
    }
}

/// `fit`'s options, Keras's keyword arguments with Keras's defaults:
/// `Fit { epochs: 5, batch_size: 128, ..Default::default() }`.
pub struct Fit<'a> {
    /// Passes over the data (default 1).
    pub epochs: usize,
    /// Examples per gradient step (default 32).
    pub batch_size: usize,
    /// Fraction of the data, taken from the end before shuffling, used for validation
    /// (ignored when `validation_data` is given, as in Keras).
    pub validation_split: f64,
    /// Validation data, as tensors or a batch source: `Some((&x_val, &y_val).into())`.
    pub validation_data: Option<Validation<'a>>,
    /// Shuffle the training data each epoch (default `true`).
    pub shuffle: bool,
    /// 0 silent, 1 a live progress bar per epoch (default), 2 one line per epoch.
    pub verbose: u8,
    /// Callbacks: `vec![Box::new(EarlyStopping::new("val_loss").patience(3))]`.
    pub callbacks: Vec<Box<dyn Callback + 'a>>,
}

impl Default for Fit<'_> {
    fn default() -> Self {
        Fit {
            epochs: 1,
            batch_size: 32,
            validation_split: 0.0,
            validation_data: None,
            shuffle: true,
            verbose: 1,
            callbacks: Vec::new(),
        }
    }
}

impl<'a> Fit<'a> {
    /// Adds a callback.
    pub fn callback(mut self, c: impl Callback + 'a) -> Self {
        self.callbacks.push(Box::new(c));
        self
    }
}

impl Model {
    /// Trains on in-memory tensors; returns the per-epoch [`History`]. Calling it again
    /// continues training. A model of several inputs or outputs takes one tensor each, in
    /// order or by name: `model.fit([&title, &body], [&priority, &department], …)`.
    pub fn fit<'a>(
        &self,
        x: impl Into<Tensors<'a>>,
        y: impl Into<Tensors<'a>>,
        mut opts: Fit<'_>,
    ) -> Result<History> {
        let (plan, data) = self.tensor_data(&x.into(), Some(&y.into()))?;
        let validation_data = opts.validation_data.take();
        // As in Keras, validation_data overrides validation_split.
        let (train, split_val) = if opts.validation_split > 0.0 && validation_data.is_none() {
            let (t, v) = data.split_tail(opts.validation_split)?;
            (t, Some(v))
        } else {
            (data, None)
        };
        let val_tensors = match &validation_data {
            Some(Validation::Tensors(vx, vy)) => Some(self.tensor_data(vx, Some(vy))?.1),
            _ => None,
        };
        let val = validation_source(&split_val, &val_tensors, &validation_data);
        self.run_fit(&plan, &train, val, opts)
    }

    /// Trains on any [`BatchSource`] (e.g. a `Dataset`); `validation_split` is not available
    /// for sources (split the dataset instead).
    pub fn fit_source(&self, source: &dyn BatchSource, mut opts: Fit<'_>) -> Result<History> {
        if opts.validation_split > 0.0 {
            return Err(Error::InvalidArgument(
                "validation_split needs in-memory tensors; pass validation_data for a dataset"
                    .into(),
            ));
        }
        self.build_from_source(source)?;
        let plan = self.plan()?;
        let validation_data = opts.validation_data.take();
        let val_tensors = match &validation_data {
            Some(Validation::Tensors(vx, vy)) => Some(self.tensor_data(vx, Some(vy))?.1),
            _ => None,
        };
        let val = validation_source(&None, &val_tensors, &validation_data);
        self.run_fit(&plan, source, val, opts)
    }

    /// One gradient step on one batch (Keras's `train_on_batch`); returns the loss and metrics.
    pub fn train_on_batch<'a>(
        &self,
        x: impl Into<Tensors<'a>>,
        y: impl Into<Tensors<'a>>,
    ) -> Result<BTreeMap<String, f64>> {
        let (plan, data) = self.tensor_data(&x.into(), Some(&y.into()))?;
        let batch = data
            .batches(data.len(), false, 0)?
            .next()
            .expect("data has one batch")?;
        self.with_compiled(|compiled| {
            let objective = Objective::new(compiled, &plan)?;
            let xs = plan.prepare(&batch.inputs)?;
            let ys = on_device(&batch.targets, &plan);
            let optimizer = bind_optimizer(self, compiled)?;
            let values = train_step(&plan, optimizer, &objective, &xs, &ys)?;
            Ok(objective
                .names
                .iter()
                .cloned()
                .zip(values.iter().map(|v| v.double_value(&[])))
                .collect())
        })
    }

    /// Builds the model from the data if needed, and puts the data in the model's input and
    /// output order, checking the targets against the losses.
    pub(crate) fn tensor_data(
        &self,
        x: &Tensors<'_>,
        y: Option<&Tensors<'_>>,
    ) -> Result<(Plan, TensorData)> {
        let example = x.first_shape();
        self.ensure_built(example.as_deref().and_then(|s| s.get(1..)))?;
        let plan = self.plan()?;
        let xs = x.in_order(&plan.input_names(), "input")?;
        let ys = match y {
            Some(y) => y.in_order(&plan.output_names(), "output")?,
            None => Vec::new(),
        };
        if !ys.is_empty() && self.is_compiled() {
            self.with_compiled(|c| Objective::new(c, &plan)?.check_targets(&ys))?;
        }
        Ok((plan, TensorData::from_lists(xs, ys)?))
    }

    /// Builds an unbuilt model from a source's first batch.
    pub(crate) fn build_from_source(&self, source: &dyn BatchSource) -> Result<()> {
        if self.built() || self.declared_input().is_some() {
            return self.build();
        }
        let first = source
            .batches(1, false, 0)?
            .next()
            .ok_or_else(|| Error::InvalidData("the data source yields no batches".into()))??;
        self.build_for(&first.x().size()[1..])
    }

    /// `fit` on `train` with `opts`, whose validation data the caller has turned into `val`.
    fn run_fit(
        &self,
        plan: &Plan,
        train: &dyn BatchSource,
        val: Option<&dyn BatchSource>,
        opts: Fit<'_>,
    ) -> Result<History> {
        if opts.batch_size == 0 {
            return Err(Error::InvalidArgument(
                "batch_size must be at least 1".into(),
            ));
        }
        crate::backend::flush_denormals();
        let mut callbacks = opts.callbacks;
        let epochs = capped_epochs(opts.epochs);
        let history = self.with_compiled(|compiled| {
            let mut run = EpochLoop {
                model: self,
                plan,
                objective: Objective::new(compiled, plan)?,
                progbar: ProgbarLogger::new(
                    opts.verbose,
                    epochs,
                    train.num_batches(opts.batch_size),
                ),
                history: History::default(),
                callbacks: &mut callbacks,
            };
            let optimizer = bind_optimizer(self, compiled)?;
            run.run(optimizer, train, val, epochs, opts.batch_size, opts.shuffle)?;
            Ok(run.history)
        })?;
        for cb in callbacks.iter_mut() {
            cb.on_train_end(self)?;
        }
        Ok(history)
    }
}

/// The validation source `fit` uses: the split, else the tensors, else the given source.
fn validation_source<'s>(
    split: &'s Option<TensorData>,
    tensors: &'s Option<TensorData>,
    given: &'s Option<Validation<'_>>,
) -> Option<&'s dyn BatchSource> {
    match (split, tensors, given) {
        (Some(v), _, _) => Some(v),
        (_, Some(v), _) => Some(v),
        (_, _, Some(Validation::Source(s))) => Some(*s),
        _ => None,
    }
}

/// The compiled optimizer, bound to the weights on the first training call so that later
/// calls continue its state.
fn bind_optimizer<'c>(
    model: &Model,
    compiled: &'c mut Compiled,
) -> Result<&'c mut crate::optimizers::OptimizerState> {
    if compiled.state.is_none() {
        compiled.state = Some(compiled.spec.bind(&model.params())?);
    }
    Ok(compiled.state.as_mut().expect("bound"))
}

pub(crate) fn on_device(ts: &[Tensor], plan: &Plan) -> Vec<Tensor> {
    ts.iter().map(|t| t.to_device(plan.device)).collect()
}

/// One `fit`: the model, what each step computes, and the callbacks in Keras's order — the
/// progress logger first, the user's, then the `History` that `fit` returns.
struct EpochLoop<'r, 'c> {
    model: &'r Model,
    plan: &'r Plan,
    objective: Objective,
    progbar: ProgbarLogger,
    history: History,
    callbacks: &'r mut Vec<Box<dyn Callback + 'c>>,
}

impl EpochLoop<'_, '_> {
    fn run(
        &mut self,
        optimizer: &mut crate::optimizers::OptimizerState,
        train: &dyn BatchSource,
        val: Option<&dyn BatchSource>,
        epochs: usize,
        batch_size: usize,
        shuffle: bool,
    ) -> Result<()> {
        let model = self.model;
        model.0.borrow_mut().stop_training = false;
        for cb in self.callbacks.iter_mut() {
            cb.on_train_begin(model)?;
        }
        for epoch in 0..epochs {
            self.progbar.on_epoch_begin(epoch, model)?;
            for cb in self.callbacks.iter_mut() {
                cb.on_epoch_begin(epoch, model)?;
            }
            let mut tally = Tally::new(&self.objective.names, self.plan.device);
            let mut stopped = false;
            let seed = crate::backend::next_seed();
            for (step, batch) in train.batches(batch_size, shuffle, seed)?.enumerate() {
                let batch = batch?;
                if batch.targets.is_empty() {
                    return Err(Error::InvalidData(
                        "training batches need targets (y)".into(),
                    ));
                }
                let xs = self.plan.prepare(&batch.inputs)?;
                let ys = on_device(&batch.targets, self.plan);
                let values = train_step(self.plan, optimizer, &self.objective, &xs, &ys)?;
                tally.add(&values, xs[0].size()[0]);
                self.progbar.on_train_batch_end(step, &tally, model)?;
                for cb in self.callbacks.iter_mut() {
                    cb.on_train_batch_end(step, &tally, model)?;
                }
                if interrupted() {
                    stopped = true;
                    break;
                }
            }
            if tally.count == 0 {
                return Err(Error::InvalidData(
                    "the training data yielded no batches".into(),
                ));
            }
            let mut logs = tally.logs("");
            if let (false, Some(v)) = (stopped, val) {
                match evaluate_batches(self.plan, &self.objective, v, batch_size) {
                    Ok(vlogs) => {
                        logs.extend(vlogs.into_iter().map(|(k, v)| (format!("val_{k}"), v)))
                    }
                    // Interrupted while validating: keep what was trained.
                    Err(Error::Interrupted) => stopped = true,
                    Err(e) => return Err(e),
                }
            }
            if stopped {
                self.end_epoch_interrupted(epoch, &logs)?;
                break;
            }
            self.end_epoch(epoch, &logs)?;
            if model.0.borrow().stop_training {
                break;
            }
        }
        Ok(())
    }

    fn end_epoch(&mut self, epoch: usize, logs: &EpochLogs) -> Result<()> {
        let model = self.model;
        self.progbar.on_epoch_end(epoch, logs, model)?;
        for cb in self.callbacks.iter_mut() {
            cb.on_epoch_end(epoch, logs, model)?;
        }
        self.history.on_epoch_end(epoch, logs, model)?;
        for cb in self.callbacks.iter_mut() {
            cb.on_history(&self.history, model)?;
        }
        Ok(())
    }

    /// An interrupted epoch: its progress and history are kept, the user's callbacks are not
    /// asked (the epoch did not finish).
    fn end_epoch_interrupted(&mut self, epoch: usize, logs: &EpochLogs) -> Result<()> {
        self.progbar.on_epoch_end(epoch, logs, self.model)?;
        self.history.on_epoch_end(epoch, logs, self.model)?;
        println!(
            "Training interrupted during epoch {}: weights are kept, returning the history so far.",
            epoch + 1
        );
        Ok(())
    }
}
