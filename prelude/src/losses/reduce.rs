//! How a loss is reduced: to the batch's mean (what training minimises) or to one value per
//! example (what sample weights weigh), and Keras's weighted reduction.

use super::*;

/// The reduction of a loss over a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reduce {
    /// One scalar: the mean of every value, as before weights existed (the fast path).
    Mean,
    /// One value per example: the mean of that example's values.
    PerSample,
}

impl Reduce {
    /// Reduces per-element losses `values` of a batch of `n`.
    pub(super) fn apply(self, values: Tensor, n: i64) -> Tensor {
        let kind = values.kind();
        match self {
            Reduce::Mean => values.mean(kind),
            Reduce::PerSample => values
                .reshape([n, -1])
                .mean_dim([1i64].as_slice(), false, kind),
        }
    }

    /// libtorch's reduction for its fused losses.
    pub(super) fn torch(self) -> tch::Reduction {
        match self {
            Reduce::Mean => tch::Reduction::Mean,
            Reduce::PerSample => tch::Reduction::None,
        }
    }

    /// Finishes a fused loss reduced with [`Reduce::torch`].
    pub(super) fn finish(self, values: Tensor, n: i64) -> Tensor {
        match self {
            Reduce::Mean => values,
            Reduce::PerSample => self.apply(values, n),
        }
    }
}

/// Keras's `sum_over_batch_size` of weighted per-example losses: `Σ l_i·w_i / n`.
pub(crate) fn weigh(per_sample: &Tensor, sample_weight: &Tensor) -> Result<Tensor> {
    let n = per_sample.size().first().copied().unwrap_or(1);
    let w = sample_weight
        .to_device(per_sample.device())
        .to_kind(per_sample.kind());
    if w.numel() as i64 != n {
        return Err(Error::InvalidData(format!(
            "sample_weight has {} values for a batch of {n} examples",
            w.numel()
        )));
    }
    Ok((per_sample * w.reshape([n])).sum(per_sample.kind()) / n as f64)
}

impl Loss {
    /// The loss over the batch, reduced to its mean or to one value per example.
    pub(super) fn reduce(&self, pred: &Tensor, y: &Tensor, how: Reduce) -> Result<Tensor> {
        // Targets prepared on the CPU meet predictions on the GPU.
        let y = &to_device_of(y, pred);
        let kind = pred.kind();
        let n = pred.size().first().copied().unwrap_or(1);
        let as_pred = |y: &Tensor| -> Result<Tensor> {
            if y.numel() != pred.numel() {
                return Err(Error::InvalidData(format!(
                    "{}: targets of shape {} do not match predictions of shape {}",
                    self.id(),
                    keras_shape(&y.size()),
                    keras_shape(&pred.size())
                )));
            }
            Ok(y.to_kind(kind).reshape(pred.size()))
        };
        Ok(match self.kind {
            LossKind::MeanSquaredError => how.apply((pred - as_pred(y)?).square(), n),
            LossKind::MeanAbsoluteError => how.apply((pred - as_pred(y)?).abs(), n),
            LossKind::BinaryCrossentropy => {
                let y = as_pred(y)?;
                if self.from_logits {
                    let r = pred.binary_cross_entropy_with_logits::<Tensor>(
                        &y,
                        None,
                        None,
                        how.torch(),
                    );
                    how.finish(r, n)
                } else {
                    let p = pred.clamp(EPSILON, 1.0 - EPSILON);
                    let one_minus = p.ones_like() - &p;
                    how.apply(-(&y * p.log() + (y.ones_like() - &y) * one_minus.log()), n)
                }
            }
            LossKind::CategoricalCrossentropy => {
                let y = as_pred(y)?;
                let logp = if self.from_logits {
                    pred.log_softmax(-1, kind)
                } else {
                    let p = pred / pred.sum_dim_intlist(-1, true, kind);
                    p.clamp(EPSILON, 1.0 - EPSILON).log()
                };
                how.apply(-(y * logp).sum_dim_intlist(-1, false, kind), n)
            }
            LossKind::SparseCategoricalCrossentropy => {
                let classes = *pred.size().last().unwrap_or(&1);
                let p2 = pred.reshape([-1, classes]);
                let labels = y.reshape([-1]).to_kind(Kind::Int64);
                if labels.size()[0] != p2.size()[0] {
                    return Err(Error::InvalidData(format!(
                        "sparse_categorical_crossentropy: labels of shape {} do not match predictions of shape {}",
                        keras_shape(&y.size()),
                        keras_shape(&pred.size())
                    )));
                }
                let logp = if self.from_logits {
                    p2.log_softmax(-1, kind)
                } else {
                    p2.clamp(EPSILON, 1.0 - EPSILON).log()
                };
                let r = logp
                    .f_nll_loss::<Tensor>(&labels, None, how.torch(), -100)
                    .map_err(|e| {
                        Error::InvalidData(format!(
                            "sparse_categorical_crossentropy: labels must be in [0, {classes}) ({})",
                            e.to_string().lines().next().unwrap_or_default()
                        ))
                    })?;
                how.finish(r, n)
            }
        })
    }
}
