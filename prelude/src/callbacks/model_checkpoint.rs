//! `ModelCheckpoint`: saves the model (or its weights) during `fit`.

use super::{lower_is_better, monitored, Callback, EpochLogs};
use crate::error::Result;
use crate::models::Model;
use std::path::PathBuf;

/// Keras's `ModelCheckpoint`: saves after each epoch, or only when `monitor` improves with
/// `save_best_only`. The file is what its name says, as [`Model::save`] and
/// [`Model::save_weights`] choose: `best_model.keras` or `best_model.h5` are Keras's files
/// (Keras loads them), `x.weights.h5` Keras 3's weights, any other name safetensors.
///
/// `{epoch}` in the path is replaced by the 1-based epoch number.
pub struct ModelCheckpoint {
    /// Where to save.
    pub filepath: PathBuf,
    /// The logged value compared with `save_best_only`.
    pub monitor: String,
    /// Only save when `monitor` improves.
    pub save_best_only: bool,
    /// Save only the weights rather than the whole model.
    pub save_weights_only: bool,
    /// `auto`, `min` or `max`.
    pub mode: String,
    /// The best monitored value so far.
    pub best: Option<f64>,
}

impl ModelCheckpoint {
    /// Saves to `filepath` each epoch, monitoring `val_loss`.
    pub fn new(filepath: impl Into<PathBuf>) -> Self {
        ModelCheckpoint {
            filepath: filepath.into(),
            monitor: "val_loss".into(),
            save_best_only: false,
            save_weights_only: false,
            mode: "auto".into(),
            best: None,
        }
    }
    /// The value to monitor.
    pub fn monitor(mut self, m: &str) -> Self {
        self.monitor = m.to_string();
        self
    }
    /// Only save on improvement.
    pub fn save_best_only(mut self, yes: bool) -> Self {
        self.save_best_only = yes;
        self
    }
    /// Save weights only.
    pub fn save_weights_only(mut self, yes: bool) -> Self {
        self.save_weights_only = yes;
        self
    }
    /// `auto`, `min` or `max`.
    pub fn mode(mut self, m: &str) -> Self {
        self.mode = m.to_string();
        self
    }
}

impl Callback for ModelCheckpoint {
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, model: &Model) -> Result<()> {
        if self.save_best_only {
            let Some(value) = monitored(logs, &self.monitor)? else {
                return Ok(());
            };
            let lower = lower_is_better(&self.mode, &self.monitor)?;
            let better = match self.best {
                None => true,
                Some(b) => {
                    if lower {
                        value < b
                    } else {
                        value > b
                    }
                }
            };
            if !better {
                return Ok(());
            }
            self.best = Some(value);
        }
        let path = PathBuf::from(
            self.filepath
                .to_string_lossy()
                .replace("{epoch}", &format!("{:02}", epoch + 1)),
        );
        if self.save_weights_only {
            model.save_weights(&path)
        } else {
            model.save(&path)
        }
    }
}
