//! A Keras-style progress bar that updates in place: in the notebook through a display id,
//! in a terminal through `indicatif`.
//!
//! It renders like Keras's per-epoch line:
//! `469/469 ━━━━━━━━━━━━━━━━━━━━ 5s 10ms/step - accuracy: 0.8759 - loss: 0.4314`.

use super::display::{display, in_notebook, DisplayHandle, MimeBundle};
use std::time::{Duration, Instant};

/// How often the notebook display is redrawn at most; more would flood the client.
const NOTEBOOK_REFRESH: Duration = Duration::from_millis(100);
const BAR_WIDTH: usize = 20;

enum Target {
    Notebook {
        handle: Option<DisplayHandle>,
        last_draw: Option<Instant>,
    },
    Terminal(indicatif::ProgressBar),
    Hidden,
}

/// A live progress bar over `total` steps (batches) with a trailing message of metrics.
///
/// ```
/// use ferrokeras::runtime::ProgressBar;
/// let mut bar = ProgressBar::new(Some(3));
/// for step in 1..=3 {
///     bar.update(step, "loss: 0.5000");
/// }
/// let line = bar.finish("accuracy: 0.9000 - loss: 0.4000");
/// assert!(line.starts_with("3/3 ━━━━━━━━━━━━━━━━━━━━ "));
/// assert!(line.ends_with("/step - accuracy: 0.9000 - loss: 0.4000"));
/// ```
pub struct ProgressBar {
    total: Option<u64>,
    position: u64,
    message: String,
    started: Instant,
    target: Target,
}

impl ProgressBar {
    /// A bar that draws in the notebook when run by the kernel, else in the terminal.
    /// `total` is the number of steps when known.
    pub fn new(total: Option<u64>) -> Self {
        let target = if in_notebook() {
            Target::Notebook {
                handle: None,
                last_draw: None,
            }
        } else {
            let bar = match total {
                Some(t) => indicatif::ProgressBar::new(t),
                None => indicatif::ProgressBar::new_spinner(),
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template("{pos}/{len} {bar:20} {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("━━─"),
            );
            Target::Terminal(bar)
        };
        Self::with_target(total, target)
    }

    /// A bar that draws nothing (Keras's `verbose=0`) but still formats its final line.
    pub fn hidden(total: Option<u64>) -> Self {
        Self::with_target(total, Target::Hidden)
    }

    fn with_target(total: Option<u64>, target: Target) -> Self {
        Self {
            total,
            position: 0,
            message: String::new(),
            started: Instant::now(),
            target,
        }
    }

    /// Moves to step `position` (1-based, steps done) with a new metrics message.
    pub fn update(&mut self, position: u64, message: &str) {
        self.position = position;
        self.message.clear();
        self.message.push_str(message);
        self.draw(false);
    }

    /// Draws the final state and returns the final line (what Keras prints at epoch end).
    pub fn finish(&mut self, message: &str) -> String {
        self.message.clear();
        self.message.push_str(message);
        if let Some(total) = self.total {
            self.position = self.position.max(total);
        }
        self.draw(true);
        if let Target::Terminal(bar) = &self.target {
            bar.finish();
        }
        self.line()
    }

    /// The bar as one line of text.
    pub fn line(&self) -> String {
        let (count, bar, secs, step) = self.parts();
        let mut line = format!("{count} {bar} {secs} {step}");
        if !self.message.is_empty() {
            line.push_str(" - ");
            line.push_str(&self.message);
        }
        line
    }

    /// Keras's `verbose=2` line, without the bar:
    /// `469/469 - 5s - 10ms/step - accuracy: 0.8759 - loss: 0.4314`.
    pub fn compact_line(&self) -> String {
        let (count, _, secs, step) = self.parts();
        let mut line = format!("{count} - {secs} - {step}");
        if !self.message.is_empty() {
            line.push_str(" - ");
            line.push_str(&self.message);
        }
        line
    }

    /// The step count, the bar, the elapsed seconds and the time per step.
    fn parts(&self) -> (String, String, String, String) {
        let elapsed = self.started.elapsed();
        let done = self.position.max(1);
        let per_step = elapsed.as_secs_f64() / done as f64;
        let (count, bar) = match self.total {
            Some(total) => {
                let filled = if total == 0 {
                    BAR_WIDTH
                } else {
                    ((self.position.min(total) as usize) * BAR_WIDTH) / total as usize
                };
                (
                    format!("{}/{}", self.position, total),
                    format!("{}{}", "━".repeat(filled), "─".repeat(BAR_WIDTH - filled)),
                )
            }
            None => (format!("{}", self.position), String::new()),
        };
        let step = if per_step >= 1.0 {
            format!("{per_step:.0}s/step")
        } else if per_step >= 1e-3 {
            format!("{:.0}ms/step", per_step * 1e3)
        } else {
            format!("{:.0}us/step", per_step * 1e6)
        };
        (count, bar, format!("{}s", elapsed.as_secs()), step)
    }

    fn draw(&mut self, force: bool) {
        let line = self.line();
        match &mut self.target {
            Target::Notebook { handle, last_draw } => {
                let due = last_draw.is_none_or(|t| t.elapsed() >= NOTEBOOK_REFRESH);
                if !(force || due) {
                    return;
                }
                *last_draw = Some(Instant::now());
                let bundle = MimeBundle::text(line.clone()).with_html(format!(
                    "<pre style=\"margin:0\">{}</pre>",
                    html_escape(&line)
                ));
                match handle {
                    Some(h) => h.update(&bundle),
                    None => *handle = Some(display(&bundle)),
                }
            }
            Target::Terminal(bar) => {
                bar.set_position(self.position);
                bar.set_message(self.message.clone());
            }
            Target::Hidden => {}
        }
    }
}

/// Escapes text for inclusion in HTML.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_fills_in_proportion() {
        let mut bar = ProgressBar::hidden(Some(4));
        bar.update(2, "");
        let line = bar.line();
        assert!(line.starts_with("2/4 ━━━━━━━━━━──────────"), "{line}");
    }

    #[test]
    fn unknown_total_counts_steps() {
        let mut bar = ProgressBar::hidden(None);
        bar.update(7, "loss: 1.0");
        assert!(bar.line().starts_with("7 "));
        assert!(bar.line().ends_with(" - loss: 1.0"));
    }
}
