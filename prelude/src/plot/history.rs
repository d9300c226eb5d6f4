//! Training curves: `plot_history` (loss and every metric, train vs validation) and
//! `compare_curves` (one curve per run, e.g. `val_loss` per activation function).

use super::axes::PlotSeries;
use super::figure::Figure;
use crate::callbacks::History;

/// Labels and size for [`plot_history_with`].
///
/// ```
/// use ferrokeras::plot::HistoryPlot;
/// // The Swedish notebook's labels:
/// let opts = HistoryPlot { train_label: "Träning".into(), val_label: "Validering".into(), ..Default::default() };
/// assert_eq!(opts.xlabel, "Epoch");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPlot {
    /// Legend label of the training curve (default `"training"`).
    pub train_label: String,
    /// Legend label of the validation curve (default `"validation"`).
    pub val_label: String,
    /// x axis label (default `"Epoch"`).
    pub xlabel: String,
    /// Pixel width of each subplot (default 500).
    pub subplot_width: u32,
    /// Pixel height of each subplot (default 400).
    pub subplot_height: u32,
    /// Subplots per row at most (default 3).
    pub max_cols: usize,
}

impl Default for HistoryPlot {
    fn default() -> Self {
        Self {
            train_label: "training".into(),
            val_label: "validation".into(),
            xlabel: "Epoch".into(),
            subplot_width: 500,
            subplot_height: 400,
            max_cols: 3,
        }
    }
}

/// The metric names of a history, one per subplot: `loss` first, then the others; a
/// `val_x` whose `x` is missing gets its own subplot.
pub(crate) fn history_metrics(history: &History) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for k in history.keys() {
        let base = k.strip_prefix("val_").unwrap_or(k);
        if !names.iter().any(|n| n == base) {
            names.push(base.to_string());
        }
    }
    names.sort_by_key(|n| (n != "loss", n.clone()));
    names
}

/// Loss and every metric per epoch, training vs validation, one subplot per metric, epochs
/// (1, 2, …) on x — the figure the course notebooks draw by hand after `fit`.
///
/// ```
/// use ferrokeras::callbacks::History;
/// use ferrokeras::plot::plot_history;
/// let mut h = History::default();
/// h.push_epoch(&[("loss", 0.9), ("accuracy", 0.6), ("val_loss", 1.0), ("val_accuracy", 0.5)]);
/// h.push_epoch(&[("loss", 0.5), ("accuracy", 0.8), ("val_loss", 0.7), ("val_accuracy", 0.7)]);
/// let fig = plot_history(&h);
/// assert_eq!(fig.grid(), (1, 2));
/// assert_eq!(fig.axes()[0].get_title(), Some("loss"));
/// assert_eq!(fig.axes()[1].lines().len(), 2);
/// ```
pub fn plot_history(history: &History) -> Figure {
    plot_history_with(history, &HistoryPlot::default())
}

/// [`plot_history`] with other labels or sizes.
pub fn plot_history_with(history: &History, opts: &HistoryPlot) -> Figure {
    let metrics = history_metrics(history);
    let n = metrics.len().max(1);
    let cols = n.min(opts.max_cols.max(1));
    let rows = n.div_ceil(cols);
    let mut fig = Figure::new(
        opts.subplot_width * cols as u32,
        opts.subplot_height * rows as u32,
    )
    .subplots(rows, cols);
    if metrics.is_empty() {
        fig.ax(0).title("no epochs recorded yet");
        return fig;
    }
    for (i, m) in metrics.iter().enumerate() {
        let ax = fig.ax(i);
        for (key, label) in [
            (m.clone(), &opts.train_label),
            (format!("val_{m}"), &opts.val_label),
        ] {
            if let Some(values) = history.get(&key) {
                let xs: Vec<f64> = (1..=values.len()).map(|e| e as f64).collect();
                let line = ax.plot_xy(&xs, values).label(label.as_str());
                if values.len() <= 20 {
                    line.marker();
                }
            }
        }
        ax.title(m.as_str()).xlabel(opts.xlabel.as_str()).legend();
    }
    for i in metrics.len()..rows * cols {
        fig.ax(i).axis_off();
    }
    fig
}

/// One curve per named series on one plot, with a legend: e.g. `val_loss` per activation
/// function (the English notebook's `pd.DataFrame(v_loss_per_f).plot(title=…)`).
///
/// ```
/// use std::collections::BTreeMap;
/// use ferrokeras::plot::compare_curves;
/// let mut runs = BTreeMap::new();
/// runs.insert("relu", vec![0.7, 0.4, 0.3]);
/// runs.insert("sigmoid", vec![0.7, 0.6, 0.55]);
/// let fig = compare_curves(&runs, "Testing various activation functions");
/// assert_eq!(fig.axes()[0].lines().len(), 2);
/// ```
pub fn compare_curves<K, V, I>(series: I, title: &str) -> Figure
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: PlotSeries,
{
    let mut fig = Figure::new(700, 450);
    let ax = fig.ax(0);
    for (name, values) in series {
        let ys = values.to_f64();
        let xs: Vec<f64> = (1..=ys.len()).map(|e| e as f64).collect();
        ax.plot_xy(xs, ys).label(name.as_ref());
    }
    ax.title(title).xlabel("Epoch").legend();
    fig
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_order_and_val_only() {
        let mut h = History::default();
        h.push_epoch(&[("accuracy", 0.5), ("loss", 1.0), ("val_auc", 0.6)]);
        assert_eq!(history_metrics(&h), vec!["loss", "accuracy", "auc"]);
        let fig = plot_history(&h);
        assert_eq!(fig.grid(), (1, 3));
        // The val-only metric has one (validation) curve.
        assert_eq!(fig.axes()[2].lines().len(), 1);
    }

    #[test]
    fn many_metrics_wrap_rows_and_empty_history_draws() {
        let mut h = History::default();
        h.push_epoch(&[("loss", 1.0), ("a", 1.0), ("b", 1.0), ("c", 1.0)]);
        assert_eq!(plot_history(&h).grid(), (2, 3));
        let empty = plot_history(&History::default());
        assert!(empty.to_png().is_ok());
    }
}
