//! `compile`: the optimizer, losses and metrics a model trains with.

use crate::error::{Error, Result};
use crate::losses::Losses;
use crate::metrics::{IntoMetrics, Metric};
use crate::models::{Compiled, Model};
use crate::optimizers::{OptimizerArg, OptimizerSpec};

impl Model {
    /// Configures training: optimizer, loss and metrics, by id or typed. A model of several
    /// outputs takes one loss for all or one per output, with optional weights:
    /// `Losses::from(["binary_crossentropy", "categorical_crossentropy"]).weights([1.0, 0.2])`.
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
        metrics: impl IntoMetrics,
    ) -> Result<()> {
        let spec = optimizer.into().resolve()?;
        let loss = loss.into();
        let losses = loss.resolve()?;
        if losses.is_empty() {
            return Err(Error::InvalidArgument("compile needs a loss".into()));
        }
        let metrics = metrics
            .metric_ids()
            .iter()
            .map(|m| Metric::parse(m))
            .collect::<Result<Vec<_>>>()?;
        self.0.borrow_mut().compiled = Some(Compiled {
            spec,
            state: None,
            losses,
            loss_weights: loss.loss_weights,
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

    /// Runs `f` with the compile state taken out of the model (so that `f` may use the model
    /// freely), and puts it back whatever `f` returns.
    pub(crate) fn with_compiled<R>(&self, f: impl FnOnce(&mut Compiled) -> Result<R>) -> Result<R> {
        let taken = self.0.borrow_mut().compiled.take();
        let mut compiled = taken.ok_or_else(|| {
            Error::NotReady(format!(
                "model '{}' must be compiled before training or evaluation: call model.compile(optimizer, loss, metrics) first",
                self.name()
            ))
        })?;
        // The settings stay in the model while `f` runs, so that a callback saving the model
        // (ModelCheckpoint writing `best_model.keras`) saves them too.
        self.0.borrow_mut().compiled = Some(compiled.settings());
        let r = f(&mut compiled);
        self.0.borrow_mut().compiled = Some(compiled);
        r
    }
}
