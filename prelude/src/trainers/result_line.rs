//! The one line `evaluate` and `predict` print when verbose, as Keras's progress bar ends:
//! `4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.9800 - loss: 0.0841`.

use crate::runtime::ProgressBar;

/// A result line timed from before the first batch, so its seconds and time per step are the
/// run's (a bar made after the work said `0s 4us/step` for any run).
pub(crate) struct ResultLine {
    bar: Option<ProgressBar>,
    steps: u64,
}

impl ResultLine {
    /// Starts timing a run of `steps` batches (one when unknown); `verbose` 0 prints nothing.
    pub fn start(verbose: u8, steps: Option<usize>) -> Self {
        let steps = steps.unwrap_or(1).max(1) as u64;
        let bar = (verbose >= 1).then(|| ProgressBar::hidden(Some(steps)));
        ResultLine { bar, steps }
    }

    /// Prints the line with `message` (the logs, or nothing for `predict`) and returns it;
    /// `None` when silent.
    pub fn print(self, message: &str) -> Option<String> {
        let mut bar = self.bar?;
        bar.update(self.steps, "");
        let line = bar.finish(message);
        println!("{line}");
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::ResultLine;
    use std::time::Duration;

    #[test]
    fn the_time_per_step_counts_from_the_start() {
        let line = ResultLine::start(1, Some(2));
        std::thread::sleep(Duration::from_millis(60));
        let line = line.print("loss: 0.5000").unwrap();
        // 60 ms over 2 steps: at least 30 ms a step.
        let per_step = line
            .split_whitespace()
            .find(|w| w.ends_with("/step"))
            .unwrap();
        let ms: f64 = per_step
            .trim_end_matches("ms/step")
            .parse()
            .unwrap_or_else(|_| {
                panic!("{per_step:?} is not in milliseconds: {line}");
            });
        assert!(ms >= 30.0, "{line}");
        assert!(
            line.starts_with("2/2 ") && line.ends_with(" - loss: 0.5000"),
            "{line}"
        );
    }

    #[test]
    fn verbose_zero_prints_nothing() {
        assert!(ResultLine::start(0, Some(3)).print("loss: 1").is_none());
    }
}
