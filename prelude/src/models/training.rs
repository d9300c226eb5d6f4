//! `compile`, `fit`, `evaluate` and `predict`.

use super::inference::evaluate_source;
use super::model::{Model, Plan};
use crate::callbacks::{Callback, EpochLogs, History};
use crate::data_adapter::{BatchSource, TensorData};
use crate::error::{Error, Result};
use crate::losses::{Loss, LossArg};
use crate::metrics::{IntoMetrics, Metric};
use crate::optimizers::{OptimizerArg, OptimizerSpec, OptimizerState};
use crate::runtime::{interrupted, ProgressBar};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tch::{Device, Kind, Tensor};

pub(crate) struct Compiled {
    pub spec: OptimizerSpec,
    pub state: Option<OptimizerState>,
    pub loss: Loss,
    pub metrics: Vec<Metric>,
}

/// Validation data for [`Fit`]: tensors `(x, y)` or any [`BatchSource`].
pub enum Validation<'a> {
    /// In-memory `(x, y)`.
    Tensors(&'a Tensor, &'a Tensor),
    /// A batch source (e.g. a `Dataset`).
    Source(&'a dyn BatchSource),
}

impl<'a> From<(&'a Tensor, &'a Tensor)> for Validation<'a> {
    fn from((x, y): (&'a Tensor, &'a Tensor)) -> Self {
        Validation::Tensors(x, y)
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

/// `accuracy: 0.8759 - loss: 0.4314`, train values before `val_` ones, each alphabetical.
pub(crate) fn format_logs(logs: &BTreeMap<String, f64>) -> String {
    let mut keys: Vec<&String> = logs.keys().collect();
    keys.sort_by_key(|k| (k.starts_with("val_"), k.as_str()));
    keys.iter()
        .map(|k| format!("{k}: {:.4}", logs[*k]))
        .collect::<Vec<_>>()
        .join(" - ")
}

/// Running sums of the loss and metrics over an epoch, kept on the device so that no batch
/// waits for the GPU unless a value is shown.
pub(crate) struct Tally {
    names: Vec<String>,
    sums: Vec<Tensor>,
    pub(crate) count: i64,
}

impl Tally {
    pub(crate) fn new(names: Vec<String>, device: Device) -> Self {
        let sums = names
            .iter()
            .map(|_| Tensor::zeros([], (Kind::Float, device)))
            .collect();
        Tally {
            names,
            sums,
            count: 0,
        }
    }
    pub(crate) fn add(&mut self, values: &[Tensor], n: i64) {
        for (s, v) in self.sums.iter_mut().zip(values) {
            let _ = s.g_add_(&(v.detach() * n as f64));
        }
        self.count += n;
    }
    pub(crate) fn logs(&self, prefix: &str) -> BTreeMap<String, f64> {
        let n = self.count.max(1) as f64;
        self.names
            .iter()
            .zip(&self.sums)
            .map(|(k, s)| (format!("{prefix}{k}"), s.double_value(&[]) / n))
            .collect()
    }
}

impl Model {
    /// Configures training: optimizer, loss and metrics, by id or typed.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// let model = Sequential::new().add(Input::new([4])).add(Dense::new(3).activation("softmax"));
    /// model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"]).unwrap();
    /// let err = model.compile("adamm", "mse", ()).unwrap_err().to_string();
    /// assert!(err.starts_with("unknown optimizer 'adamm'"));
    /// ```
    pub fn compile(
        &self,
        optimizer: impl Into<OptimizerArg>,
        loss: impl Into<LossArg>,
        metrics: impl IntoMetrics,
    ) -> Result<()> {
        let spec = optimizer.into().resolve()?;
        let loss = loss.into().resolve()?;
        let metrics = metrics
            .metric_ids()
            .iter()
            .map(|m| Metric::parse(m))
            .collect::<Result<Vec<_>>>()?;
        self.0.borrow_mut().compiled = Some(Compiled {
            spec,
            state: None,
            loss,
            metrics,
        });
        Ok(())
    }

    /// Whether `compile` was called.
    pub fn is_compiled(&self) -> bool {
        self.0.borrow().compiled.is_some()
    }

    /// The compiled optimizer.
    pub fn optimizer(&self) -> Option<OptimizerSpec> {
        self.0.borrow().compiled.as_ref().map(|c| c.spec)
    }

    pub(crate) fn take_compiled(&self) -> Result<Compiled> {
        let taken = self.0.borrow_mut().compiled.take();
        taken.ok_or_else(|| {
            Error::NotReady(format!(
                "model '{}' must be compiled before training or evaluation: call model.compile(optimizer, loss, metrics) first",
                self.name()
            ))
        })
    }

    /// Trains on in-memory tensors; returns the per-epoch [`History`]. Calling it again
    /// continues training.
    pub fn fit(&self, x: &Tensor, y: &Tensor, opts: Fit<'_>) -> Result<History> {
        let data = TensorData::new(x, Some(y))?;
        self.ensure_built(x.size().get(1..))?;
        // As in Keras, validation_data overrides validation_split.
        let (train, split_val) = if opts.validation_split > 0.0 && opts.validation_data.is_none() {
            let (t, v) = data.split_tail(opts.validation_split)?;
            (t, Some(v))
        } else {
            (data, None)
        };
        self.check_targets(y)?;
        let val_tensors = match &opts.validation_data {
            Some(Validation::Tensors(vx, vy)) => {
                self.check_targets(vy)?;
                Some(TensorData::new(vx, Some(vy))?)
            }
            _ => None,
        };
        let val: Option<&dyn BatchSource> = match (&split_val, &val_tensors, &opts.validation_data)
        {
            (Some(v), _, _) => Some(v),
            (_, Some(v), _) => Some(v),
            (_, _, Some(Validation::Source(s))) => Some(*s),
            _ => None,
        };
        self.run_fit(&train, val, opts)
    }

    /// Trains on any [`BatchSource`] (e.g. a `Dataset`); `validation_split` is not available
    /// for sources (split the dataset instead).
    pub fn fit_source(&self, source: &dyn BatchSource, opts: Fit<'_>) -> Result<History> {
        if opts.validation_split > 0.0 {
            return Err(Error::InvalidArgument(
                "validation_split needs in-memory tensors; pass validation_data for a dataset"
                    .into(),
            ));
        }
        let val_tensors = match &opts.validation_data {
            Some(Validation::Tensors(vx, vy)) => Some(TensorData::new(vx, Some(vy))?),
            _ => None,
        };
        let val: Option<&dyn BatchSource> = match (&val_tensors, &opts.validation_data) {
            (Some(v), _) => Some(v),
            (_, Some(Validation::Source(s))) => Some(*s),
            _ => None,
        };
        self.run_fit(source, val, opts)
    }

    pub(crate) fn check_targets(&self, y: &Tensor) -> Result<()> {
        let loss = match &self.0.borrow().compiled {
            Some(c) => c.loss,
            None => return Ok(()),
        };
        loss.check_targets(y, &self.output_shape()?)
    }

    pub(crate) fn build_from_source(&self, source: &dyn BatchSource) -> Result<()> {
        if self.built() || self.0.borrow().declared_input.is_some() {
            return self.build();
        }
        let first = source
            .batches(1, false, 0)?
            .next()
            .ok_or_else(|| Error::InvalidData("the data source yields no batches".into()))??;
        self.build_for(&first.x.size()[1..])
    }

    /// `fit` on `train` with `opts`, whose validation data the caller has turned into `val`.
    fn run_fit(
        &self,
        train: &dyn BatchSource,
        val: Option<&dyn BatchSource>,
        opts: Fit<'_>,
    ) -> Result<History> {
        let Fit {
            epochs,
            batch_size,
            shuffle,
            verbose,
            mut callbacks,
            ..
        } = opts;
        if batch_size == 0 {
            return Err(Error::InvalidArgument(
                "batch_size must be at least 1".into(),
            ));
        }
        self.build_from_source(train)?;
        let mut compiled = self.take_compiled()?;
        let result = self.fit_loop(
            &mut compiled,
            train,
            val,
            epochs,
            batch_size,
            shuffle,
            verbose,
            &mut callbacks,
        );
        self.0.borrow_mut().compiled = Some(compiled);
        let history = result?;
        for cb in callbacks.iter_mut() {
            cb.on_train_end(self)?;
        }
        Ok(history)
    }

    #[allow(clippy::too_many_arguments)]
    fn fit_loop(
        &self,
        compiled: &mut Compiled,
        train: &dyn BatchSource,
        val: Option<&dyn BatchSource>,
        epochs: usize,
        batch_size: usize,
        shuffle: bool,
        verbose: u8,
        callbacks: &mut [Box<dyn Callback + '_>],
    ) -> Result<History> {
        let epochs = capped_epochs(epochs);
        let plan = self.plan()?;
        let out_shape = self.output_shape()?;
        let metrics = self.training_metrics(compiled, &out_shape)?;
        let mut names = vec!["loss".to_string()];
        names.extend(metrics.iter().map(|m| m.name.clone()));
        self.0.borrow_mut().stop_training = false;
        for cb in callbacks.iter_mut() {
            cb.on_train_begin(self)?;
        }
        let mut history = History::default();
        let total = train.num_batches(batch_size);
        for epoch in 0..epochs {
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(epoch, self)?;
            }
            if verbose >= 1 {
                println!("Epoch {}/{}", epoch + 1, epochs);
            }
            let mut bar = if verbose == 1 {
                ProgressBar::new(total.map(|t| t as u64))
            } else {
                ProgressBar::hidden(total.map(|t| t as u64))
            };
            let mut tally = Tally::new(names.clone(), plan.device);
            let mut last_msg = Instant::now();
            let mut msg = String::new();
            let mut stopped = false;
            let seed = crate::backend::next_seed();
            for (step, batch) in train.batches(batch_size, shuffle, seed)?.enumerate() {
                let batch = batch?;
                let y = batch.y.ok_or_else(|| {
                    Error::InvalidData("training batches need targets (y)".into())
                })?;
                let x = plan.prepare(&batch.x)?;
                let y = y.to_device(plan.device);
                let values = train_step(&plan, compiled, &metrics, &x, &y)?;
                tally.add(&values, x.size()[0]);
                if verbose == 1 {
                    if last_msg.elapsed() >= Duration::from_millis(100) || step == 0 {
                        msg = format_logs(&tally.logs(""));
                        last_msg = Instant::now();
                    }
                    bar.update(step as u64 + 1, &msg);
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
            if !stopped {
                if let Some(v) = val {
                    match evaluate_source(&plan, &compiled.loss, &metrics, &names, v, batch_size) {
                        Ok(vlogs) => {
                            logs.extend(vlogs.into_iter().map(|(k, v)| (format!("val_{k}"), v)))
                        }
                        // Interrupted while validating: keep what was trained.
                        Err(Error::Interrupted) => stopped = true,
                        Err(e) => return Err(e),
                    }
                }
            }
            let line = bar.finish(&format_logs(&logs));
            if verbose == 2 {
                println!("{}", verbose2_line(&line));
            } else if verbose == 1 && !bar_is_visible() {
                // No live bar (output captured or redirected): print Keras's final line.
                println!("{line}");
            }
            let pairs: Vec<(&str, f64)> = logs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            history.push_epoch(&pairs);
            if stopped {
                println!("Training interrupted during epoch {}: weights are kept, returning the history so far.", epoch + 1);
                break;
            }
            let epoch_logs: EpochLogs = logs;
            for cb in callbacks.iter_mut() {
                cb.on_epoch_end(epoch, &epoch_logs, self)?;
            }
            for cb in callbacks.iter_mut() {
                cb.on_history(&history, self)?;
            }
            if self.0.borrow().stop_training {
                break;
            }
        }
        Ok(history)
    }

    /// One gradient step on one batch (Keras's `train_on_batch`); returns the loss and metrics.
    pub fn train_on_batch(&self, x: &Tensor, y: &Tensor) -> Result<BTreeMap<String, f64>> {
        self.ensure_built(x.size().get(1..))?;
        self.check_targets(y)?;
        let plan = self.plan()?;
        let out_shape = self.output_shape()?;
        let mut compiled = self.take_compiled()?;
        let r = (|| {
            let metrics = self.training_metrics(&mut compiled, &out_shape)?;
            let values = train_step(
                &plan,
                &mut compiled,
                &metrics,
                &plan.prepare(x)?,
                &y.to_device(plan.device),
            )?;
            let mut out = BTreeMap::new();
            out.insert("loss".to_string(), values[0].double_value(&[]));
            for (m, v) in metrics.iter().zip(&values[1..]) {
                out.insert(m.name.clone(), v.double_value(&[]));
            }
            Ok(out)
        })();
        self.0.borrow_mut().compiled = Some(compiled);
        r
    }

    /// The compiled metrics resolved for outputs of `out_shape`; binds the optimizer to the
    /// weights on the first training call, so that later calls continue its state.
    fn training_metrics(&self, compiled: &mut Compiled, out_shape: &[i64]) -> Result<Vec<Metric>> {
        let metrics = compiled
            .metrics
            .iter()
            .map(|m| m.resolve(&compiled.loss, out_shape))
            .collect();
        if compiled.state.is_none() {
            compiled.state = Some(compiled.spec.bind(&self.params())?);
        }
        Ok(metrics)
    }
}

fn train_step(
    plan: &Plan,
    compiled: &mut Compiled,
    metrics: &[Metric],
    x: &Tensor,
    y: &Tensor,
) -> Result<Vec<Tensor>> {
    let state = compiled.state.as_mut().expect("bound");
    state.zero_grad()?;
    let (pred, logits) = plan.forward_with_logits(x, true);
    let loss = compiled
        .loss
        .compute_for_output(&pred, logits.as_ref(), y)?;
    if loss.requires_grad() {
        loss.backward();
        state.step()?;
    }
    let mut values = vec![loss.detach()];
    values.extend(metrics.iter().map(|m| m.compute(&pred, y)));
    Ok(values)
}

/// Keras's verbose=2 line: `469/469 - 5s - 10ms/step - accuracy: … - loss: …`.
fn verbose2_line(bar_line: &str) -> String {
    // bar_line: "469/469 ━━━━ 5s 10ms/step - metrics"
    let mut parts = bar_line.splitn(4, ' ');
    let count = parts.next().unwrap_or("");
    let _bar = parts.next();
    let secs = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    let (step, metrics) = rest.split_once(" - ").unwrap_or((rest, ""));
    if metrics.is_empty() {
        format!("{count} - {secs} - {step}")
    } else {
        format!("{count} - {secs} - {step} - {metrics}")
    }
}

/// Whether a verbose=1 bar is drawn live: in the notebook, or on a terminal's stderr.
fn bar_is_visible() -> bool {
    use std::io::IsTerminal;
    crate::runtime::in_notebook() || std::io::stderr().is_terminal()
}

/// Quick mode for tests and CI: `FERROKERAS_MAX_EPOCHS=n` caps every `fit` at `n` epochs, so a
/// course notebook runs end to end unchanged (with `FERROKERAS_SAMPLE` capping the data).
pub fn capped_epochs(epochs: usize) -> usize {
    match std::env::var("FERROKERAS_MAX_EPOCHS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(cap) if cap > 0 => epochs.min(cap),
        _ => epochs,
    }
}
