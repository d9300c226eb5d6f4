//! `LivePlot`: training curves redrawn in place after every epoch, beside the progress bar
//! (what livelossplot does for Keras in Python).

use super::figure::Figure;
use super::history::{plot_history_with, HistoryPlot};
use crate::callbacks::{Callback, History};
use crate::error::Result;
use crate::models::Model;
use crate::runtime::{display, in_notebook, DisplayHandle};

/// Live loss/metric curves: the first update shows the [`plot_history`](super::plot_history)
/// figure, later ones replace it in place (Jupyter `update_display_data`).
///
/// Outside the notebook (terminal, tests) it draws nothing, so training output stays clean;
/// [`LivePlot::figure`] gives the figure either way.
///
/// It is a `fit` [`Callback`]: the curves redraw after every epoch, beside the progress bar.
///
/// ```
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let x = Tensor::rand([16, 2], (Kind::Float, Device::Cpu));
/// let y = x.sum_dim_intlist(1, true, Kind::Float);
/// let model = Sequential::new().add(Input::new([2])).add(Dense::new(1));
/// model.compile("sgd", "mse", ())?;
/// let history = model.fit(&x, &y, Fit { epochs: 2, verbose: 0, ..Default::default() }
///     .callback(LivePlot::new()))?;
/// assert_eq!(history["loss"].len(), 2);
/// # Ok(())
/// # }
/// ```
///
/// Or by hand, with a history built elsewhere:
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

/// `fit(…, Fit { callbacks: vec![Box::new(LivePlot::new())], .. })`: redraws after each epoch
/// with the history of this `fit` so far.
impl Callback for LivePlot {
    fn on_history(&mut self, history: &History, _model: &Model) -> Result<()> {
        self.update(history);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn fit_calls_the_live_plot_after_each_epoch() {
        crate::backend::set_random_seed(0);
        let x = Tensor::rand([12, 3], (Kind::Float, Device::Cpu));
        let y = x.sum_dim_intlist(1, true, Kind::Float);
        let model = Sequential::new().add(Input::new([3])).add(Dense::new(1));
        model.compile("sgd", "mse", ()).unwrap();
        let live = Rc::new(RefCell::new(LivePlot::new().always()));
        let fit = Fit {
            epochs: 3,
            verbose: 0,
            ..Default::default()
        }
        .callback(live.clone());
        model.fit(&x, &y, fit).unwrap();
        assert_eq!(live.borrow().redraws(), 3);
        assert!(live.borrow().handle().is_some());
    }
}
