//! `Mean`: the running (weighted) mean of values, Keras's `keras.metrics.Mean`.

use std::cell::RefCell;
use tch::{Kind, Tensor};

/// Keras's `keras.metrics.Mean`: `update_state(values)` adds values (a batch's loss, say),
/// `result()` is their mean so far, `reset_state()` starts again. With weights,
/// `update_state_weighted` adds `Σ values·w` over `Σ w`. The sums stay on the values' device,
/// so updating does not wait for the GPU; `result()` does.
///
/// ```
/// use ferrokeras::prelude::*;
/// let loss_tracker = Mean::new("loss");
/// loss_tracker.update_state(&Tensor::from(1.0f32));
/// loss_tracker.update_state(&Tensor::from_slice(&[2.0f32, 3.0]));
/// assert_eq!(loss_tracker.result(), 2.0);
/// loss_tracker.reset_state();
/// assert_eq!(loss_tracker.result(), 0.0);
/// ```
pub struct Mean {
    /// The name it is logged under.
    pub name: String,
    /// `(Σ values·w, Σ w)`, once updated.
    sums: RefCell<Option<(Tensor, Tensor)>>,
}

impl Mean {
    /// An empty mean named `name`.
    pub fn new(name: &str) -> Self {
        Mean {
            name: name.to_string(),
            sums: RefCell::new(None),
        }
    }

    /// Adds every value of `values` (weight 1 each).
    pub fn update_state(&self, values: &Tensor) {
        let v = values.detach().to_kind(Kind::Float);
        let count = Tensor::from(v.numel() as f32).to_device(v.device());
        self.add(v.sum(Kind::Float), count);
    }

    /// Adds `values` weighted by `sample_weight` (one weight per value, or per example).
    pub fn update_state_weighted(&self, values: &Tensor, sample_weight: &Tensor) {
        let v = values.detach().to_kind(Kind::Float);
        let n = v.size().first().copied().unwrap_or(1);
        let w = sample_weight
            .detach()
            .to_device(v.device())
            .to_kind(Kind::Float)
            .reshape([n, -1]);
        let v = v.reshape([n, -1]);
        // One weight per example counts for each of its values.
        let w = w.expand_as(&v);
        self.add((&v * &w).sum(Kind::Float), w.sum(Kind::Float));
    }

    fn add(&self, total: Tensor, count: Tensor) {
        let mut sums = self.sums.borrow_mut();
        match sums.as_mut() {
            Some((t, c)) => {
                let _ = t.g_add_(&total);
                let _ = c.g_add_(&count);
            }
            None => *sums = Some((total, count)),
        }
    }

    /// The mean so far (0 before any update, as Keras gives).
    pub fn result(&self) -> f64 {
        match self.sums.borrow().as_ref() {
            Some((t, c)) => divide_no_nan(t, c.double_value(&[])),
            None => 0.0,
        }
    }

    /// Forgets every value.
    pub fn reset_state(&self) {
        *self.sums.borrow_mut() = None;
    }
}

/// `total / count`, 0 where `count` is 0 (Keras's `divide_no_nan`): a mean of no weight.
pub(crate) fn divide_no_nan(total: &Tensor, count: f64) -> f64 {
    if count == 0.0 {
        0.0
    } else {
        total.double_value(&[]) / count
    }
}
