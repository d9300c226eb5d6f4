//! `compile`: the optimizer, losses and metrics a model trains with.

use crate::error::{Error, Result};
use crate::losses::Losses;
use crate::metrics::{Metric, Metrics};
use crate::models::{Compiled, Model};
use crate::optimizers::{OptimizerArg, OptimizerSpec};

impl Model {
    /// Configures training: optimizer, loss and metrics, by id or typed. A model of several
    /// outputs takes one loss for all or one per output, with optional weights:
    /// `Losses::from(["binary_crossentropy", "categorical_crossentropy"]).weights([1.0, 0.2])`.
    /// Metrics that sample weights weigh (Keras's `weighted_metrics`):
    /// `Metrics::from(["accuracy"]).weighted(["accuracy"])`.
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
        loss: impl Into<Losses>,
        metrics: impl Into<Metrics>,
    ) -> Result<()> {
        let spec = optimizer.into().resolve()?;
        let loss = loss.into();
        let losses = loss.resolve()?;
        if losses.is_empty() {
            return Err(Error::InvalidArgument("compile needs a loss".into()));
        }
        let metrics = metrics.into();
        let parse = |ids: &[String]| {
            ids.iter()
                .map(|m| Metric::parse(m))
                .collect::<Result<Vec<_>>>()
        };
        let (plain, weighted) = (parse(&metrics.metrics)?, parse(&metrics.weighted_metrics)?);
        // A new optimizer starts from its own learning rate.
        self.set_learning_rate_override(None);
        self.set_compiled(Compiled::new(
            spec,
            losses,
            loss.loss_weights,
            plain,
            weighted,
        ));
        Ok(())
    }

    /// Whether `compile` was called.
    pub fn is_compiled(&self) -> bool {
        self.read_compiled(|c| c.is_some())
    }

    /// The compiled optimizer.
    pub fn optimizer(&self) -> Option<OptimizerSpec> {
        self.read_compiled(|c| c.map(|c| c.spec))
    }

    /// The optimizer's learning rate now (Keras's `model.optimizer.learning_rate`), also
    /// while `fit` runs (for callbacks).
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// let model = Sequential::new().add(Input::new([4])).add(Dense::new(1));
    /// model.compile(SGD { learning_rate: 0.1, ..Default::default() }, "mse", ()).unwrap();
    /// assert_eq!(model.learning_rate().unwrap(), 0.1);
    /// model.set_learning_rate(0.05).unwrap();
    /// assert_eq!(model.learning_rate().unwrap(), 0.05);
    /// assert_eq!(model.optimizer().unwrap().learning_rate(), 0.05);
    /// ```
    pub fn learning_rate(&self) -> Result<f64> {
        if let Some(lr) = self.learning_rate_override() {
            return Ok(lr);
        }
        self.read_compiled(|c| c.map(|c| c.spec.learning_rate()))
            .ok_or_else(|| not_compiled(&self.name()))
    }

    /// Sets the learning rate; the optimizer keeps its state (moments, accumulators). Works
    /// during `fit`: the next training step uses it (what `LearningRateScheduler` does).
    pub fn set_learning_rate(&self, lr: f64) -> Result<()> {
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(Error::InvalidArgument(format!(
                "the learning rate must be a finite number >= 0, got {lr}"
            )));
        }
        self.set_learning_rate_override(Some(lr));
        // Outside `fit` apply it now, so that `model.optimizer()` shows it.
        if let Some(mut c) = self.take_compiled() {
            let r = sync_learning_rate(self, &mut c);
            self.set_compiled(c);
            r?;
        }
        Ok(())
    }

    /// Runs `f` with the compile state taken out of the model (so that `f` may use the model
    /// freely), and puts it back whatever `f` returns.
    pub(crate) fn with_compiled<R>(&self, f: impl FnOnce(&mut Compiled) -> Result<R>) -> Result<R> {
        let mut compiled = self
            .take_compiled()
            .ok_or_else(|| not_compiled(&self.name()))?;
        // The settings stay in the model while `f` runs, so that a callback saving the model
        // (ModelCheckpoint writing `best_model.keras`) saves them too.
        self.set_compiled(compiled.settings());
        let r = sync_learning_rate(self, &mut compiled).and_then(|()| f(&mut compiled));
        self.set_compiled(compiled);
        r
    }
}

fn not_compiled(name: &str) -> Error {
    Error::NotReady(format!(
        "model '{name}' must be compiled before training or evaluation: call model.compile(optimizer, loss, metrics) first"
    ))
}

/// Applies the learning rate set on the model (by the user or a callback) to the compiled
/// optimizer, keeping the optimizer's state.
pub(crate) fn sync_learning_rate(model: &Model, compiled: &mut Compiled) -> Result<()> {
    // While the compile state is out of the model (during `fit`), `model.learning_rate()`
    // reads this copy.
    let lr = match model.learning_rate_override() {
        Some(lr) => lr,
        None => {
            let lr = compiled.spec.learning_rate();
            model.set_learning_rate_override(Some(lr));
            lr
        }
    };
    if compiled.spec.learning_rate() != lr {
        compiled.spec.set_learning_rate(lr);
        // Busy while a train step of the user's runs: the next batch applies it.
        if let Ok(mut state) = compiled.state.try_borrow_mut() {
            if let Some(state) = state.as_mut() {
                state.set_learning_rate(lr);
            }
        }
    }
    Ok(())
}
