//! Keras's `keras.optimizers`, with Keras's defaults: by id (`"adam"`) or typed
//! (`SGD { learning_rate: 0.1, momentum: 0.9, ..Default::default() }`).
//!
//! SGD, Adam, AdamW and RMSprop run on libtorch's fused C++ optimizers; Adagrad is written
//! with tensor ops.
//!
//! ```
//! use ferrokeras::prelude::*;
//! let opt = OptimizerArg::from("adam").resolve().unwrap();
//! assert_eq!(opt, OptimizerSpec::Adam(Adam::default()));
//! assert_eq!(Adam::default().learning_rate, 0.001);
//! ```

mod adagrad;
mod adam;
mod adamw;
mod optimizer;
mod rmsprop;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamw::AdamW;
pub(crate) use optimizer::apply_gradients;
pub use optimizer::Optimizer;
pub use rmsprop::RMSprop;
pub use sgd::SGD;

use crate::error::{Error, Result};
use tch::{COptimizer, Tensor};

/// A resolved optimizer configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimizerSpec {
    /// SGD.
    SGD(SGD),
    /// Adam.
    Adam(Adam),
    /// AdamW.
    AdamW(AdamW),
    /// RMSprop.
    RMSprop(RMSprop),
    /// Adagrad.
    Adagrad(Adagrad),
}

/// Every id [`OptimizerArg::resolve`] accepts.
pub const OPTIMIZER_IDS: &[&str] = &["sgd", "adam", "adamw", "rmsprop", "adagrad"];

/// What `compile`'s `optimizer` accepts: an id or a typed optimizer.
#[derive(Debug, Clone)]
pub enum OptimizerArg {
    /// A string id.
    Id(String),
    /// A typed configuration.
    Typed(OptimizerSpec),
}

impl OptimizerArg {
    /// Resolves the argument, erroring on unknown ids.
    pub fn resolve(&self) -> Result<OptimizerSpec> {
        match self {
            OptimizerArg::Typed(s) => Ok(*s),
            OptimizerArg::Id(id) => Ok(match id.to_lowercase().as_str() {
                "sgd" => OptimizerSpec::SGD(SGD::default()),
                "adam" => OptimizerSpec::Adam(Adam::default()),
                "adamw" => OptimizerSpec::AdamW(AdamW::default()),
                "rmsprop" => OptimizerSpec::RMSprop(RMSprop::default()),
                "adagrad" => OptimizerSpec::Adagrad(Adagrad::default()),
                _ => {
                    return Err(Error::UnknownId {
                        kind: "optimizer",
                        got: id.clone(),
                        valid: OPTIMIZER_IDS.to_vec(),
                    })
                }
            }),
        }
    }
}

impl From<&str> for OptimizerArg {
    fn from(s: &str) -> Self {
        OptimizerArg::Id(s.to_string())
    }
}
impl From<String> for OptimizerArg {
    fn from(s: String) -> Self {
        OptimizerArg::Id(s)
    }
}
macro_rules! typed_opt {
    ($ty:ident) => {
        impl From<$ty> for OptimizerArg {
            fn from(o: $ty) -> Self {
                OptimizerArg::Typed(OptimizerSpec::$ty(o))
            }
        }
    };
}
typed_opt!(SGD);
typed_opt!(Adam);
typed_opt!(AdamW);
typed_opt!(RMSprop);
typed_opt!(Adagrad);
/// `()` is Keras's default optimizer, `rmsprop` (`model.compile((), "mse", ())`).
impl From<()> for OptimizerArg {
    fn from(_: ()) -> Self {
        OptimizerArg::Id("rmsprop".into())
    }
}
impl From<OptimizerSpec> for OptimizerArg {
    fn from(s: OptimizerSpec) -> Self {
        OptimizerArg::Typed(s)
    }
}

/// A live optimizer bound to a model's parameters.
pub(crate) enum OptimizerState {
    Torch(COptimizer),
    Adagrad {
        cfg: Adagrad,
        params: Vec<Tensor>,
        accum: Vec<Tensor>,
    },
}

impl OptimizerSpec {
    /// The learning rate.
    pub fn learning_rate(&self) -> f64 {
        match self {
            OptimizerSpec::SGD(o) => o.learning_rate,
            OptimizerSpec::Adam(o) => o.learning_rate,
            OptimizerSpec::AdamW(o) => o.learning_rate,
            OptimizerSpec::RMSprop(o) => o.learning_rate,
            OptimizerSpec::Adagrad(o) => o.learning_rate,
        }
    }

    /// Changes the learning rate (Keras's `optimizer.learning_rate = …`).
    pub fn set_learning_rate(&mut self, lr: f64) {
        match self {
            OptimizerSpec::SGD(o) => o.learning_rate = lr,
            OptimizerSpec::Adam(o) => o.learning_rate = lr,
            OptimizerSpec::AdamW(o) => o.learning_rate = lr,
            OptimizerSpec::RMSprop(o) => o.learning_rate = lr,
            OptimizerSpec::Adagrad(o) => o.learning_rate = lr,
        }
    }

    /// Binds the optimizer to `params`.
    pub(crate) fn bind(&self, params: &[Tensor]) -> Result<OptimizerState> {
        let mut opt = match *self {
            OptimizerSpec::SGD(o) => o.coptimizer()?,
            OptimizerSpec::Adam(o) => o.coptimizer()?,
            OptimizerSpec::AdamW(o) => o.coptimizer()?,
            OptimizerSpec::RMSprop(o) => o.coptimizer()?,
            OptimizerSpec::Adagrad(cfg) => {
                return Ok(OptimizerState::Adagrad {
                    cfg,
                    params: params.iter().map(Tensor::shallow_clone).collect(),
                    accum: cfg.accumulators(params),
                });
            }
        };
        for p in params {
            opt.add_parameters(p, 0)?;
        }
        Ok(OptimizerState::Torch(opt))
    }
}

impl OptimizerState {
    pub(crate) fn zero_grad(&mut self) -> Result<()> {
        match self {
            OptimizerState::Torch(o) => o.zero_grad()?,
            OptimizerState::Adagrad { params, .. } => {
                for p in params.iter_mut() {
                    p.zero_grad();
                }
            }
        }
        Ok(())
    }

    /// Changes the learning rate of the bound optimizer, keeping its state (moments, …).
    pub(crate) fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        match self {
            OptimizerState::Torch(o) => o.set_learning_rate(lr)?,
            OptimizerState::Adagrad { cfg, .. } => cfg.learning_rate = lr,
        }
        Ok(())
    }

    pub(crate) fn step(&mut self) -> Result<()> {
        match self {
            OptimizerState::Torch(o) => o.step()?,
            OptimizerState::Adagrad { cfg, params, accum } => cfg.step(params, accum),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn one_step(spec: OptimizerSpec) -> f64 {
        let p = Tensor::from_slice(&[1.0f32]).set_requires_grad(true);
        let mut st = spec.bind(&[p.shallow_clone()]).unwrap();
        st.zero_grad().unwrap();
        (&p * 2.0).sum(Kind::Float).backward(); // gradient 2
        st.step().unwrap();
        p.double_value(&[0])
    }

    #[test]
    fn first_steps_match_the_formulas() {
        // SGD: 1 - 0.01 * 2
        assert!((one_step(OptimizerSpec::SGD(SGD::default())) - 0.98).abs() < 1e-6);
        // Adam's first step moves by ~lr whatever the gradient's size
        assert!((one_step(OptimizerSpec::Adam(Adam::default())) - 0.999).abs() < 1e-5);
        // Adagrad: accum 0.1 + 4, step 0.001 * 2 / sqrt(4.1)
        let want = 1.0 - 0.001 * 2.0 / (4.1f64 + 1e-7).sqrt();
        assert!((one_step(OptimizerSpec::Adagrad(Adagrad::default())) - want).abs() < 1e-6);
        // RMSprop: v = 0.1 * 4, step 0.001 * 2 / (sqrt(0.4) + eps)
        let want = 1.0 - 0.001 * 2.0 / 0.4f64.sqrt();
        assert!((one_step(OptimizerSpec::RMSprop(RMSprop::default())) - want).abs() < 1e-5);
        let _ = Device::Cpu;
    }

    #[test]
    fn unknown_optimizer_lists_ids() {
        let err = OptimizerArg::from("adamm")
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(err.contains("sgd, adam, adamw, rmsprop, adagrad"), "{err}");
    }
}
