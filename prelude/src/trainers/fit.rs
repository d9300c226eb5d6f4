//! `fit`, `fit_source` and `train_on_batch`: the epoch loop.

use super::epoch_loop::{bind_optimizer, EpochLoop, RunData};
use super::objective::{on_device, train_step, Objective};
use super::sample_weights::{attach_sample_weight, SampleWeights};
use super::settings::capped_epochs;
use super::train_step::TrainStep;
use crate::callbacks::{Callback, CallbackList, History, ProgbarLogger};
use crate::data_adapter::{BatchSource, TensorData, Tensors};
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
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
    /// The epoch to start at (0-based; default 0), to resume an earlier run: epochs
    /// `initial_epoch..epochs` run.
    pub initial_epoch: usize,
    /// One weight per training example (in-memory data): the loss of each counts that much
    /// (Keras's `sample_weight`; a `validation_split` takes its share of them).
    pub sample_weight: Option<&'a Tensor>,
    /// A weight per class (`BTreeMap::from([(0, 1.0), (1, 5.0)])`; 1 for a class not named):
    /// Keras's `class_weight`, for models of one output.
    pub class_weight: Option<BTreeMap<i64, f64>>,
    /// A training step of your own instead of `fit`'s (Keras's overridden `train_step`).
    pub train_step: Option<Box<dyn TrainStep + 'a>>,
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
            initial_epoch: 0,
            sample_weight: None,
            class_weight: None,
            train_step: None,
        }
    }
}

impl<'a> Fit<'a> {
    /// Adds a callback.
    pub fn callback(mut self, c: impl Callback + 'a) -> Self {
        self.callbacks.push(Box::new(c));
        self
    }

    /// Trains with a step of your own (see [`TrainStep`]).
    pub fn train_step(mut self, step: impl TrainStep + 'a) -> Self {
        self.train_step = Some(Box::new(step));
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
        let (data, weights) = attach_sample_weight(
            data,
            opts.sample_weight,
            &opts.class_weight,
            plan.output_names().len(),
        )?;
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
        // A split keeps its examples' sample weights; class weights are for training only.
        let val_weights = match (&weights, &split_val) {
            (SampleWeights::LastTarget, Some(_)) => SampleWeights::LastTarget,
            _ => SampleWeights::None,
        };
        let data = RunData {
            train: &train,
            train_weights: weights,
            val,
            val_weights,
        };
        self.run_fit(&plan, data, opts)
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
        if opts.sample_weight.is_some() {
            return Err(Error::InvalidArgument(
                "sample_weight needs in-memory tensors; use class_weight, or fit on tensors".into(),
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
        let train_weights = match opts.class_weight.take() {
            Some(map) => SampleWeights::Class(map),
            None => SampleWeights::None,
        };
        let data = RunData {
            train: source,
            train_weights,
            val,
            val_weights: SampleWeights::None,
        };
        self.run_fit(&plan, data, opts)
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
            let mut optimizer = bind_optimizer(self, compiled)?;
            let values = train_step(&plan, &mut optimizer, &objective, &xs, &ys, None)?;
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

    /// `fit` on `data` with `opts`, whose data the caller has turned into `data`.
    fn run_fit(&self, plan: &Plan, data: RunData<'_>, opts: Fit<'_>) -> Result<History> {
        if opts.batch_size == 0 {
            return Err(Error::InvalidArgument(
                "batch_size must be at least 1".into(),
            ));
        }
        crate::backend::flush_denormals();
        let epochs = capped_epochs(opts.epochs);
        // As Keras's CallbackList: the user's callbacks, the History, the progress bar.
        let mut callbacks = CallbackList::new(opts.callbacks).with_history();
        if opts.verbose > 0 {
            callbacks = callbacks.with_progbar(ProgbarLogger::new(
                opts.verbose,
                epochs,
                data.train.num_batches(opts.batch_size),
            ));
        }
        let mut custom_step = opts.train_step;
        let last_logs = self.with_compiled(|compiled| {
            let mut run = EpochLoop {
                model: self,
                plan,
                objective: Objective::new(compiled, plan)?,
                callbacks: &mut callbacks,
                custom_step: custom_step.as_deref_mut(),
                batch_size: opts.batch_size,
                shuffle: opts.shuffle,
            };
            run.run(compiled, &data, opts.initial_epoch, epochs)
        })?;
        // Outside `with_compiled`, so that a callback may evaluate or save the model.
        callbacks.on_train_end(&last_logs, self)?;
        Ok(callbacks.into_history())
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
