//! `CallbackList`: the callbacks one `fit`, `evaluate` or `predict` calls, as Keras's
//! `keras.callbacks.CallbackList` — the user's, then the `History` and the progress bar the
//! list adds itself.

use super::{Callback, EpochLogs, History, ProgbarLogger, RunningLogs};
use crate::error::Result;
use crate::models::Model;
use tch::Tensor;

/// The callbacks of one run, called in Keras's order: the user's in the order given, then the
/// `History` (`fit` only), then the `ProgbarLogger` (when `verbose` is not 0) — as Keras's
/// `CallbackList._add_default_callbacks` appends them.
///
/// ```
/// use ferrokeras::callbacks::{Callback, CallbackList, EpochLogs};
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let model = Sequential::new().add(Input::new([1])).add(Dense::new(1));
/// let mut list = CallbackList::new(Vec::new()).with_history();
/// list.on_train_begin(&model)?;
/// let mut logs = EpochLogs::from([("loss".to_string(), 0.5)]);
/// list.on_epoch_end(0, &mut logs, &model)?;
/// assert_eq!(list.into_history()["loss"], vec![0.5]);
/// # Ok(())
/// # }
/// ```
pub struct CallbackList<'a> {
    callbacks: Vec<Box<dyn Callback + 'a>>,
    history: Option<History>,
    progbar: Option<ProgbarLogger>,
}

impl<'a> CallbackList<'a> {
    /// The user's callbacks, in the order they are called.
    pub fn new(callbacks: Vec<Box<dyn Callback + 'a>>) -> Self {
        CallbackList {
            callbacks,
            history: None,
            progbar: None,
        }
    }

    /// Adds the `History` that `fit` returns (after the user's callbacks, so it records what
    /// they add to the logs).
    pub fn with_history(mut self) -> Self {
        self.history = Some(History::default());
        self
    }

    /// Adds the progress bar, called last.
    pub fn with_progbar(mut self, progbar: ProgbarLogger) -> Self {
        self.progbar = Some(progbar);
        self
    }

    /// The history recorded so far (empty without [`CallbackList::with_history`]).
    pub fn into_history(self) -> History {
        self.history.unwrap_or_default()
    }

    /// Calls `f` on every callback in order; the first error stops the run.
    fn each(&mut self, mut f: impl FnMut(&mut dyn Callback) -> Result<()>) -> Result<()> {
        for cb in self.callbacks.iter_mut() {
            f(cb.as_mut())?;
        }
        if let Some(h) = self.history.as_mut() {
            f(h)?;
        }
        if let Some(p) = self.progbar.as_mut() {
            f(p)?;
        }
        Ok(())
    }

    /// Shows the user's callbacks the history after an epoch.
    fn share_history(&mut self, model: &Model) -> Result<()> {
        if let Some(h) = &self.history {
            for cb in self.callbacks.iter_mut() {
                cb.on_history(h, model)?;
            }
        }
        Ok(())
    }
}

impl Callback for CallbackList<'_> {
    fn on_train_begin(&mut self, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_train_begin(model))
    }
    fn on_train_end(&mut self, logs: &EpochLogs, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_train_end(logs, model))
    }
    fn on_epoch_begin(&mut self, epoch: usize, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_epoch_begin(epoch, model))
    }
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_epoch_end(epoch, logs, model))?;
        self.share_history(model)
    }
    fn on_epoch_interrupted(
        &mut self,
        epoch: usize,
        logs: &EpochLogs,
        model: &Model,
    ) -> Result<()> {
        self.each(|cb| cb.on_epoch_interrupted(epoch, logs, model))?;
        self.share_history(model)
    }
    fn on_history(&mut self, history: &History, model: &Model) -> Result<()> {
        for cb in self.callbacks.iter_mut() {
            cb.on_history(history, model)?;
        }
        Ok(())
    }
    fn on_train_batch_begin(&mut self, step: usize, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_train_batch_begin(step, model))
    }
    fn on_train_batch_end(
        &mut self,
        step: usize,
        logs: &dyn RunningLogs,
        model: &Model,
    ) -> Result<()> {
        self.each(|cb| cb.on_train_batch_end(step, logs, model))
    }
    fn on_test_begin(&mut self, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_test_begin(model))
    }
    fn on_test_end(&mut self, logs: &EpochLogs, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_test_end(logs, model))
    }
    fn on_test_batch_begin(&mut self, step: usize, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_test_batch_begin(step, model))
    }
    fn on_test_batch_end(
        &mut self,
        step: usize,
        logs: &dyn RunningLogs,
        model: &Model,
    ) -> Result<()> {
        self.each(|cb| cb.on_test_batch_end(step, logs, model))
    }
    fn on_predict_begin(&mut self, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_predict_begin(model))
    }
    fn on_predict_end(&mut self, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_predict_end(model))
    }
    fn on_predict_batch_begin(&mut self, step: usize, model: &Model) -> Result<()> {
        self.each(|cb| cb.on_predict_batch_begin(step, model))
    }
    fn on_predict_batch_end(
        &mut self,
        step: usize,
        outputs: &[Tensor],
        model: &Model,
    ) -> Result<()> {
        self.each(|cb| cb.on_predict_batch_end(step, outputs, model))
    }
}
