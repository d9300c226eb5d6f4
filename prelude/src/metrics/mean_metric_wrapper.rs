//! `MeanMetricWrapper`: a metric function averaged over every example seen, with Keras's
//! `update_state` / `result` / `reset_state`.

use super::{Mean, Metric};
use crate::error::Result;
use tch::Tensor;

/// Keras's `MeanMetricWrapper`, what `keras.metrics.SparseCategoricalAccuracy()` and the
/// other metric classes are: the mean of a [`Metric`] over every example given to
/// `update_state(y_true, y_pred)` since the last `reset_state()`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let acc = SparseCategoricalAccuracy::new();
/// let logits = Tensor::from_slice(&[2.0f32, 0.0, 0.0, 3.0]).view([2, 2]);
/// acc.update_state(&Tensor::from_slice(&[0i64, 0]), &logits);
/// acc.update_state(&Tensor::from_slice(&[1i64, 1]), &logits);
/// assert_eq!(acc.result(), 0.5);
/// acc.reset_state();
/// assert_eq!(acc.result(), 0.0);
/// let mae = MeanMetricWrapper::new("mae").unwrap();
/// assert_eq!(mae.name(), "mae");
/// ```
pub struct MeanMetricWrapper {
    /// The metric averaged.
    pub metric: Metric,
    mean: Mean,
}

impl MeanMetricWrapper {
    /// The running mean of the metric `id` (`"sparse_categorical_accuracy"`, `"mae"`, …).
    /// `"accuracy"` needs a loss to resolve; name the accuracy you want.
    pub fn new(id: &str) -> Result<Self> {
        Ok(Self::of(Metric::parse(id)?))
    }

    /// The running mean of `metric`.
    pub fn of(metric: Metric) -> Self {
        MeanMetricWrapper {
            mean: Mean::new(&metric.name),
            metric,
        }
    }

    /// The name it is logged under.
    pub fn name(&self) -> &str {
        &self.metric.name
    }

    /// Adds a batch: targets and predictions (probabilities or logits).
    pub fn update_state(&self, y_true: &Tensor, y_pred: &Tensor) {
        self.mean
            .update_state(&self.metric.per_sample(y_pred, y_true));
    }

    /// Adds a batch with one weight per example (Keras's `sample_weight=`).
    pub fn update_state_weighted(&self, y_true: &Tensor, y_pred: &Tensor, sample_weight: &Tensor) {
        self.mean
            .update_state_weighted(&self.metric.per_sample(y_pred, y_true), sample_weight);
    }

    /// The mean over every example so far.
    pub fn result(&self) -> f64 {
        self.mean.result()
    }

    /// Forgets every example.
    pub fn reset_state(&self) {
        self.mean.reset_state();
    }
}

macro_rules! metric_class {
    ($ty:ident, $id:literal) => {
        #[doc = concat!("Keras's `keras.metrics.", stringify!($ty), "()`: `", stringify!($ty), "::new()` is a [`MeanMetricWrapper`] of `", $id, "`.")]
        pub struct $ty;
        impl $ty {
            /// A new, empty metric.
            #[allow(clippy::new_ret_no_self)]
            pub fn new() -> MeanMetricWrapper {
                MeanMetricWrapper::new($id).expect("a known metric id")
            }
        }
    };
}
metric_class!(SparseCategoricalAccuracy, "sparse_categorical_accuracy");
metric_class!(CategoricalAccuracy, "categorical_accuracy");
metric_class!(BinaryAccuracy, "binary_accuracy");
