//! Keras's `keras.callbacks`: hooks into `fit`, and the `History` it returns.
//!
//! Write your own by implementing [`Callback`] (every method has a default). `fit`,
//! `evaluate` and `predict` call them through a [`CallbackList`], as Keras does.

pub mod backup_and_restore;
pub mod callback;
pub mod callback_list;
pub mod csv_logger;
pub mod early_stopping;
pub mod history;
pub mod lambda_callback;
pub mod learning_rate_scheduler;
pub mod model_checkpoint;
pub mod progbar_logger;
pub mod reduce_lr_on_plateau;

pub use backup_and_restore::BackupAndRestore;
pub use callback::Callback;
pub use callback_list::CallbackList;
pub use csv_logger::CSVLogger;
pub use early_stopping::{EarlyStopping, TerminateOnNaN};
pub use history::History;
pub use lambda_callback::LambdaCallback;
pub use learning_rate_scheduler::LearningRateScheduler;
pub use model_checkpoint::ModelCheckpoint;
pub use progbar_logger::ProgbarLogger;
pub use reduce_lr_on_plateau::ReduceLROnPlateau;

use std::collections::BTreeMap;

/// One epoch's values by name: `loss`, `accuracy`, `val_loss`, …
pub type EpochLogs = BTreeMap<String, f64>;

/// The running values of the epoch so far, computed only when asked (reading them waits for
/// the device, so a progress bar asks a few times a second, not every batch).
pub trait RunningLogs {
    /// The loss and metrics averaged over the epoch's batches so far.
    fn values(&self) -> EpochLogs;
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

/// Values already read (what a custom train step returns) are their own running values.
impl RunningLogs for EpochLogs {
    fn values(&self) -> EpochLogs {
        self.clone()
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
