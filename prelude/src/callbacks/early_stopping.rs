//! `EarlyStopping` and `TerminateOnNaN`.

use super::{lower_is_better, monitored, Callback, EpochLogs};
use crate::error::Result;
use crate::models::Model;
use tch::Tensor;

/// Keras's `EarlyStopping`: stops `fit` when `monitor` has not improved by more than
/// `min_delta` for `patience` epochs; optionally restores the best weights.
///
/// ```
/// use ferrokeras::prelude::*;
/// let es = EarlyStopping::new("val_loss").patience(3).restore_best_weights(true);
/// assert_eq!(es.patience, 3);
/// ```
pub struct EarlyStopping {
    /// The logged value watched (`val_loss` by default).
    pub monitor: String,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// The least change that counts as an improvement.
    pub min_delta: f64,
    /// `auto`, `min` or `max`.
    pub mode: String,
    /// Put back the weights of the best epoch when stopping.
    pub restore_best_weights: bool,
    /// The epoch (0-based) at which training stopped, if it did.
    pub stopped_epoch: Option<usize>,
    /// The best monitored value seen.
    pub best: Option<f64>,
    /// The epoch of the best value.
    pub best_epoch: Option<usize>,
    wait: usize,
    best_weights: Option<Vec<Tensor>>,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        Self::new("val_loss")
    }
}

impl EarlyStopping {
    /// Watches `monitor` with Keras's defaults (patience 0, min_delta 0, mode auto).
    pub fn new(monitor: &str) -> Self {
        EarlyStopping {
            monitor: monitor.to_string(),
            patience: 0,
            min_delta: 0.0,
            mode: "auto".into(),
            restore_best_weights: false,
            stopped_epoch: None,
            best: None,
            best_epoch: None,
            wait: 0,
            best_weights: None,
        }
    }
    /// Epochs without improvement before stopping.
    pub fn patience(mut self, p: usize) -> Self {
        self.patience = p;
        self
    }
    /// The least change that counts as an improvement.
    pub fn min_delta(mut self, d: f64) -> Self {
        self.min_delta = d.abs();
        self
    }
    /// `auto`, `min` or `max`.
    pub fn mode(mut self, m: &str) -> Self {
        self.mode = m.to_string();
        self
    }
    /// Restore the best epoch's weights when stopping.
    pub fn restore_best_weights(mut self, yes: bool) -> Self {
        self.restore_best_weights = yes;
        self
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _model: &Model) -> Result<()> {
        lower_is_better(&self.mode, &self.monitor)?;
        self.wait = 0;
        self.stopped_epoch = None;
        self.best = None;
        self.best_epoch = None;
        self.best_weights = None;
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, model: &Model) -> Result<()> {
        let Some(value) = monitored(logs, &self.monitor)? else {
            return Ok(());
        };
        let lower = lower_is_better(&self.mode, &self.monitor)?;
        let improved = match self.best {
            None => true,
            Some(b) if lower => value < b - self.min_delta,
            Some(b) => value > b + self.min_delta,
        };
        if improved {
            self.best = Some(value);
            self.best_epoch = Some(epoch);
            self.wait = 0;
            if self.restore_best_weights {
                self.best_weights = Some(model.get_weights());
            }
            return Ok(());
        }
        self.wait += 1;
        if self.wait >= self.patience.max(1) {
            self.stopped_epoch = Some(epoch);
            model.stop_training();
            if let Some(w) = &self.best_weights {
                model.set_weights(w)?;
                println!(
                    "Restoring model weights from the end of the best epoch: {}.",
                    self.best_epoch.map_or(0, |e| e + 1)
                );
            }
            println!("Epoch {}: early stopping", epoch + 1);
        }
        Ok(())
    }
}

/// Keras's `TerminateOnNaN`: stops `fit` as soon as the loss is NaN or infinite.
#[derive(Default)]
pub struct TerminateOnNaN {
    /// Whether it stopped training.
    pub terminated: bool,
}

impl TerminateOnNaN {
    /// A new `TerminateOnNaN`.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Callback for TerminateOnNaN {
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, model: &Model) -> Result<()> {
        if logs.get("loss").is_some_and(|l| !l.is_finite()) {
            println!("Epoch {}: invalid loss, terminating training", epoch + 1);
            self.terminated = true;
            model.stop_training();
        }
        Ok(())
    }
}
