//! The [`Callback`] trait: every hook Keras's `keras.callbacks.Callback` has.

use super::{EpochLogs, History, RunningLogs};
use crate::error::Result;
use crate::models::Model;
use std::cell::RefCell;
use std::rc::Rc;
use tch::Tensor;

/// A hook into `fit`, `evaluate` and `predict`, with Keras's methods (every one has a default
/// that does nothing). Call `model.stop_training()` to stop `fit` after the current batch.
///
/// `fit` calls, in order: `on_train_begin`; per epoch `on_epoch_begin`, per batch
/// `on_train_batch_begin`/`on_train_batch_end`, then (with validation data) `on_test_begin`,
/// per batch `on_test_batch_begin`/`on_test_batch_end`, `on_test_end`, then `on_epoch_end`;
/// finally `on_train_end`. `evaluate` calls the `on_test_*` hooks, `predict` the
/// `on_predict_*` ones. Two hooks are ferrokeras's own: `on_epoch_interrupted` (the user
/// pressed ■ during the epoch) and `on_history` (what a live plot redraws).
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::callbacks::EpochLogs;
/// struct PrintLoss;
/// impl Callback for PrintLoss {
///     fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, _model: &Model) -> Result<()> {
///         println!("epoch {epoch}: loss {:.3}", logs["loss"]);
///         Ok(())
///     }
/// }
/// # fn main() -> ferrokeras::Result<()> {
/// let x = Tensor::rand([16, 2], (Kind::Float, Device::Cpu));
/// let model = Sequential::new().add(Input::new([2])).add(Dense::new(1));
/// model.compile("sgd", "mse", ())?;
/// model.fit(&x, &x.sum_dim_intlist(1, true, Kind::Float), Fit { verbose: 0, ..Default::default() }.callback(PrintLoss))?;
/// # Ok(())
/// # }
/// ```
pub trait Callback {
    /// Before the first epoch of `fit`.
    fn on_train_begin(&mut self, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After the last epoch of `fit` (also after an interrupted one), with the last epoch's logs.
    fn on_train_end(&mut self, _logs: &EpochLogs, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// Before each epoch (0-based).
    fn on_epoch_begin(&mut self, _epoch: usize, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After each epoch, with its training and validation values. As in Keras the logs may be
    /// changed: `LearningRateScheduler` adds `learning_rate`, which the `History` then records.
    fn on_epoch_end(&mut self, _epoch: usize, _logs: &mut EpochLogs, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// Instead of `on_epoch_end` when the user interrupted the epoch (■ or Ctrl-C): `logs` holds
    /// the values of the batches that ran; the weights they trained are kept. `on_train_end`
    /// follows.
    fn on_epoch_interrupted(
        &mut self,
        _epoch: usize,
        _logs: &EpochLogs,
        _model: &Model,
    ) -> Result<()> {
        Ok(())
    }
    /// After each epoch's `on_epoch_end`, with this `fit`'s history so far — what a live plot
    /// redraws.
    fn on_history(&mut self, _history: &History, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// Before each training batch (`step` is 0-based within the epoch).
    fn on_train_batch_begin(&mut self, _step: usize, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After each training batch, with the epoch's running values.
    fn on_train_batch_end(
        &mut self,
        _step: usize,
        _logs: &dyn RunningLogs,
        _model: &Model,
    ) -> Result<()> {
        Ok(())
    }
    /// Before `evaluate`, or before the validation at the end of each `fit` epoch.
    fn on_test_begin(&mut self, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After `evaluate` (or a validation), with its values (without the `val_` prefix).
    fn on_test_end(&mut self, _logs: &EpochLogs, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// Before each evaluation batch.
    fn on_test_batch_begin(&mut self, _step: usize, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After each evaluation batch, with the running values.
    fn on_test_batch_end(
        &mut self,
        _step: usize,
        _logs: &dyn RunningLogs,
        _model: &Model,
    ) -> Result<()> {
        Ok(())
    }
    /// Before `predict`.
    fn on_predict_begin(&mut self, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After `predict`.
    fn on_predict_end(&mut self, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// Before each prediction batch.
    fn on_predict_batch_begin(&mut self, _step: usize, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// After each prediction batch, with its outputs (Keras's `logs["outputs"]`).
    fn on_predict_batch_end(
        &mut self,
        _step: usize,
        _outputs: &[Tensor],
        _model: &Model,
    ) -> Result<()> {
        Ok(())
    }
}

/// A shared callback stays inspectable after `fit` (e.g. `early.borrow().stopped_epoch`).
impl<C: Callback> Callback for Rc<RefCell<C>> {
    fn on_train_begin(&mut self, model: &Model) -> Result<()> {
        self.borrow_mut().on_train_begin(model)
    }
    fn on_train_end(&mut self, logs: &EpochLogs, model: &Model) -> Result<()> {
        self.borrow_mut().on_train_end(logs, model)
    }
    fn on_epoch_begin(&mut self, epoch: usize, model: &Model) -> Result<()> {
        self.borrow_mut().on_epoch_begin(epoch, model)
    }
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, model: &Model) -> Result<()> {
        self.borrow_mut().on_epoch_end(epoch, logs, model)
    }
    fn on_epoch_interrupted(
        &mut self,
        epoch: usize,
        logs: &EpochLogs,
        model: &Model,
    ) -> Result<()> {
        self.borrow_mut().on_epoch_interrupted(epoch, logs, model)
    }
    fn on_history(&mut self, history: &History, model: &Model) -> Result<()> {
        self.borrow_mut().on_history(history, model)
    }
    fn on_train_batch_begin(&mut self, step: usize, model: &Model) -> Result<()> {
        self.borrow_mut().on_train_batch_begin(step, model)
    }
    fn on_train_batch_end(
        &mut self,
        step: usize,
        logs: &dyn RunningLogs,
        model: &Model,
    ) -> Result<()> {
        self.borrow_mut().on_train_batch_end(step, logs, model)
    }
    fn on_test_begin(&mut self, model: &Model) -> Result<()> {
        self.borrow_mut().on_test_begin(model)
    }
    fn on_test_end(&mut self, logs: &EpochLogs, model: &Model) -> Result<()> {
        self.borrow_mut().on_test_end(logs, model)
    }
    fn on_test_batch_begin(&mut self, step: usize, model: &Model) -> Result<()> {
        self.borrow_mut().on_test_batch_begin(step, model)
    }
    fn on_test_batch_end(
        &mut self,
        step: usize,
        logs: &dyn RunningLogs,
        model: &Model,
    ) -> Result<()> {
        self.borrow_mut().on_test_batch_end(step, logs, model)
    }
    fn on_predict_begin(&mut self, model: &Model) -> Result<()> {
        self.borrow_mut().on_predict_begin(model)
    }
    fn on_predict_end(&mut self, model: &Model) -> Result<()> {
        self.borrow_mut().on_predict_end(model)
    }
    fn on_predict_batch_begin(&mut self, step: usize, model: &Model) -> Result<()> {
        self.borrow_mut().on_predict_batch_begin(step, model)
    }
    fn on_predict_batch_end(
        &mut self,
        step: usize,
        outputs: &[Tensor],
        model: &Model,
    ) -> Result<()> {
        self.borrow_mut().on_predict_batch_end(step, outputs, model)
    }
}
