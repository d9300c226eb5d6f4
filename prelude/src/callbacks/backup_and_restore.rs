//! `BackupAndRestore`: resumes a `fit` that was interrupted, from its last finished epoch.

use super::{Callback, EpochLogs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::atomic_file::write_atomic;
use std::path::PathBuf;

/// Keras's `BackupAndRestore(backup_dir, delete_checkpoint=True)` (with `save_freq="epoch"`):
/// after each epoch it saves the weights and the epoch number in `backup_dir`; when `fit`
/// starts and a backup is there, it loads the weights and `fit` goes on from the epoch after
/// it. A `fit` that ends normally deletes the backup (unless `delete_checkpoint(false)`); one
/// that was interrupted (■ in the notebook) or failed keeps it, so running the cell again
/// resumes.
///
/// ```
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let backup = BackupAndRestore::new(dir.path().join("backup")).delete_checkpoint(false);
/// let x = Tensor::rand([8, 2], (Kind::Float, Device::Cpu));
/// let model = Sequential::new().add(Input::new([2])).add(Dense::new(2));
/// model.compile("sgd", "mse", ())?;
/// model.fit(&x, &x, Fit { epochs: 2, verbose: 0, ..Default::default() }.callback(backup))?;
/// // A second fit finds the backup of epoch 2 and runs only epochs 3 and 4.
/// let again = BackupAndRestore::new(dir.path().join("backup"));
/// let h = model.fit(&x, &x, Fit { epochs: 4, verbose: 0, ..Default::default() }.callback(again))?;
/// assert_eq!(h.epochs(), 2);
/// assert!(!dir.path().join("backup").exists());
/// # Ok(())
/// # }
/// ```
pub struct BackupAndRestore {
    /// Where the backup is kept.
    pub backup_dir: PathBuf,
    /// Delete the backup when `fit` ends normally.
    pub delete_checkpoint: bool,
    /// Whether the current `fit` was interrupted (then the backup stays).
    interrupted: bool,
}

impl BackupAndRestore {
    /// Backs up into `backup_dir` (created when needed).
    pub fn new(backup_dir: impl Into<PathBuf>) -> Self {
        BackupAndRestore {
            backup_dir: backup_dir.into(),
            delete_checkpoint: true,
            interrupted: false,
        }
    }
    /// Whether to delete the backup when training ends normally (default `true`).
    pub fn delete_checkpoint(mut self, yes: bool) -> Self {
        self.delete_checkpoint = yes;
        self
    }

    fn weights_path(&self) -> PathBuf {
        self.backup_dir.join("latest.weights.safetensors")
    }

    fn metadata_path(&self) -> PathBuf {
        self.backup_dir.join("training_metadata.json")
    }
}

impl Callback for BackupAndRestore {
    fn on_train_begin(&mut self, model: &Model) -> Result<()> {
        self.interrupted = false;
        let (weights, meta) = (self.weights_path(), self.metadata_path());
        if !(weights.is_file() && meta.is_file()) {
            return Ok(());
        }
        let text = std::fs::read_to_string(&meta).map_err(|e| Error::io(&meta, e))?;
        let epoch = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["epoch"].as_u64())
            .ok_or_else(|| Error::CorruptFile {
                path: meta.clone(),
                expected:
                    "a JSON object with an \"epoch\" number (BackupAndRestore's training metadata)"
                        .into(),
            })?;
        model.load_weights(&weights)?;
        model.set_initial_epoch(epoch as usize);
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, _logs: &mut EpochLogs, model: &Model) -> Result<()> {
        std::fs::create_dir_all(&self.backup_dir).map_err(|e| Error::io(&self.backup_dir, e))?;
        // Weights first, then the epoch: a crash between the two resumes one epoch early with
        // newer weights, never at a later epoch with older ones.
        model.save_weights(self.weights_path())?;
        let meta = serde_json::json!({ "epoch": epoch + 1, "batch": 0 });
        write_atomic(&self.metadata_path(), meta.to_string().as_bytes())
    }

    fn on_epoch_interrupted(
        &mut self,
        _epoch: usize,
        _logs: &EpochLogs,
        _model: &Model,
    ) -> Result<()> {
        self.interrupted = true;
        Ok(())
    }

    fn on_train_end(&mut self, _logs: &EpochLogs, _model: &Model) -> Result<()> {
        if self.delete_checkpoint && !self.interrupted && self.backup_dir.exists() {
            std::fs::remove_dir_all(&self.backup_dir)
                .map_err(|e| Error::io(&self.backup_dir, e))?;
        }
        Ok(())
    }
}
