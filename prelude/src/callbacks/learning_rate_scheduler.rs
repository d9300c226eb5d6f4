//! `LearningRateScheduler`: sets the learning rate at the start of each epoch.

use super::{Callback, EpochLogs};
use crate::error::{Error, Result};
use crate::models::Model;

/// Keras's `LearningRateScheduler(schedule, verbose=0)`: before each epoch, calls
/// `schedule(epoch, learning_rate)` (epoch 0-based, the current rate) and trains the epoch
/// with the rate it returns; each epoch's logs (and so the `History`) get `learning_rate`.
///
/// ```
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// // Keras's example: keep the rate for 10 epochs, then decay it.
/// let scheduler = LearningRateScheduler::new(|epoch, lr| if epoch < 10 { lr } else { lr * (-0.1f64).exp() });
/// let x = Tensor::rand([8, 2], (Kind::Float, Device::Cpu));
/// let model = Sequential::new().add(Input::new([2])).add(Dense::new(1));
/// model.compile(SGD { learning_rate: 0.1, ..Default::default() }, "mse", ())?;
/// let halve = LearningRateScheduler::new(|_epoch, lr| lr / 2.0);
/// let h = model.fit(&x, &x.sum_dim_intlist(1, true, Kind::Float), Fit { epochs: 2, verbose: 0, ..Default::default() }.callback(halve))?;
/// assert_eq!(h["learning_rate"], vec![0.05, 0.025]);
/// # let _ = scheduler;
/// # Ok(())
/// # }
/// ```
pub struct LearningRateScheduler {
    schedule: Box<dyn FnMut(usize, f64) -> f64>,
    /// 1 prints the rate set at each epoch.
    pub verbose: u8,
}

impl LearningRateScheduler {
    /// A scheduler calling `schedule(epoch, current_learning_rate)`.
    pub fn new(schedule: impl FnMut(usize, f64) -> f64 + 'static) -> Self {
        LearningRateScheduler {
            schedule: Box::new(schedule),
            verbose: 0,
        }
    }

    /// 1 prints `Epoch 3: LearningRateScheduler setting learning rate to 0.001.`
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }
}

impl Callback for LearningRateScheduler {
    fn on_epoch_begin(&mut self, epoch: usize, model: &Model) -> Result<()> {
        let lr = (self.schedule)(epoch, model.learning_rate()?);
        if !lr.is_finite() {
            return Err(Error::InvalidArgument(format!(
                "the schedule function returned {lr} for epoch {epoch}; it must return a finite learning rate"
            )));
        }
        model.set_learning_rate(lr)?;
        if self.verbose > 0 {
            println!(
                "\nEpoch {}: LearningRateScheduler setting learning rate to {lr}.",
                epoch + 1
            );
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, _epoch: usize, logs: &mut EpochLogs, model: &Model) -> Result<()> {
        logs.insert("learning_rate".into(), model.learning_rate()?);
        Ok(())
    }
}
