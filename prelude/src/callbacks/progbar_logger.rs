//! `ProgbarLogger`: the progress `fit` shows, as Keras draws it — a live bar per epoch
//! (`verbose=1`) or one line per epoch (`verbose=2`).

use super::{format_logs, Callback, EpochLogs, RunningLogs};
use crate::error::Result;
use crate::models::Model;
use crate::runtime::ProgressBar;
use std::time::{Duration, Instant};

/// How often the bar's metrics are read (reading them waits for the device).
const REFRESH: Duration = Duration::from_millis(100);

/// Keras's `ProgbarLogger`, which `fit` adds by itself for `verbose` 1 and 2:
/// `Epoch 1/5` then `469/469 ━━━━━━━━━━━━━━━━━━━━ 5s 10ms/step - accuracy: … - loss: …`.
///
/// ```
/// use ferrokeras::callbacks::ProgbarLogger;
/// let logger = ProgbarLogger::new(2, 5, Some(469));
/// assert_eq!(logger.verbose(), 2);
/// ```
pub struct ProgbarLogger {
    verbose: u8,
    epochs: usize,
    steps: Option<usize>,
    bar: Option<ProgressBar>,
    last_read: Option<Instant>,
    message: String,
}

impl ProgbarLogger {
    /// A logger for `epochs` epochs of `steps` batches each (when known): `verbose` 1 draws
    /// a live bar, 2 prints one line per epoch, 0 shows nothing.
    pub fn new(verbose: u8, epochs: usize, steps: Option<usize>) -> Self {
        ProgbarLogger {
            verbose,
            epochs,
            steps,
            bar: None,
            last_read: None,
            message: String::new(),
        }
    }

    /// The verbosity.
    pub fn verbose(&self) -> u8 {
        self.verbose
    }

    /// Ends the epoch's bar with its final values; prints Keras's line where no live bar
    /// shows it (verbose 2, or output that is captured or redirected).
    fn finish_epoch(&mut self, logs: &EpochLogs) {
        let Some(bar) = self.bar.as_mut() else {
            return;
        };
        bar.finish(&format_logs(logs));
        if self.verbose == 2 {
            println!("{}", bar.compact_line());
        } else if self.verbose == 1 && !bar_is_visible() {
            println!("{}", bar.line());
        }
        self.bar = None;
    }
}

impl Callback for ProgbarLogger {
    fn on_epoch_begin(&mut self, epoch: usize, _model: &Model) -> Result<()> {
        if self.verbose == 0 {
            return Ok(());
        }
        println!("Epoch {}/{}", epoch + 1, self.epochs);
        let total = self.steps.map(|t| t as u64);
        self.bar = Some(if self.verbose == 1 {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden(total)
        });
        self.last_read = None;
        self.message.clear();
        Ok(())
    }

    fn on_train_batch_end(
        &mut self,
        step: usize,
        logs: &dyn RunningLogs,
        _model: &Model,
    ) -> Result<()> {
        let Some(bar) = self.bar.as_mut() else {
            return Ok(());
        };
        if self.verbose == 1 {
            if self.last_read.is_none_or(|t| t.elapsed() >= REFRESH) {
                self.message = format_logs(&logs.values());
                self.last_read = Some(Instant::now());
            }
            bar.update(step as u64 + 1, &self.message);
        } else {
            bar.update(step as u64 + 1, "");
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, _epoch: usize, logs: &mut EpochLogs, _model: &Model) -> Result<()> {
        self.finish_epoch(logs);
        Ok(())
    }

    fn on_epoch_interrupted(
        &mut self,
        _epoch: usize,
        logs: &EpochLogs,
        _model: &Model,
    ) -> Result<()> {
        self.finish_epoch(logs);
        Ok(())
    }
}

/// Whether a verbose=1 bar is drawn live: in the notebook, or on a terminal's stderr.
fn bar_is_visible() -> bool {
    use std::io::IsTerminal;
    crate::runtime::in_notebook() || std::io::stderr().is_terminal()
}
