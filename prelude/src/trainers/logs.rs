//! Running sums of the loss and metrics over an epoch.

use crate::callbacks::{EpochLogs, RunningLogs};
use tch::{Device, Kind, Tensor};

/// Running sums of the loss and metrics over an epoch, kept on the device so that no batch
/// waits for the GPU unless a value is shown.
pub(crate) struct Tally {
    names: Vec<String>,
    sums: Vec<Tensor>,
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
            count: 0,
        }
    }

    /// Adds one batch's values (means over its `n` examples).
    pub fn add(&mut self, values: &[Tensor], n: i64) {
        for (s, v) in self.sums.iter_mut().zip(values) {
            let _ = s.g_add_(&(v.detach() * n as f64));
        }
        self.count += n;
    }

    /// The means so far, each name with `prefix` (`val_`).
    pub fn logs(&self, prefix: &str) -> EpochLogs {
        let n = self.count.max(1) as f64;
        self.names
            .iter()
            .zip(&self.sums)
            .map(|(k, s)| (format!("{prefix}{k}"), s.double_value(&[]) / n))
            .collect()
    }
}

impl RunningLogs for Tally {
    fn values(&self) -> EpochLogs {
        self.logs("")
    }
}
