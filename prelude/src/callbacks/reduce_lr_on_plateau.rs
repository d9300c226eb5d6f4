//! `ReduceLROnPlateau`: lowers the learning rate when a monitored value stops improving.

use super::{monitored, Callback, EpochLogs};
use crate::error::{Error, Result};
use crate::models::Model;

/// Keras's `ReduceLROnPlateau`, with its arguments and defaults: `monitor="val_loss"`,
/// `factor=0.1`, `patience=10`, `verbose=0`, `mode="auto"`, `min_delta=1e-4`, `cooldown=0`,
/// `min_lr=0`. After `patience` epochs without an improvement of more than `min_delta` the
/// rate is multiplied by `factor` (not below `min_lr`), then `cooldown` epochs pass before
/// waiting again. Each epoch's logs get `learning_rate` (the rate that epoch trained with).
///
/// ```
/// use ferrokeras::prelude::*;
/// let reduce = ReduceLROnPlateau::new("val_loss").factor(0.2).patience(5).min_lr(0.001);
/// assert_eq!((reduce.factor, reduce.patience, reduce.min_lr), (0.2, 5, 0.001));
/// ```
pub struct ReduceLROnPlateau {
    /// The logged value watched.
    pub monitor: String,
    /// What the rate is multiplied by (below 1).
    pub factor: f64,
    /// Epochs without improvement before reducing.
    pub patience: usize,
    /// 1 prints each reduction.
    pub verbose: u8,
    /// `auto`, `min` or `max`.
    pub mode: String,
    /// The least change that counts as an improvement.
    pub min_delta: f64,
    /// Epochs to wait after a reduction before counting again.
    pub cooldown: usize,
    /// The lowest rate.
    pub min_lr: f64,
    best: f64,
    wait: usize,
    cooldown_counter: usize,
}

impl Default for ReduceLROnPlateau {
    fn default() -> Self {
        Self::new("val_loss")
    }
}

impl ReduceLROnPlateau {
    /// Watches `monitor` with Keras's defaults.
    pub fn new(monitor: &str) -> Self {
        ReduceLROnPlateau {
            monitor: monitor.to_string(),
            factor: 0.1,
            patience: 10,
            verbose: 0,
            mode: "auto".into(),
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            best: f64::INFINITY,
            wait: 0,
            cooldown_counter: 0,
        }
    }
    /// What the rate is multiplied by.
    pub fn factor(mut self, f: f64) -> Self {
        self.factor = f;
        self
    }
    /// Epochs without improvement before reducing.
    pub fn patience(mut self, p: usize) -> Self {
        self.patience = p;
        self
    }
    /// 1 prints each reduction.
    pub fn verbose(mut self, v: u8) -> Self {
        self.verbose = v;
        self
    }
    /// `auto`, `min` or `max`.
    pub fn mode(mut self, m: &str) -> Self {
        self.mode = m.to_string();
        self
    }
    /// The least change that counts as an improvement.
    pub fn min_delta(mut self, d: f64) -> Self {
        self.min_delta = d;
        self
    }
    /// Epochs to wait after a reduction.
    pub fn cooldown(mut self, c: usize) -> Self {
        self.cooldown = c;
        self
    }
    /// The lowest rate.
    pub fn min_lr(mut self, lr: f64) -> Self {
        self.min_lr = lr;
        self
    }

    /// Keras's rule: `min`, or `auto` for a monitor without "acc" in its name, wants lower.
    fn lower_is_better(&self) -> Result<bool> {
        match self.mode.as_str() {
            "min" => Ok(true),
            "max" => Ok(false),
            "auto" => Ok(!self.monitor.contains("acc")),
            _ => Err(Error::UnknownId {
                kind: "mode",
                got: self.mode.clone(),
                valid: vec!["auto", "min", "max"],
            }),
        }
    }

    fn improved(&self, current: f64) -> Result<bool> {
        Ok(if self.lower_is_better()? {
            current < self.best - self.min_delta
        } else {
            current > self.best + self.min_delta
        })
    }
}

impl Callback for ReduceLROnPlateau {
    fn on_train_begin(&mut self, _model: &Model) -> Result<()> {
        if self.factor >= 1.0 {
            return Err(Error::InvalidArgument(format!(
                "ReduceLROnPlateau does not support a factor >= 1.0, got {}",
                self.factor
            )));
        }
        let lower = self.lower_is_better()?;
        self.best = if lower {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
        self.wait = 0;
        self.cooldown_counter = 0;
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, model: &Model) -> Result<()> {
        // Logged before any reduction: the rate this epoch trained with.
        logs.insert("learning_rate".into(), model.learning_rate()?);
        let Some(current) = monitored(logs, &self.monitor)? else {
            return Ok(());
        };
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.improved(current)? {
            self.best = current;
            self.wait = 0;
        } else if self.cooldown_counter == 0 {
            self.wait += 1;
            if self.wait >= self.patience {
                let old = model.learning_rate()?;
                // Keras compares with min_lr as a float32.
                if old > self.min_lr as f32 as f64 {
                    let new = (old * self.factor).max(self.min_lr);
                    model.set_learning_rate(new)?;
                    if self.verbose > 0 {
                        println!(
                            "\nEpoch {}: ReduceLROnPlateau reducing learning rate to {new}.",
                            epoch + 1
                        );
                    }
                    self.cooldown_counter = self.cooldown;
                    self.wait = 0;
                }
            }
        }
        Ok(())
    }
}
