//! Keras's `keras.callbacks`: hooks into `fit`, and the `History` it returns.
//!
//! Write your own by implementing [`Callback`] (every method has a default).

pub mod early_stopping;
pub mod history;
pub mod model_checkpoint;
pub mod progbar_logger;

pub use early_stopping::{EarlyStopping, TerminateOnNaN};
pub use history::History;
pub use model_checkpoint::ModelCheckpoint;
pub use progbar_logger::ProgbarLogger;

use crate::error::Result;
use crate::models::Model;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One epoch's values by name: `loss`, `accuracy`, `val_loss`, …
pub type EpochLogs = BTreeMap<String, f64>;

/// The running values of the epoch so far, computed only when asked (reading them waits for
/// the device, so a progress bar asks a few times a second, not every batch).
pub trait RunningLogs {
    /// The loss and metrics averaged over the epoch's batches so far.
    fn values(&self) -> EpochLogs;
}

/// A hook into `fit`. Call `model.stop_training()` to stop after the current epoch.
pub trait Callback {
    /// Before the first epoch.
    fn on_train_begin(&mut self, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// Before each epoch (0-based).
    fn on_epoch_begin(&mut self, _epoch: usize, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After each training batch (`step` is 0-based), with the epoch's running values.
    fn on_train_batch_end(
        &mut self,
        _step: usize,
        _logs: &dyn RunningLogs,
        _model: &Model,
    ) -> Result<()> {
        Ok(())
    }
    /// After each epoch, with its training and validation values.
    fn on_epoch_end(&mut self, _epoch: usize, _logs: &EpochLogs, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After each epoch (after `on_epoch_end`), with this `fit`'s history so far — what a
    /// live plot redraws.
    fn on_history(&mut self, _history: &History, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After the last epoch.
    fn on_train_end(&mut self, _model: &Model) -> Result<()> {
        Ok(())
    }
}

/// A shared callback stays inspectable after `fit` (e.g. `early.borrow().stopped_epoch`).
impl<C: Callback> Callback for Rc<RefCell<C>> {
    fn on_train_begin(&mut self, model: &Model) -> Result<()> {
        self.borrow_mut().on_train_begin(model)
    }
    fn on_epoch_begin(&mut self, epoch: usize, model: &Model) -> Result<()> {
        self.borrow_mut().on_epoch_begin(epoch, model)
    }
    fn on_train_batch_end(
        &mut self,
        step: usize,
        logs: &dyn RunningLogs,
        model: &Model,
    ) -> Result<()> {
        self.borrow_mut().on_train_batch_end(step, logs, model)
    }
    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs, model: &Model) -> Result<()> {
        self.borrow_mut().on_epoch_end(epoch, logs, model)
    }
    fn on_history(&mut self, history: &History, model: &Model) -> Result<()> {
        self.borrow_mut().on_history(history, model)
    }
    fn on_train_end(&mut self, model: &Model) -> Result<()> {
        self.borrow_mut().on_train_end(model)
    }
}

/// Whether `mode` (`min`, `max`, `auto`) means lower is better for `monitor`.
pub(crate) fn lower_is_better(mode: &str, monitor: &str) -> crate::Result<bool> {
    match mode {
        "min" => Ok(true),
        "max" => Ok(false),
        "auto" => Ok(!(monitor.contains("acc") || monitor.contains("auc"))),
        _ => Err(crate::Error::UnknownId {
            kind: "mode",
            got: mode.to_string(),
            valid: vec!["auto", "min", "max"],
        }),
    }
}

pub(crate) fn monitored(logs: &EpochLogs, monitor: &str) -> crate::Result<Option<f64>> {
    match logs.get(monitor) {
        Some(v) => Ok(Some(*v)),
        None => {
            // Keras warns and carries on when the monitored value is not logged.
            println!(
                "Warning: callback monitors '{monitor}', which is not available; available: {}",
                logs.keys().cloned().collect::<Vec<_>>().join(", ")
            );
            Ok(None)
        }
    }
}

/// `accuracy: 0.8759 - loss: 0.4314`: train values before `val_` ones, each alphabetical
/// (Keras's order in a progress line).
pub fn format_logs(logs: &EpochLogs) -> String {
    let mut keys: Vec<&String> = logs.keys().collect();
    keys.sort_by_key(|k| (k.starts_with("val_"), k.as_str()));
    keys.iter()
        .map(|k| format!("{k}: {:.4}", logs[*k]))
        .collect::<Vec<_>>()
        .join(" - ")
}
