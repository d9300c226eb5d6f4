//! `History`: what `fit` returns, the per-epoch values of the loss and every metric.

use super::{Callback, EpochLogs};
use crate::error::Result;
use crate::models::Model;
use crate::runtime::{MimeBundle, Render};
use std::collections::BTreeMap;

/// Per-epoch training record, as Keras's `History`: `history["loss"]`, `history["val_accuracy"]`.
///
/// ```
/// use ferrokeras::callbacks::History;
/// let mut h = History::default();
/// h.push_epoch(&[("loss", 0.9), ("val_loss", 1.1)]);
/// h.push_epoch(&[("loss", 0.5), ("val_loss", 0.8)]);
/// assert_eq!(h["loss"], vec![0.9, 0.5]);
/// assert_eq!(h.epochs(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The epoch numbers recorded (0-based, as Keras's `history.epoch`).
    pub epoch: Vec<usize>,
    /// Series by name: `loss`, `accuracy`, `val_loss`, `val_accuracy`, …
    pub history: BTreeMap<String, Vec<f64>>,
}

impl History {
    /// Records one epoch's logs.
    pub fn push_epoch(&mut self, logs: &[(&str, f64)]) {
        let next = self.epoch.last().map_or(0, |e| e + 1);
        self.epoch.push(next);
        for (name, value) in logs {
            self.history
                .entry((*name).to_string())
                .or_default()
                .push(*value);
        }
    }

    /// How many epochs are recorded.
    pub fn epochs(&self) -> usize {
        self.epoch.len()
    }

    /// One series, if recorded.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.history.get(name).map(Vec::as_slice)
    }

    /// Series names, train metrics first then `val_` ones, each alphabetical.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.history.keys().map(String::as_str).collect();
        keys.sort_by_key(|k| (k.starts_with("val_"), *k));
        keys
    }

    /// Appends another run's epochs (a second `fit` continues the record).
    pub fn extend(&mut self, other: &History) {
        for _ in &other.epoch {
            let next = self.epoch.last().map_or(0, |e| e + 1);
            self.epoch.push(next);
        }
        for (name, values) in &other.history {
            self.history.entry(name.clone()).or_default().extend(values);
        }
    }
}

/// As in Keras, `fit`'s [`super::CallbackList`] records each epoch's values through a
/// `History` after the user's callbacks; `fit` returns it.
impl Callback for History {
    fn on_epoch_end(&mut self, _epoch: usize, logs: &mut EpochLogs, _model: &Model) -> Result<()> {
        self.record(logs);
        Ok(())
    }

    /// An interrupted epoch is recorded with the values of the batches that ran.
    fn on_epoch_interrupted(
        &mut self,
        _epoch: usize,
        logs: &EpochLogs,
        _model: &Model,
    ) -> Result<()> {
        self.record(logs);
        Ok(())
    }
}

impl History {
    fn record(&mut self, logs: &EpochLogs) {
        let pairs: Vec<(&str, f64)> = logs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.push_epoch(&pairs);
    }
}

impl std::ops::Index<&str> for History {
    type Output = Vec<f64>;
    /// Panics with the list of recorded names when `name` was not recorded, like a Python
    /// `KeyError`; use [`History::get`] to test first.
    fn index(&self, name: &str) -> &Vec<f64> {
        self.history.get(name).unwrap_or_else(|| {
            panic!(
                "History has no series '{name}'; recorded: {}",
                self.keys().join(", ")
            )
        })
    }
}

impl Render for History {
    fn mime_bundle(&self) -> MimeBundle {
        let keys = self.keys();
        let mut text = format!("History of {} epoch(s)", self.epochs());
        let mut html = String::from("<table><thead><tr><th>epoch</th>");
        for k in &keys {
            html.push_str(&format!("<th>{k}</th>"));
        }
        html.push_str("</tr></thead><tbody>");
        for (i, e) in self.epoch.iter().enumerate() {
            html.push_str(&format!("<tr><td>{}</td>", e + 1));
            text.push_str(&format!("\nepoch {}:", e + 1));
            for k in &keys {
                let v = self.history[*k].get(i).copied().unwrap_or(f64::NAN);
                html.push_str(&format!("<td>{v:.4}</td>"));
                text.push_str(&format!(" {k}={v:.4}"));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        MimeBundle::text(text).with_html(html)
    }
}
