//! Keras's `keras.optimizers`, with Keras's defaults: by id (`"adam"`) or typed
//! (`SGD { learning_rate: 0.1, momentum: 0.9, ..Default::default() }`).
//!
//! Each rule is Keras's formula (Keras's torch backend), written with in-place tensor ops;
//! its variables (momentums, velocities, …) read and write as Keras's `optimizer.variables`,
//! so that `.keras` and `.h5` files carry them both ways.
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
mod param;
mod rmsprop;
mod sgd;
mod state;

pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamw::AdamW;
pub use optimizer::Optimizer;
pub(crate) use optimizer::{apply_gradients, copies};
pub(crate) use param::{KerasLayout, Param};
pub use rmsprop::RMSprop;
pub use sgd::SGD;
pub(crate) use state::{keras_name, OptimizerState};

use crate::error::{Error, Result};

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Kind, Tensor};

    fn one_step(spec: OptimizerSpec) -> f64 {
        let p = Tensor::from_slice(&[1.0f32]).set_requires_grad(true);
        let mut st = spec.bind(vec![Param::plain(p.shallow_clone(), "w".into())]);
        st.zero_grad();
        (&p * 2.0).sum(Kind::Float).backward(); // gradient 2
        st.step();
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
        // RMSprop: v = 0.1 * 4, step 0.001 * 2 / sqrt(0.4 + eps)
        let want = 1.0 - 0.001 * 2.0 / (0.4f64 + 1e-7).sqrt();
        assert!((one_step(OptimizerSpec::RMSprop(RMSprop::default())) - want).abs() < 1e-6);
        // SGD with momentum 0.9: m = -0.01 * 2, w += m
        let sgd = SGD {
            momentum: 0.9,
            ..Default::default()
        };
        assert!((one_step(OptimizerSpec::SGD(sgd)) - 0.98).abs() < 1e-6);
        // AdamW decays first: 1 * (1 - 0.004 * 0.001), then Adam's first step of ~lr
        let want = (1.0 - 0.004 * 0.001) - 0.001;
        assert!((one_step(OptimizerSpec::AdamW(AdamW::default())) - want).abs() < 1e-6);
    }

    /// As Keras: a weight the step's loss does not reach is left out of the update, so its
    /// momentum does not carry it on (a zeroed gradient would have let it).
    #[test]
    fn a_weight_without_gradient_is_left_out_of_the_update() {
        let a = Tensor::from_slice(&[1.0f32]).set_requires_grad(true);
        let b = Tensor::from_slice(&[1.0f32]).set_requires_grad(true);
        let sgd = SGD {
            momentum: 0.9,
            ..Default::default()
        };
        let mut st = OptimizerSpec::SGD(sgd).bind(vec![
            Param::plain(a.shallow_clone(), "a".into()),
            Param::plain(b.shallow_clone(), "b".into()),
        ]);
        st.zero_grad();
        ((&a + &b) * 2.0).sum(Kind::Float).backward();
        st.step();
        st.zero_grad();
        (&a * 2.0).sum(Kind::Float).backward();
        st.step();
        // a: m = -0.02, then m = 0.9·m - 0.02; b moved once only.
        assert!((a.double_value(&[0]) - (0.98 - 0.038)).abs() < 1e-6);
        assert!((b.double_value(&[0]) - 0.98).abs() < 1e-6);
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
