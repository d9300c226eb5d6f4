//! Keras's `keras.metrics`: `accuracy` (resolved from the loss and shapes as Keras does),
//! `binary_accuracy`, `categorical_accuracy`, `sparse_categorical_accuracy`, `mae`, `mse`.
//!
//! ```
//! use ferrokeras::prelude::*;
//! let m = Metric::parse("accuracy").unwrap().resolve(&Loss::parse("sparse_categorical_crossentropy").unwrap(), &[3]);
//! assert_eq!(m.kind, MetricKind::SparseCategoricalAccuracy);
//! let pred = Tensor::from_slice(&[0.1f32, 0.9, 0.8, 0.2]).view([2, 2]);
//! let y = Tensor::from_slice(&[1i64, 1]);
//! assert_eq!(m.compute(&pred, &y).double_value(&[]), 0.5);
//! ```

mod mean;
mod mean_metric_wrapper;

pub(crate) use mean::divide_no_nan;
pub use mean::Mean;
pub use mean_metric_wrapper::{
    BinaryAccuracy, CategoricalAccuracy, MeanMetricWrapper, SparseCategoricalAccuracy,
};

use crate::backend::to_device_of;
use crate::error::{Error, Result};
use crate::losses::{Loss, LossKind};
use tch::{Kind, Tensor};

/// Which metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// `accuracy`, resolved at compile time into one of the three below.
    Accuracy,
    /// Prediction > 0.5 equals the 0/1 target.
    BinaryAccuracy,
    /// argmax of prediction equals argmax of one-hot target.
    CategoricalAccuracy,
    /// argmax of prediction equals the integer label.
    SparseCategoricalAccuracy,
    /// Mean absolute error.
    MeanAbsoluteError,
    /// Mean squared error.
    MeanSquaredError,
}

/// A metric and the name it is logged under (`accuracy`, `val_accuracy`…).
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Which metric.
    pub kind: MetricKind,
    /// The name in logs and `History`.
    pub name: String,
}

/// Every id [`Metric::parse`] accepts.
pub const METRIC_IDS: &[&str] = &[
    "accuracy",
    "acc",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "mae",
    "mean_absolute_error",
    "mse",
    "mean_squared_error",
];

impl Metric {
    /// Looks a metric up by its Keras id.
    pub fn parse(id: &str) -> Result<Metric> {
        use MetricKind::*;
        let kind = match id {
            "accuracy" | "acc" => Accuracy,
            "binary_accuracy" => BinaryAccuracy,
            "categorical_accuracy" => CategoricalAccuracy,
            "sparse_categorical_accuracy" => SparseCategoricalAccuracy,
            "mae" | "mean_absolute_error" => MeanAbsoluteError,
            "mse" | "mean_squared_error" => MeanSquaredError,
            _ => {
                return Err(Error::UnknownId {
                    kind: "metric",
                    got: id.to_string(),
                    valid: METRIC_IDS.to_vec(),
                })
            }
        };
        let name = if id == "acc" { "accuracy" } else { id };
        Ok(Metric {
            kind,
            name: name.to_string(),
        })
    }

    /// Resolves `accuracy` as Keras does: from the loss, else from the output width.
    pub fn resolve(&self, loss: &Loss, out_shape: &[i64]) -> Metric {
        if self.kind != MetricKind::Accuracy {
            return self.clone();
        }
        let kind = match loss.kind {
            LossKind::BinaryCrossentropy => MetricKind::BinaryAccuracy,
            LossKind::CategoricalCrossentropy => MetricKind::CategoricalAccuracy,
            LossKind::SparseCategoricalCrossentropy => MetricKind::SparseCategoricalAccuracy,
            _ if out_shape.last().copied().unwrap_or(1) == 1 => MetricKind::BinaryAccuracy,
            _ => MetricKind::CategoricalAccuracy,
        };
        Metric {
            kind,
            name: self.name.clone(),
        }
    }

    /// The metric's mean over the batch (a scalar float tensor, no gradient needed).
    pub fn compute(&self, pred: &Tensor, y: &Tensor) -> Tensor {
        self.per_sample(pred, y).mean(Kind::Float)
    }

    /// The metric of each example (shape `[batch]`; for outputs of several values per example,
    /// their mean, as Keras's metric functions reduce the last axis): what weighted metrics
    /// weigh.
    pub fn per_sample(&self, pred: &Tensor, y: &Tensor) -> Tensor {
        let y = &to_device_of(y, pred);
        let kind = Kind::Float;
        let pred = pred.detach();
        let n = pred.size().first().copied().unwrap_or(1);
        let by_example = |t: Tensor| {
            t.to_kind(kind)
                .reshape([n, -1])
                .mean_dim([1i64].as_slice(), false, kind)
        };
        match self.kind {
            MetricKind::BinaryAccuracy | MetricKind::Accuracy => {
                let y = y.to_kind(kind).reshape(pred.size());
                by_example(pred.gt(0.5).to_kind(kind).eq_tensor(&y))
            }
            MetricKind::CategoricalAccuracy
                if y.numel() * (*pred.size().last().unwrap_or(&1) as usize) == pred.numel()
                    && pred.numel() != y.numel() =>
            {
                // Integer labels with a non-cross-entropy loss: compare with argmax, as Keras does.
                Metric {
                    kind: MetricKind::SparseCategoricalAccuracy,
                    name: String::new(),
                }
                .per_sample(&pred, y)
            }
            MetricKind::CategoricalAccuracy => {
                let c = *pred.size().last().unwrap_or(&1);
                let p = pred.reshape([-1, c]).argmax(-1, false);
                let t = y.reshape([-1, c]).argmax(-1, false);
                by_example(p.eq_tensor(&t))
            }
            MetricKind::SparseCategoricalAccuracy => {
                let c = *pred.size().last().unwrap_or(&1);
                let p = pred.reshape([-1, c]).argmax(-1, false);
                let t = y.reshape([-1]).to_kind(Kind::Int64);
                by_example(p.eq_tensor(&t))
            }
            MetricKind::MeanAbsoluteError => {
                by_example((pred.to_kind(kind) - y.to_kind(kind).reshape(pred.size())).abs())
            }
            MetricKind::MeanSquaredError => {
                by_example((pred.to_kind(kind) - y.to_kind(kind).reshape(pred.size())).square())
            }
        }
    }
}

/// `compile`'s metrics: Keras's `metrics=` and `weighted_metrics=` arguments. `["accuracy"]`,
/// `vec!["mae".to_string()]` and `()` convert into it; `.weighted(..)` adds metrics that
/// `fit`'s and `evaluate`'s sample weights (or `class_weight`) weigh, as Keras's
/// `weighted_metrics` are: `Σ mᵢ·wᵢ / Σ wᵢ` over the examples seen. Logged under their own
/// name, or `weighted_<name>` where a plain metric has it already (Keras's naming).
///
/// ```
/// use ferrokeras::prelude::*;
/// let model = Sequential::new().add(Input::new([4])).add(Dense::new(3).activation("softmax"));
/// let metrics = Metrics::from(["accuracy"]).weighted(["accuracy"]);
/// model.compile("sgd", "sparse_categorical_crossentropy", metrics).unwrap();
/// let x = Tensor::ones([4, 4], (Kind::Float, Device::Cpu));
/// let y = Tensor::from_slice(&[0i64, 1, 2, 0]);
/// let w = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0]);
/// let opts = Evaluate { sample_weight: Some(&w), verbose: 0, ..Default::default() };
/// let ev = model.evaluate(&x, &y, opts).unwrap();
/// assert!(ev.get("weighted_accuracy").is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Metric ids, averaged over examples (Keras's `metrics`).
    pub metrics: Vec<String>,
    /// Metric ids weighted by the sample weights (Keras's `weighted_metrics`).
    pub weighted_metrics: Vec<String>,
}

impl Metrics {
    /// These metric ids, weighted by the sample weights (Keras's `weighted_metrics=`).
    pub fn weighted(mut self, ids: impl Into<Metrics>) -> Self {
        self.weighted_metrics.extend(ids.into().metrics);
        self
    }
}

fn plain(ids: Vec<String>) -> Metrics {
    Metrics {
        metrics: ids,
        weighted_metrics: Vec::new(),
    }
}

impl<const N: usize> From<[&str; N]> for Metrics {
    fn from(ids: [&str; N]) -> Self {
        Metrics::from(&ids[..])
    }
}
impl From<&[&str]> for Metrics {
    fn from(ids: &[&str]) -> Self {
        plain(ids.iter().map(|s| s.to_string()).collect())
    }
}
impl From<Vec<&str>> for Metrics {
    fn from(ids: Vec<&str>) -> Self {
        Metrics::from(&ids[..])
    }
}
impl From<Vec<String>> for Metrics {
    fn from(ids: Vec<String>) -> Self {
        plain(ids)
    }
}
impl From<()> for Metrics {
    fn from(_: ()) -> Self {
        Metrics::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_resolution_and_values() {
        let mse = Loss::parse("mse").unwrap();
        let acc = Metric::parse("accuracy").unwrap();
        assert_eq!(acc.resolve(&mse, &[1]).kind, MetricKind::BinaryAccuracy);
        assert_eq!(
            acc.resolve(&mse, &[4]).kind,
            MetricKind::CategoricalAccuracy
        );
        let b = acc.resolve(&Loss::parse("binary_crossentropy").unwrap(), &[1]);
        let p = Tensor::from_slice(&[0.9f32, 0.4, 0.6]).view([3, 1]);
        let y = Tensor::from_slice(&[1f32, 0., 0.]);
        assert!((b.compute(&p, &y).double_value(&[]) - 2.0 / 3.0).abs() < 1e-6);
        let c = acc.resolve(&Loss::parse("categorical_crossentropy").unwrap(), &[2]);
        let p = Tensor::from_slice(&[0.9f32, 0.1, 0.3, 0.7]).view([2, 2]);
        let y = Tensor::from_slice(&[1f32, 0., 1., 0.]).view([2, 2]);
        assert_eq!(c.compute(&p, &y).double_value(&[]), 0.5);
        let labels = Tensor::from_slice(&[0i64, 0]);
        assert_eq!(c.compute(&p, &labels).double_value(&[]), 0.5);
        assert!(Metric::parse("f1")
            .unwrap_err()
            .to_string()
            .contains("sparse_categorical_accuracy"));
    }
}
