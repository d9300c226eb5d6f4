//! Keras's `keras.losses`: by string id (`"sparse_categorical_crossentropy"`) or typed
//! (`SparseCategoricalCrossentropy::new().from_logits(true)`).
//!
//! ```
//! use ferrokeras::prelude::*;
//! let loss = Loss::parse("mse").unwrap();
//! let pred = Tensor::from_slice(&[1.0f32, 2.0]).view([2, 1]);
//! let truth = Tensor::from_slice(&[0.0f32, 0.0]);
//! assert!((loss.compute(&pred, &truth).unwrap().double_value(&[]) - 2.5).abs() < 1e-6);
//! ```

use crate::activations::{ActivationFn, Logits};
use crate::backend::to_device_of;
use crate::error::{keras_shape, Error, Result};

mod reduce;
pub(crate) use reduce::weigh;
use reduce::Reduce;
use tch::{Kind, Tensor};

/// Keras clips probabilities into `[EPSILON, 1 - EPSILON]` before taking logs.
const EPSILON: f64 = 1e-7;

/// Which loss function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// `mse` / `mean_squared_error`.
    MeanSquaredError,
    /// `mae` / `mean_absolute_error`.
    MeanAbsoluteError,
    /// `binary_crossentropy`: targets 0/1, one sigmoid output per label.
    BinaryCrossentropy,
    /// `categorical_crossentropy`: one-hot targets.
    CategoricalCrossentropy,
    /// `sparse_categorical_crossentropy`: integer class targets.
    SparseCategoricalCrossentropy,
}

/// A loss function with its options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loss {
    /// Which function.
    pub kind: LossKind,
    /// Whether predictions are logits rather than probabilities (cross-entropies only).
    pub from_logits: bool,
}

/// Every id [`Loss::parse`] accepts.
pub const LOSS_IDS: &[&str] = &[
    "mse",
    "mean_squared_error",
    "mae",
    "mean_absolute_error",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
];

impl Loss {
    fn of(kind: LossKind) -> Loss {
        Loss {
            kind,
            from_logits: false,
        }
    }

    /// Looks a loss up by its Keras id.
    pub fn parse(id: &str) -> Result<Loss> {
        use LossKind::*;
        Ok(Loss::of(match id {
            "mse" | "mean_squared_error" | "MeanSquaredError" => MeanSquaredError,
            "mae" | "mean_absolute_error" | "MeanAbsoluteError" => MeanAbsoluteError,
            "binary_crossentropy" | "BinaryCrossentropy" => BinaryCrossentropy,
            "categorical_crossentropy" | "CategoricalCrossentropy" => CategoricalCrossentropy,
            "sparse_categorical_crossentropy" | "SparseCategoricalCrossentropy" => {
                SparseCategoricalCrossentropy
            }
            _ => {
                return Err(Error::UnknownId {
                    kind: "loss",
                    got: id.to_string(),
                    valid: LOSS_IDS.to_vec(),
                })
            }
        }))
    }

    /// Treat predictions as logits (`from_logits=True`).
    pub fn from_logits(mut self, yes: bool) -> Loss {
        self.from_logits = yes;
        self
    }

    /// The Keras id.
    pub fn id(&self) -> &'static str {
        match self.kind {
            LossKind::MeanSquaredError => "mean_squared_error",
            LossKind::MeanAbsoluteError => "mean_absolute_error",
            LossKind::BinaryCrossentropy => "binary_crossentropy",
            LossKind::CategoricalCrossentropy => "categorical_crossentropy",
            LossKind::SparseCategoricalCrossentropy => "sparse_categorical_crossentropy",
        }
    }

    /// Checks targets against the model's output shape (one example, no batch) before
    /// training: label range for sparse targets, one-hot width, element counts.
    pub fn check_targets(&self, y: &Tensor, out_shape: &[i64]) -> Result<()> {
        let ysize = y.size();
        let per_example: i64 = ysize.iter().skip(1).product();
        let out_numel: i64 = out_shape.iter().product();
        let mut full_out = vec![-1];
        full_out.extend_from_slice(out_shape);
        match self.kind {
            LossKind::SparseCategoricalCrossentropy => {
                let classes = *out_shape.last().unwrap_or(&1);
                if per_example * classes != out_numel {
                    return Err(Error::InvalidData(format!(
                        "sparse_categorical_crossentropy expects integer class labels of shape {} for outputs {}, got labels of shape {}",
                        keras_shape(&full_out[..full_out.len() - 1]),
                        keras_shape(&full_out),
                        keras_shape(&ysize)
                    )));
                }
                let yd = y.to_kind(Kind::Double);
                if !crate::data_adapter::is_integer(y)
                    && yd.ne_tensor(&yd.round()).any().int64_value(&[]) != 0
                {
                    return Err(Error::InvalidData(
                        "sparse_categorical_crossentropy expects integer class labels, got fractional values (use categorical_crossentropy for one-hot or soft targets)".into(),
                    ));
                }
                let (lo, hi) = (yd.min().double_value(&[]), yd.max().double_value(&[]));
                if lo < 0.0 || hi >= classes as f64 {
                    return Err(Error::InvalidData(format!(
                        "labels must be in [0, {classes}) for a model with {classes} outputs, got labels from {lo} to {hi}"
                    )));
                }
            }
            LossKind::CategoricalCrossentropy => {
                if ysize.len() < 2 || ysize.last() != out_shape.last() {
                    return Err(Error::InvalidData(format!(
                        "categorical_crossentropy expects one-hot targets of shape {}, got {} (use sparse_categorical_crossentropy for integer labels, or to_categorical)",
                        keras_shape(&full_out),
                        keras_shape(&ysize)
                    )));
                }
            }
            _ => {
                if per_example != out_numel {
                    return Err(Error::InvalidData(format!(
                        "{} expects targets with {} values per example like the outputs {}, got targets of shape {}",
                        self.id(),
                        out_numel,
                        keras_shape(&full_out),
                        keras_shape(&ysize)
                    )));
                }
            }
        }
        Ok(())
    }

    /// [`Loss::compute`] for a model's output `pred`, using the output's logits when it came
    /// from a softmax (categorical cross-entropies) or a sigmoid (binary), as Keras does;
    /// weighted as [`Loss::compute_weighted`] when `sample_weight` is given.
    pub(crate) fn compute_for_output(
        &self,
        pred: &Tensor,
        logits: Option<&Logits>,
        y: &Tensor,
        sample_weight: Option<&Tensor>,
    ) -> Result<Tensor> {
        use LossKind::*;
        let (loss, pred) = match logits.filter(|_| !self.from_logits) {
            Some(l)
                if matches!(
                    (self.kind, l.activation),
                    (
                        CategoricalCrossentropy | SparseCategoricalCrossentropy,
                        ActivationFn::Softmax
                    ) | (BinaryCrossentropy, ActivationFn::Sigmoid)
                ) =>
            {
                let on_logits = Loss {
                    from_logits: true,
                    ..*self
                };
                (on_logits, &l.values)
            }
            _ => (*self, pred),
        };
        match sample_weight {
            None => loss.compute(pred, y),
            Some(w) => loss.compute_weighted(pred, y, w),
        }
    }

    /// The mean loss over the batch (a scalar tensor, differentiable in `pred`).
    pub fn compute(&self, pred: &Tensor, y: &Tensor) -> Result<Tensor> {
        self.reduce(pred, y, Reduce::Mean)
    }

    /// The loss of each example (shape `[batch]`, the mean over the rest of its values, as
    /// Keras's loss functions reduce the last axis), differentiable: what sample weights
    /// weigh.
    pub fn per_sample(&self, pred: &Tensor, y: &Tensor) -> Result<Tensor> {
        self.reduce(pred, y, Reduce::PerSample)
    }

    /// Keras's weighted loss: `Σ loss_i · w_i / batch size` (reduction
    /// `sum_over_batch_size`), with one weight per example.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// let mse = Loss::parse("mse").unwrap();
    /// let pred = Tensor::from_slice(&[1.0f32, 2.0]).view([2, 1]);
    /// let y = Tensor::from_slice(&[0.0f32, 0.0]);
    /// let w = Tensor::from_slice(&[1.0f32, 0.5]);
    /// let loss = mse.compute_weighted(&pred, &y, &w).unwrap().double_value(&[]);
    /// assert!((loss - (1.0 + 4.0 * 0.5) / 2.0).abs() < 1e-6);
    /// ```
    pub fn compute_weighted(
        &self,
        pred: &Tensor,
        y: &Tensor,
        sample_weight: &Tensor,
    ) -> Result<Tensor> {
        let per = self.per_sample(pred, y)?;
        weigh(&per, sample_weight)
    }
}

/// What `compile`'s `loss` accepts: an id or a typed [`Loss`].
#[derive(Debug, Clone)]
pub enum LossArg {
    /// A typed loss.
    Typed(Loss),
    /// A string id.
    Id(String),
}

impl LossArg {
    /// Resolves to a loss, erroring on unknown ids.
    pub fn resolve(&self) -> Result<Loss> {
        match self {
            LossArg::Typed(l) => Ok(*l),
            LossArg::Id(s) => Loss::parse(s),
        }
    }
}

impl From<Loss> for LossArg {
    fn from(l: Loss) -> Self {
        LossArg::Typed(l)
    }
}
impl From<&str> for LossArg {
    fn from(s: &str) -> Self {
        LossArg::Id(s.into())
    }
}
impl From<String> for LossArg {
    fn from(s: String) -> Self {
        LossArg::Id(s)
    }
}

/// What `compile`'s `loss` accepts: one loss for every output, or one per output (in the
/// model's output order), each by id or typed, with optional weights (Keras's
/// `loss_weights`): `"mse"`, `["binary_crossentropy", "categorical_crossentropy"]`,
/// `Losses::from([...]).weights([1.0, 0.2])`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let l = Losses::from(["binary_crossentropy", "categorical_crossentropy"]).weights([1.0, 0.2]);
/// assert_eq!(l.resolve().unwrap().len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Losses {
    /// The losses: one, or one per output.
    pub losses: Vec<LossArg>,
    /// Each output's weight in the total loss (all 1 when `None`).
    pub loss_weights: Option<Vec<f64>>,
}

impl Losses {
    /// Weights each output's loss in the total (Keras's `loss_weights`).
    pub fn weights(mut self, weights: impl AsRef<[f64]>) -> Self {
        self.loss_weights = Some(weights.as_ref().to_vec());
        self
    }

    /// Resolves every loss, erroring on unknown ids.
    pub fn resolve(&self) -> Result<Vec<Loss>> {
        self.losses.iter().map(LossArg::resolve).collect()
    }
}

impl<T: Into<LossArg>> From<Vec<T>> for Losses {
    fn from(losses: Vec<T>) -> Self {
        Losses {
            losses: losses.into_iter().map(Into::into).collect(),
            loss_weights: None,
        }
    }
}
impl<T: Into<LossArg>, const N: usize> From<[T; N]> for Losses {
    fn from(losses: [T; N]) -> Self {
        Losses::from(Vec::from(losses))
    }
}
impl From<LossArg> for Losses {
    fn from(l: LossArg) -> Self {
        Losses::from(vec![l])
    }
}
impl From<Loss> for Losses {
    fn from(l: Loss) -> Self {
        Losses::from(vec![l])
    }
}
impl From<&str> for Losses {
    fn from(s: &str) -> Self {
        Losses::from(vec![s])
    }
}
impl From<String> for Losses {
    fn from(s: String) -> Self {
        Losses::from(vec![s])
    }
}

macro_rules! typed_loss {
    ($ty:ident, $kind:ident) => {
        #[doc = concat!("Keras's `", stringify!($ty), "` loss: `", stringify!($ty), "::new()` gives a [`Loss`].")]
        pub struct $ty;
        impl $ty {
            /// The loss with Keras's defaults (`from_logits` false).
            #[allow(clippy::new_ret_no_self)]
            pub fn new() -> Loss {
                Loss::of(LossKind::$kind)
            }
        }
    };
}
typed_loss!(MeanSquaredError, MeanSquaredError);
typed_loss!(MeanAbsoluteError, MeanAbsoluteError);
typed_loss!(BinaryCrossentropy, BinaryCrossentropy);
typed_loss!(CategoricalCrossentropy, CategoricalCrossentropy);
typed_loss!(SparseCategoricalCrossentropy, SparseCategoricalCrossentropy);

#[cfg(test)]
mod tests {
    use crate::activations::{ActivationFn, Logits};

    /// A saturated softmax: on clipped probabilities the loss is stuck at -ln(1e-7) with no
    /// gradient; with the logits (as Keras uses them) it is the true value and has a gradient.
    #[test]
    fn cross_entropy_uses_the_logits_of_a_softmax_output() {
        let mut logits = Tensor::from_slice(&[100.0f32, 0.0])
            .view([1, 2])
            .set_requires_grad(true);
        let probs = logits.softmax(-1, Kind::Float);
        let labels = Tensor::from_slice(&[1i64]);
        let loss = Loss::parse("sparse_categorical_crossentropy").unwrap();

        let clipped = loss.compute(&probs, &labels).unwrap();
        assert!((v(clipped.shallow_clone()) - 16.118).abs() < 1e-2);
        clipped.backward();
        assert_eq!(logits.grad().abs().sum(Kind::Float).double_value(&[]), 0.0);

        logits.zero_grad();
        let out = Logits {
            values: logits.shallow_clone(),
            activation: ActivationFn::Softmax,
        };
        let fused = loss
            .compute_for_output(&probs, Some(&out), &labels, None)
            .unwrap();
        assert!((v(fused.shallow_clone()) - 100.0).abs() < 1e-3);
        fused.backward();
        // d/dlogits of -log softmax(z)[1] = softmax(z) - onehot(1) = [1, -1].
        let g = Vec::<f32>::try_from(logits.grad().view([-1])).unwrap();
        assert!(
            (g[0] - 1.0).abs() < 1e-5 && (g[1] + 1.0).abs() < 1e-5,
            "{g:?}"
        );
    }

    /// Losses that are not cross-entropies of that activation ignore the logits.
    #[test]
    fn other_pairs_use_the_output() {
        let pred = Tensor::from_slice(&[0.2f32, 0.8]).view([1, 2]);
        let y = Tensor::from_slice(&[0.0f32, 1.0]).view([1, 2]);
        let out = Logits {
            values: pred.ones_like() * 5.0,
            activation: ActivationFn::Sigmoid,
        };
        let mse = Loss::parse("mse").unwrap();
        let want = v(mse.compute(&pred, &y).unwrap());
        assert!(
            (v(mse.compute_for_output(&pred, Some(&out), &y, None).unwrap()) - want).abs() < 1e-7
        );
        let cce = Loss::parse("categorical_crossentropy").unwrap();
        let want = v(cce.compute(&pred, &y).unwrap());
        assert!(
            (v(cce.compute_for_output(&pred, Some(&out), &y, None).unwrap()) - want).abs() < 1e-7
        );
    }

    use super::*;
    use tch::Device;

    fn v(t: Tensor) -> f64 {
        t.double_value(&[])
    }

    #[test]
    fn cross_entropies_match_hand_values() {
        let p = Tensor::from_slice(&[0.7f32, 0.2, 0.1, 0.1, 0.8, 0.1]).view([2, 3]);
        let labels = Tensor::from_slice(&[0i64, 1]);
        let want = -(0.7f64.ln() + 0.8f64.ln()) / 2.0;
        let sparse = Loss::parse("sparse_categorical_crossentropy").unwrap();
        assert!((v(sparse.compute(&p, &labels).unwrap()) - want).abs() < 1e-6);
        let onehot = Tensor::from_slice(&[1f32, 0., 0., 0., 1., 0.]).view([2, 3]);
        let cat = CategoricalCrossentropy::new();
        assert!((v(cat.compute(&p, &onehot).unwrap()) - want).abs() < 1e-6);
        let logits = p.log();
        let sl = SparseCategoricalCrossentropy::new().from_logits(true);
        assert!((v(sl.compute(&logits, &labels).unwrap()) - want).abs() < 1e-5);
        let bp = Tensor::from_slice(&[0.9f32, 0.2]).view([2, 1]);
        let by = Tensor::from_slice(&[1f32, 0.]);
        let bwant = -(0.9f64.ln() + 0.8f64.ln()) / 2.0;
        assert!((v(BinaryCrossentropy::new().compute(&bp, &by).unwrap()) - bwant).abs() < 1e-6);
        let logit = bp.logit(None);
        let bl = BinaryCrossentropy::new().from_logits(true);
        assert!((v(bl.compute(&logit, &by).unwrap()) - bwant).abs() < 1e-5);
        assert!((v(Loss::parse("mae").unwrap().compute(&bp, &by).unwrap()) - 0.15).abs() < 1e-6);
    }

    #[test]
    fn target_checks_name_the_problem() {
        let sparse = Loss::parse("sparse_categorical_crossentropy").unwrap();
        let y = Tensor::from_slice(&[0i64, 3]);
        let err = sparse.check_targets(&y, &[3]).unwrap_err().to_string();
        assert!(err.contains("labels must be in [0, 3)"), "{err}");
        let cat = Loss::parse("categorical_crossentropy").unwrap();
        let err = cat.check_targets(&y, &[3]).unwrap_err().to_string();
        assert!(err.contains("one-hot"), "{err}");
        let p = Tensor::from_slice(&[0.5f32, 0.5]).view([1, 2]);
        let err = sparse
            .compute(&p, &Tensor::from_slice(&[7i64]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("labels must be in [0, 2)"), "{err}");
        let err = Loss::parse("msee").unwrap_err().to_string();
        assert!(err.contains("mean_squared_error"), "{err}");
        let ok = Tensor::zeros([2, 3], (Kind::Float, Device::Cpu));
        assert!(cat.check_targets(&ok, &[3]).is_ok());
    }
}
