//! Keras's `Adam` optimizer, written with in-place tensor ops as Keras's torch backend writes
//! it (`keras/src/backend/torch/optimizers/torch_adam.py`).

use super::param::{Order, Param, Slots};

/// Keras's `Adam`: learning rate 0.001, betas 0.9/0.999, epsilon 1e-7.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adam {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the first moment.
    pub beta_1: f64,
    /// Decay of the second moment.
    pub beta_2: f64,
    /// Numerical stability term.
    pub epsilon: f64,
}
impl Default for Adam {
    fn default() -> Self {
        Adam {
            learning_rate: 0.001,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

/// Adam's variables (AdamW's too): a `momentum` and a `velocity` per weight.
pub(crate) struct AdamState {
    momentums: Slots,
    velocities: Slots,
}

impl AdamState {
    pub fn new(n: usize) -> AdamState {
        AdamState {
            momentums: Slots::new("momentum", 0.0, n),
            velocities: Slots::new("velocity", 0.0, n),
        }
    }

    /// Step `iteration + 1`: `m += (g − m)(1 − β₁); v += (g² − v)(1 − β₂);
    /// w −= α·m / (√v + ε)` with `α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)`.
    pub fn step(&mut self, cfg: &Adam, lr: f64, iteration: i64, params: &[Param]) {
        // Keras computes α in float32 from float32 betas.
        let t = (iteration + 1) as f32;
        let (b1, b2) = (cfg.beta_1 as f32, cfg.beta_2 as f32);
        let alpha = f64::from(lr as f32 * (1.0 - b2.powf(t)).sqrt() / (1.0 - b1.powf(t)));
        tch::no_grad(|| {
            for (i, p) in params.iter().enumerate() {
                let Some(g) = p.gradient() else { continue };
                let m = self.momentums.at(i, p);
                let _ = m.lerp_(&g, 1.0 - cfg.beta_1);
                let v = self.velocities.at(i, p);
                let _ = v.lerp_(&g.square(), 1.0 - cfg.beta_2);
                if alpha == 0.0 {
                    continue;
                }
                // w + m / ((√v + ε) / −α) = w − α·m / (√v + ε), with one temporary.
                let mut denom = v.sqrt();
                let _ = denom.g_add_scalar_(cfg.epsilon);
                let _ = denom.g_div_scalar_(-alpha);
                let m = self.momentums.at(i, p);
                let _ = p.tensor.shallow_clone().addcdiv_(m, &denom);
            }
        })
    }

    /// The variables in Keras's order: per weight its momentum, then its velocity.
    pub fn slots(&mut self) -> (Order, Vec<&mut Slots>) {
        (
            Order::Interleaved,
            vec![&mut self.momentums, &mut self.velocities],
        )
    }
}
