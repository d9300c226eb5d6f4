//! Running sums of the loss and metrics over an epoch.

use crate::callbacks::{EpochLogs, RunningLogs};
use crate::metrics::divide_no_nan;
use tch::{Device, Kind, Tensor};

/// One logged value of a batch, in the form Keras's `Mean` metrics add it up.
pub(crate) enum BatchValue {
    /// The mean over the batch's examples, each counting once (the loss, plain metrics).
    Mean(Tensor),
    /// A weighted metric: `Σ mᵢ·wᵢ` over the batch and the batch's `Σ wᵢ`.
    Weighted { total: Tensor, weight: Tensor },
}

impl BatchValue {
    /// The batch's value: its mean, or its weighted mean (0 where the weights sum to 0).
    pub fn mean(&self) -> f64 {
        match self {
            BatchValue::Mean(m) => m.double_value(&[]),
            BatchValue::Weighted { total, weight } => {
                divide_no_nan(total, weight.double_value(&[]))
            }
        }
    }
}

/// Running sums of the loss and metrics over an epoch, kept on the device so that no batch
/// waits for the GPU unless a value is shown.
pub(crate) struct Tally {
    names: Vec<String>,
    sums: Vec<Tensor>,
    /// The summed sample weights of each weighted metric (`None`: counted by examples).
    weights: Vec<Option<Tensor>>,
    pub count: i64,
}

impl Tally {
    pub fn new(names: &[String], device: Device) -> Self {
        let sums = names
            .iter()
            .map(|_| Tensor::zeros([], (Kind::Float, device)))
            .collect();
        Tally {
            names: names.to_vec(),
            sums,
            weights: names.iter().map(|_| None).collect(),
            count: 0,
        }
    }

    /// Adds one batch's values, of its `n` examples.
    pub fn add(&mut self, values: &[BatchValue], n: i64) {
        for ((s, w), v) in self.sums.iter_mut().zip(&mut self.weights).zip(values) {
            match v {
                BatchValue::Mean(mean) => {
                    let _ = s.g_add_(&(mean.detach() * n as f64));
                }
                BatchValue::Weighted { total, weight } => {
                    let _ = s.g_add_(total);
                    match w {
                        Some(w) => {
                            let _ = w.g_add_(weight);
                        }
                        None => *w = Some(weight.shallow_clone()),
                    }
                }
            }
        }
        self.count += n;
    }

    /// The means so far, each name with `prefix` (`val_`); a weighted value whose weights sum
    /// to 0 is 0, as Keras's `divide_no_nan` gives.
    pub fn logs(&self, prefix: &str) -> EpochLogs {
        let n = self.count.max(1) as f64;
        self.names
            .iter()
            .zip(&self.sums)
            .zip(&self.weights)
            .map(|((k, s), w)| {
                let count = w.as_ref().map_or(n, |w| w.double_value(&[]));
                (format!("{prefix}{k}"), divide_no_nan(s, count))
            })
            .collect()
    }
}

impl RunningLogs for Tally {
    fn values(&self) -> EpochLogs {
        self.logs("")
    }
}
