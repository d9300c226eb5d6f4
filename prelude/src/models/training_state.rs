//! What training keeps in a model: the compile state, the learning rate set from outside the
//! optimizer, the request to stop and the epoch to resume at. The `trainers` module reads and
//! changes them through these accessors, never through the model's fields.

use super::compiled::Compiled;
use super::model::Model;

impl Model {
    /// Asks a running `fit` to stop after the current batch (for callbacks), as setting
    /// Keras's `model.stop_training = True` does.
    pub fn stop_training(&self) {
        self.0.borrow_mut().stop_training = true;
    }

    /// Whether a callback asked the running `fit` to stop.
    pub(crate) fn stop_requested(&self) -> bool {
        self.0.borrow().stop_training
    }

    /// Forgets an earlier request to stop (a new `fit` begins).
    pub(crate) fn clear_stop_request(&self) {
        self.0.borrow_mut().stop_training = false;
    }

    /// Makes the running `fit` start at `epoch` (for a callback's `on_train_begin`).
    pub(crate) fn set_initial_epoch(&self, epoch: usize) {
        self.0.borrow_mut().initial_epoch = Some(epoch);
    }

    /// The epoch a callback asked `fit` to start at, once.
    pub(crate) fn take_initial_epoch(&self) -> Option<usize> {
        self.0.borrow_mut().initial_epoch.take()
    }

    /// Reads the compile state (`None` before `compile`).
    pub(crate) fn read_compiled<R>(&self, f: impl FnOnce(Option<&Compiled>) -> R) -> R {
        f(self.0.borrow().compiled.as_ref())
    }

    /// Takes the compile state out of the model (to train without holding the model).
    pub(crate) fn take_compiled(&self) -> Option<Compiled> {
        self.0.borrow_mut().compiled.take()
    }

    /// Puts a compile state into the model.
    pub(crate) fn set_compiled(&self, compiled: Compiled) {
        self.0.borrow_mut().compiled = Some(compiled);
    }

    /// The learning rate the user or a callback set, which training applies to the optimizer
    /// before its next step; `None`: the compiled optimizer's.
    pub(crate) fn learning_rate_override(&self) -> Option<f64> {
        self.0.borrow().learning_rate
    }

    /// Sets (or, with `None`, forgets) the learning rate training applies.
    pub(crate) fn set_learning_rate_override(&self, lr: Option<f64>) {
        self.0.borrow_mut().learning_rate = lr;
    }
}
