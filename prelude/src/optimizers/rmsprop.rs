//! Keras's `RMSprop` optimizer, written with in-place tensor ops as Keras's torch backend
//! writes it (`keras/src/backend/torch/optimizers/torch_rmsprop.py`).

use super::param::{Order, Param, Slots};
use tch::{Device, Kind, Tensor};

/// Keras's `RMSprop`: learning rate 0.001, rho 0.9, epsilon 1e-7.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RMSprop {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the squared-gradient average.
    pub rho: f64,
    /// Momentum.
    pub momentum: f64,
    /// Numerical stability term.
    pub epsilon: f64,
    /// Centered variant.
    pub centered: bool,
}
impl Default for RMSprop {
    fn default() -> Self {
        RMSprop {
            learning_rate: 0.001,
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
        }
    }
}

/// RMSprop's variables: a `velocity` per weight, a `momentum` when `momentum > 0`, an
/// `average_gradient` when centered.
pub(crate) struct RmspropState {
    velocities: Slots,
    momentums: Option<Slots>,
    average_gradients: Option<Slots>,
    /// Per weight, a buffer for `g²` and the denominator, so a step makes no weight-sized
    /// temporaries.
    scratch: Slots,
}

impl RmspropState {
    pub fn new(cfg: &RMSprop, n: usize) -> RmspropState {
        RmspropState {
            velocities: Slots::new("velocity", 0.0, n),
            momentums: (cfg.momentum > 0.0).then(|| Slots::new("momentum", 0.0, n)),
            average_gradients: cfg.centered.then(|| Slots::new("average_gradient", 0.0, n)),
            scratch: Slots::new("scratch", 0.0, n),
        }
    }

    /// One step: `v = ρv + (1 − ρ)g²`; `d = √(v + ε)` (centered: `a = ρa + (1 − ρ)g`,
    /// `d = √(v − a² + ε)`); `w −= lr·g / d`, or with momentum `m = momentum·m + lr·g / d;
    /// w −= m`. Keras puts ε inside the square root.
    pub fn step(&mut self, cfg: &RMSprop, lr: f64, params: &[Param]) {
        let keep = 1.0 - cfg.rho;
        // A CPU scalar, which libtorch's `add.out` broadcasts on any device: its `add.Scalar_out`
        // writes to a temporary and copies that, a second pass over the weight.
        let epsilon = Tensor::scalar_tensor(cfg.epsilon, (Kind::Float, Device::Cpu));
        tch::no_grad(|| {
            for (i, p) in params.iter().enumerate() {
                let Some(g) = p.gradient() else { continue };
                let v = self.velocities.at(i, p);
                let denom = self.scratch.at(i, p);
                let _ = g.mul_out(denom, &g);
                let _ = v.lerp_(denom, keep);
                let _ = v.add_out(denom, &epsilon);
                if let Some(avg) = self.average_gradients.as_mut() {
                    let a = avg.at(i, p);
                    let _ = a.lerp_(&g, keep);
                    let _ = denom.g_sub_(&a.square());
                }
                let _ = denom.sqrt_();
                let mut w = p.tensor.shallow_clone();
                match self.momentums.as_mut() {
                    // m·momentum + g / (d / lr), then w −= m.
                    Some(ms) => {
                        let m = ms.at(i, p);
                        let _ = m.g_mul_scalar_(cfg.momentum);
                        if lr != 0.0 {
                            let _ = denom.g_div_scalar_(lr);
                            let _ = m.addcdiv_(&g, denom);
                        }
                        let _ = w.g_sub_(m);
                    }
                    // w + g / (d / −lr).
                    None if lr != 0.0 => {
                        let _ = denom.g_div_scalar_(-lr);
                        let _ = w.addcdiv_(&g, denom);
                    }
                    None => {}
                }
            }
        })
    }

    /// The variables in Keras's order: every velocity, then every momentum, then every
    /// average gradient.
    pub fn slots(&mut self) -> (Order, Vec<&mut Slots>) {
        let mut v = vec![&mut self.velocities];
        v.extend(self.momentums.as_mut());
        v.extend(self.average_gradients.as_mut());
        (Order::Grouped, v)
    }
}
