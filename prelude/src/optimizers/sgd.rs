//! Keras's `SGD` optimizer, written with in-place tensor ops as Keras's torch backend writes
//! it (`keras/src/backend/torch/optimizers/torch_sgd.py`).

use super::param::{Order, Param, Slots};
use tch::Tensor;

/// `value` as a 0-d tensor of `like`'s kind and device.
fn scalar(value: f64, like: &Tensor) -> Tensor {
    Tensor::full([] as [i64; 0], value, (like.kind(), like.device()))
}

/// Keras's `SGD`: learning rate 0.01, no momentum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SGD {
    /// Step size.
    pub learning_rate: f64,
    /// Momentum (0 = plain SGD).
    pub momentum: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}
impl Default for SGD {
    fn default() -> Self {
        SGD {
            learning_rate: 0.01,
            momentum: 0.0,
            nesterov: false,
        }
    }
}

/// SGD's variables: a `momentum` per weight, only when `momentum` is not 0.
pub(crate) struct SgdState {
    momentums: Option<Slots>,
}

impl SgdState {
    pub fn new(cfg: &SGD, n: usize) -> SgdState {
        SgdState {
            momentums: (cfg.momentum != 0.0).then(|| Slots::new("momentum", 0.0, n)),
        }
    }

    /// One step: `m = momentum·m − lr·g; w += m` (Nesterov: `w += momentum·m − lr·g`), or
    /// `w −= lr·g` without momentum.
    pub fn step(&mut self, cfg: &SGD, lr: f64, params: &[Param]) {
        tch::no_grad(|| {
            for (i, p) in params.iter().enumerate() {
                let Some(g) = p.gradient() else { continue };
                // `x += g·(−lr)` as one `addcmul_` with a 0-d factor: no temporary the size of
                // the weight (tch has no `add_(other, alpha)`).
                let neg_lr = scalar(-lr, &p.tensor);
                let mut w = p.tensor.shallow_clone();
                match self.momentums.as_mut() {
                    None => {
                        let _ = w.addcmul_(&g, &neg_lr);
                    }
                    Some(ms) => {
                        let m = ms.at(i, p);
                        let _ = m.g_mul_scalar_(cfg.momentum);
                        let _ = m.addcmul_(&g, &neg_lr);
                        if cfg.nesterov {
                            let _ = w.addcmul_(&g, &neg_lr);
                            let _ = w.addcmul_(m, &scalar(cfg.momentum, &p.tensor));
                        } else {
                            let _ = w.g_add_(m);
                        }
                    }
                }
            }
        })
    }

    /// The variables in Keras's order.
    pub fn slots(&mut self) -> (Order, Vec<&mut Slots>) {
        (Order::Grouped, self.momentums.iter_mut().collect())
    }
}
