//! `LambdaCallback`: a callback made of closures.

use super::{Callback, EpochLogs, RunningLogs};
use crate::error::Result;
use crate::models::Model;

type Hook<A> = Option<Box<dyn FnMut(A)>>;
type LogsHook = Option<Box<dyn FnMut(usize, &EpochLogs)>>;
type EndHook = Option<Box<dyn FnMut(&EpochLogs)>>;
type BatchEndHook = Option<Box<dyn FnMut(usize, &dyn RunningLogs)>>;

/// Keras's `LambdaCallback`: closures for `on_epoch_begin(epoch)`, `on_epoch_end(epoch, logs)`,
/// `on_train_begin()`, `on_train_end(logs)`, `on_train_batch_begin(batch)` and
/// `on_train_batch_end(batch, logs)`, each optional.
///
/// ```
/// use ferrokeras::prelude::*;
/// use std::{cell::RefCell, rc::Rc};
/// # fn main() -> ferrokeras::Result<()> {
/// let losses = Rc::new(RefCell::new(Vec::new()));
/// let seen = losses.clone();
/// let print_loss = LambdaCallback::new()
///     .on_epoch_end(move |epoch, logs| seen.borrow_mut().push((epoch, logs["loss"])));
/// let x = Tensor::rand([8, 2], (Kind::Float, Device::Cpu));
/// let model = Sequential::new().add(Input::new([2])).add(Dense::new(2));
/// model.compile("sgd", "mse", ())?;
/// model.fit(&x, &x, Fit { epochs: 2, verbose: 0, ..Default::default() }.callback(print_loss))?;
/// assert_eq!(losses.borrow().len(), 2);
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct LambdaCallback {
    epoch_begin: Hook<usize>,
    epoch_end: LogsHook,
    train_begin: Hook<()>,
    train_end: EndHook,
    batch_begin: Hook<usize>,
    batch_end: BatchEndHook,
}

impl LambdaCallback {
    /// A callback that does nothing until given closures.
    pub fn new() -> Self {
        Self::default()
    }
    /// Called with the epoch (0-based) before each epoch.
    pub fn on_epoch_begin(mut self, f: impl FnMut(usize) + 'static) -> Self {
        self.epoch_begin = Some(Box::new(f));
        self
    }
    /// Called with the epoch and its logs after each epoch.
    pub fn on_epoch_end(mut self, f: impl FnMut(usize, &EpochLogs) + 'static) -> Self {
        self.epoch_end = Some(Box::new(f));
        self
    }
    /// Called before training.
    pub fn on_train_begin(mut self, mut f: impl FnMut() + 'static) -> Self {
        self.train_begin = Some(Box::new(move |()| f()));
        self
    }
    /// Called after training with the last epoch's logs.
    pub fn on_train_end(mut self, f: impl FnMut(&EpochLogs) + 'static) -> Self {
        self.train_end = Some(Box::new(f));
        self
    }
    /// Called with the batch (0-based in its epoch) before each training batch.
    pub fn on_train_batch_begin(mut self, f: impl FnMut(usize) + 'static) -> Self {
        self.batch_begin = Some(Box::new(f));
        self
    }
    /// Called with the batch and the epoch's running values after each training batch
    /// (`logs.values()` reads them, which waits for the device).
    pub fn on_train_batch_end(mut self, f: impl FnMut(usize, &dyn RunningLogs) + 'static) -> Self {
        self.batch_end = Some(Box::new(f));
        self
    }
}

impl Callback for LambdaCallback {
    fn on_train_begin(&mut self, _model: &Model) -> Result<()> {
        if let Some(f) = self.train_begin.as_mut() {
            f(());
        }
        Ok(())
    }
    fn on_train_end(&mut self, logs: &EpochLogs, _model: &Model) -> Result<()> {
        if let Some(f) = self.train_end.as_mut() {
            f(logs);
        }
        Ok(())
    }
    fn on_epoch_begin(&mut self, epoch: usize, _model: &Model) -> Result<()> {
        if let Some(f) = self.epoch_begin.as_mut() {
            f(epoch);
        }
        Ok(())
    }
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, _model: &Model) -> Result<()> {
        if let Some(f) = self.epoch_end.as_mut() {
            f(epoch, logs);
        }
        Ok(())
    }
    fn on_train_batch_begin(&mut self, step: usize, _model: &Model) -> Result<()> {
        if let Some(f) = self.batch_begin.as_mut() {
            f(step);
        }
        Ok(())
    }
    fn on_train_batch_end(
        &mut self,
        step: usize,
        logs: &dyn RunningLogs,
        _model: &Model,
    ) -> Result<()> {
        if let Some(f) = self.batch_end.as_mut() {
            f(step, logs);
        }
        Ok(())
    }
}
