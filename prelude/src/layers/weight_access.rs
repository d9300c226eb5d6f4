//! The handle's accessors for its layer's weights: Keras's `weights`, `get_weights`,
//! `set_weights`, `kernel`, `bias`, and the parameter counts `summary` shows.

use super::kind::Layer;
use super::weight::Weight;
use crate::error::{Error, Result};
use tch::Tensor;

impl Layer {
    /// The weights in Keras order and layout, as views (shared storage).
    pub fn weights(&self) -> Vec<Tensor> {
        self.0
            .borrow()
            .stage
            .weights()
            .into_iter()
            .map(|w| w.value)
            .collect()
    }

    /// The weights with their names and trainability.
    pub fn named_weights(&self) -> Vec<Weight> {
        self.0.borrow().stage.weights()
    }

    /// Copies of the weights (Keras's `get_weights`).
    pub fn get_weights(&self) -> Vec<Tensor> {
        self.weights().iter().map(|w| w.detach().copy()).collect()
    }

    /// Overwrites the weights in place (Keras's `set_weights`), checking count and shapes.
    pub fn set_weights(&self, values: &[Tensor]) -> Result<()> {
        let weights = self.named_weights();
        if weights.len() != values.len() {
            return Err(Error::InvalidArgument(format!(
                "layer '{}' has {} weights, got {}",
                self.name(),
                weights.len(),
                values.len()
            )));
        }
        for (w, v) in weights.iter().zip(values) {
            if w.value.size() != v.size() {
                return Err(Error::InvalidArgument(format!(
                    "layer '{}' weight '{}' has shape {:?}, got {:?}",
                    self.name(),
                    w.name,
                    w.value.size(),
                    v.size()
                )));
            }
        }
        tch::no_grad(|| {
            for (w, v) in weights.iter().zip(values) {
                let mut dst = w.value.shallow_clone();
                dst.copy_(&v.to_device(dst.device()).to_kind(dst.kind()));
            }
        });
        Ok(())
    }

    fn weight_named(&self, name: &str) -> Result<Tensor> {
        self.named_weights()
            .into_iter()
            .find(|w| w.name == name)
            .map(|w| w.value)
            .ok_or_else(|| {
                Error::NotReady(format!(
                    "layer '{}' has no {name} (it is not built yet or has no such weight)",
                    self.name()
                ))
            })
    }

    /// The kernel in Keras layout: Dense `(in, out)`, Conv2D `(kh, kw, in, out)`.
    pub fn kernel(&self) -> Result<Tensor> {
        self.weight_named("kernel")
    }

    /// The bias vector.
    pub fn bias(&self) -> Result<Tensor> {
        self.weight_named("bias")
    }

    /// The number of scalars in the weights.
    pub fn count_params(&self) -> i64 {
        self.weights().iter().map(|w| w.numel() as i64).sum()
    }

    /// `(trainable, non-trainable)` parameter counts, as `summary` reports them.
    pub fn param_counts(&self) -> (i64, i64) {
        let trainable = self.trainable();
        if let Some(c) = self.0.borrow().stage.own_param_counts(trainable) {
            return c;
        }
        let mut counts = (0, 0);
        for w in self.named_weights() {
            let n = w.value.numel() as i64;
            if trainable && w.trainable {
                counts.0 += n;
            } else {
                counts.1 += n;
            }
        }
        counts
    }
}
