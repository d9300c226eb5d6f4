//! `fit` and `train_on_batch`: the options and the data of a training run.

use super::data::{Batched, Inputs, Targets, Validation};
use super::epoch_iterator::epoch_steps;
use super::epoch_loop::{bind_optimizer, EpochLoop, RunData};
use super::logs::BatchValue;
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
    /// Validation data, as tensors or a dataset: `Some((&x_val, &y_val).into())`,
    /// `Some((&val_ds).into())`.
    pub validation_data: Option<Validation<'a>>,
    /// Validate after every this many epochs (default 1): the epochs `e` (from 1) where
    /// `e % validation_freq == 0` get `val_` logs, as in Keras.
    pub validation_freq: usize,
    /// Shuffle the training data each epoch (default `true`).
    pub shuffle: bool,
    /// 0 silent, 1 a live progress bar per epoch (default), 2 one line per epoch.
    pub verbose: u8,
    /// Callbacks: `vec![Box::new(EarlyStopping::new("val_loss").patience(3))]`.
    pub callbacks: Vec<Box<dyn Callback + 'a>>,
    /// The epoch to start at (0-based; default 0), to resume an earlier run: epochs
    /// `initial_epoch..epochs` run.
    pub initial_epoch: usize,
    /// At most this many batches per epoch (default `None`: a whole pass). As in Keras, the
    /// next epoch continues where the last one stopped, and a new pass over the data starts
    /// (reshuffled) once one is used up; an epoch ends early where a pass runs out.
    pub steps_per_epoch: Option<usize>,
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
            validation_freq: 1,
            shuffle: true,
            verbose: 1,
            callbacks: Vec::new(),
            initial_epoch: 0,
            steps_per_epoch: None,
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
    /// Trains on `x` and `y` (Keras's `model.fit`) and returns the per-epoch [`History`];
    /// calling it again continues training. `x` is tensors with their targets `y`, or a
    /// dataset with `None` (its batches hold the targets). A model of several inputs or
    /// outputs takes one tensor each, in order or by name:
    /// `model.fit([&title, &body], [&priority, &department], …)`.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// # fn main() -> ferrokeras::Result<()> {
    /// let x = Tensor::rand([40, 3], (Kind::Float, Device::Cpu));
    /// let y = x.sum_dim_intlist(1, true, Kind::Float);
    /// let model = Sequential::new().add(Input::new([3])).add(Dense::new(1));
    /// model.compile("adam", "mse", ())?;
    /// let h = model.fit(&x, &y, Fit { epochs: 2, batch_size: 8, verbose: 0, ..Default::default() })?;
    /// let train_ds = Dataset::from_tensor_slices(&x, &y)?.batch(8);
    /// let h2 = model.fit(&train_ds, None, Fit { epochs: 2, verbose: 0, ..Default::default() })?;
    /// assert_eq!((h["loss"].len(), h2["loss"].len()), (2, 2));
    /// # Ok(())
    /// # }
    /// ```
    pub fn fit<'a>(
        &self,
        x: impl Into<Inputs<'a>>,
        y: impl Into<Targets<'a>>,
        mut opts: Fit<'_>,
    ) -> Result<History> {
        let (x, y) = (x.into(), y.into());
        let (plan, data) = self.batched(&x, y.tensors(), "fit", true)?;
        let validation_data = opts.validation_data.take();
        let val_tensors = match &validation_data {
            Some(Validation::Tensors(vx, vy)) => Some(self.tensor_data(vx, Some(vy))?.1),
            _ => None,
        };
        match data {
            Batched::Tensors(data) => {
                let (data, weights) = attach_sample_weight(
                    data,
                    opts.sample_weight,
                    &opts.class_weight,
                    plan.output_names().len(),
                )?;
                // As in Keras, validation_data overrides validation_split.
                let (train, split_val) = if opts.validation_split > 0.0 && validation_data.is_none()
                {
                    let (t, v) = data.split_tail(opts.validation_split)?;
                    (t, Some(v))
                } else {
                    (data, None)
                };
                let val = validation_source(&split_val, &val_tensors, &validation_data);
                // A split keeps its examples' sample weights; class weights are for
                // training only.
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
            Batched::Source(source) => {
                check_source_options(&opts)?;
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
        }
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
                .zip(values.iter().map(BatchValue::mean))
                .collect())
        })
    }

    /// `fit` on `data` with `opts`, whose data the caller has turned into `data`.
    fn run_fit(&self, plan: &Plan, data: RunData<'_>, opts: Fit<'_>) -> Result<History> {
        if opts.batch_size == 0 {
            return Err(Error::InvalidArgument(
                "batch_size must be at least 1".into(),
            ));
        }
        if opts.validation_freq == 0 || opts.steps_per_epoch == Some(0) {
            return Err(Error::InvalidArgument(
                "validation_freq and steps_per_epoch must be at least 1".into(),
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
                epoch_steps(data.train, opts.batch_size, opts.steps_per_epoch),
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
                steps_per_epoch: opts.steps_per_epoch,
                validation_freq: opts.validation_freq,
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

/// Refuses the options that need in-memory tensors, for a dataset (as Keras does).
fn check_source_options(opts: &Fit<'_>) -> Result<()> {
    if opts.validation_split > 0.0 {
        return Err(Error::InvalidArgument(
            "validation_split needs in-memory tensors; pass validation_data for a dataset".into(),
        ));
    }
    if opts.sample_weight.is_some() {
        return Err(Error::InvalidArgument(
            "sample_weight needs in-memory tensors; use class_weight, or fit on tensors".into(),
        ));
    }
    Ok(())
}
