//! `LivePlot`: training curves redrawn in place after every epoch, beside the progress bar
//! (what livelossplot does for Keras in Python).

use super::figure::Figure;
use super::history::{plot_history_with, HistoryPlot};
use crate::callbacks::History;
use crate::runtime::{display, in_notebook, DisplayHandle};

/// Live loss/metric curves: the first update shows the [`plot_history`](super::plot_history)
/// figure, later ones replace it in place (Jupyter `update_display_data`).
///
/// Outside the notebook (terminal, tests) it draws nothing, so training output stays clean;
/// [`LivePlot::figure`] gives the figure either way.
///
/// ```
/// use ferrokeras::callbacks::History;
/// use ferrokeras::plot::LivePlot;
/// let mut live = LivePlot::new();
/// let mut h = History::default();
/// h.push_epoch(&[("loss", 0.9), ("val_loss", 1.0)]);
/// live.on_epoch_end(&h); // in a notebook: shows the curves; later epochs redraw them
/// assert_eq!(live.figure(&h).grid(), (1, 1));
/// ```
#[derive(Debug, Default)]
pub struct LivePlot {
    options: HistoryPlot,
    handle: Option<DisplayHandle>,
    redraws: usize,
    force: bool,
}

impl LivePlot {
    /// A live plot with the default labels.
    pub fn new() -> Self {
        Self::default()
    }

    /// A live plot with other labels or sizes.
    pub fn with_options(options: HistoryPlot) -> Self {
        Self {
            options,
            ..Self::default()
        }
    }

    /// Draws even outside the notebook (prints the figure's text form there); for tests.
    pub fn always(mut self) -> Self {
        self.force = true;
        self
    }

    /// The figure for `history`.
    pub fn figure(&self, history: &History) -> Figure {
        plot_history_with(history, &self.options)
    }

    /// Shows or redraws the curves for `history`.
    pub fn update(&mut self, history: &History) {
        if !(self.force || in_notebook()) {
            return;
        }
        let fig = self.figure(history);
        match &self.handle {
            Some(h) => h.update(&fig),
            None => self.handle = Some(display(&fig)),
        }
        self.redraws += 1;
    }

    /// The callback hook: call after every epoch with the history so far.
    pub fn on_epoch_end(&mut self, history: &History) {
        self.update(history);
    }

    /// How many times the curves were drawn.
    pub fn redraws(&self) -> usize {
        self.redraws
    }

    /// The notebook display being updated, once shown.
    pub fn handle(&self) -> Option<&DisplayHandle> {
        self.handle.as_ref()
    }
}
