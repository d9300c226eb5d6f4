//! `Optimizer`: an optimizer of its own, for hand-written training loops
//! (`optimizer.apply_gradients`).

use super::{OptimizerArg, OptimizerSpec, OptimizerState, Param};
use crate::error::{Error, Result};
use std::cell::RefCell;
use tch::{Kind, Tensor};

/// An optimizer with its state, outside `compile`: Keras's
/// `optimizer = keras.optimizers.SGD(learning_rate=1e-3)` then
/// `optimizer.apply_gradients(zip(grads, weights))`. It applies the same update rules as
/// training with `fit` (Keras's formulas), and keeps their state (momentum, moments) from one
/// call to the next; [`Optimizer::variables`] reads it as Keras's `optimizer.variables`.
///
/// It binds to the weights of its first `apply_gradients`; later calls must pass the same
/// weights in the same order (as Keras's optimizer builds its variables once).
///
/// ```
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let w = Tensor::from_slice(&[1.0f32, 2.0]).set_requires_grad(true);
/// let optimizer = Optimizer::new(SGD { learning_rate: 0.1, ..Default::default() })?;
/// let tape = GradientTape::new();
/// let loss = (&w * &w).sum(Kind::Float);
/// let grads = tape.gradient(&loss, [&w])?;
/// optimizer.apply_gradients(&grads, [&w])?;
/// let w = Vec::<f64>::try_from(&w)?;
/// assert!((w[0] - 0.8).abs() < 1e-6 && (w[1] - 1.6).abs() < 1e-6); // w - 0.1 * 2w
/// # Ok(())
/// # }
/// ```
pub struct Optimizer {
    spec: RefCell<OptimizerSpec>,
    bound: RefCell<Option<Bound>>,
}

/// The optimizer's state and the weights it is bound to.
struct Bound {
    weights: Vec<Tensor>,
    state: OptimizerState,
}

impl Optimizer {
    /// An optimizer by id (`"adam"`) or typed (`Adam { learning_rate: 1e-4, ..Default::default() }`).
    pub fn new(optimizer: impl Into<OptimizerArg>) -> Result<Optimizer> {
        Ok(Optimizer {
            spec: RefCell::new(optimizer.into().resolve()?),
            bound: RefCell::new(None),
        })
    }

    /// Its configuration.
    pub fn spec(&self) -> OptimizerSpec {
        *self.spec.borrow()
    }

    /// The learning rate (Keras's `optimizer.learning_rate`).
    pub fn learning_rate(&self) -> f64 {
        self.spec.borrow().learning_rate()
    }

    /// Changes the learning rate, keeping the state.
    pub fn set_learning_rate(&self, lr: f64) -> Result<()> {
        self.spec.borrow_mut().set_learning_rate(lr);
        if let Some(b) = self.bound.borrow_mut().as_mut() {
            b.state.set_learning_rate(lr);
        }
        Ok(())
    }

    /// Steps taken (Keras's `optimizer.iterations`).
    pub fn iterations(&self) -> i64 {
        self.bound
            .borrow()
            .as_ref()
            .map_or(0, |b| b.state.iterations())
    }

    /// Keras's `optimizer.variables`, copied: `iteration`, `learning_rate`, then the rule's
    /// variables (`variable_0_momentum`, `variable_0_velocity`, … for Adam) in Keras's order.
    /// Before the first `apply_gradients` only the first two, as a Keras optimizer not yet
    /// built has.
    pub fn variables(&self) -> Vec<(String, Tensor)> {
        match self.bound.borrow_mut().as_mut() {
            Some(b) => copies(b.state.variables()),
            None => vec![
                ("iteration".into(), Tensor::from(0i64)),
                (
                    "learning_rate".into(),
                    Tensor::from(self.learning_rate() as f32),
                ),
            ],
        }
    }

    /// Sets the variables from values in [`Optimizer::variables`]'s order and shapes (Keras's
    /// `optimizer.set_weights`), after its first `apply_gradients`. A count or a shape that
    /// does not fit is [`Error::OptimizerStateMismatch`], naming it; nothing changes then.
    pub fn set_variables(&self, values: &[Tensor]) -> Result<()> {
        let mut bound = self.bound.borrow_mut();
        let b = bound.as_mut().ok_or_else(|| {
            Error::NotReady(
                "the optimizer has no variables before its first apply_gradients (it makes them for the weights it is given)".into(),
            )
        })?;
        b.state.set_variables(values)?;
        self.spec
            .borrow_mut()
            .set_learning_rate(b.state.spec().learning_rate());
        Ok(())
    }

    /// One update of `weights` by `gradients` (one per weight, same order), with the
    /// optimizer's rule: Keras's `optimizer.apply_gradients(zip(gradients, weights))`.
    pub fn apply_gradients<'w>(
        &self,
        gradients: &[Tensor],
        weights: impl IntoIterator<Item = &'w Tensor>,
    ) -> Result<()> {
        let weights: Vec<&Tensor> = weights.into_iter().collect();
        let mut bound = self.bound.borrow_mut();
        match bound.as_ref() {
            None => {
                let owned: Vec<Tensor> = weights.iter().map(|w| w.shallow_clone()).collect();
                let params = owned
                    .iter()
                    .enumerate()
                    .map(|(i, w)| Param::plain(w.shallow_clone(), format!("variable_{i}")))
                    .collect();
                let state = self.spec.borrow().bind(params);
                *bound = Some(Bound {
                    weights: owned,
                    state,
                });
            }
            Some(b) if !same_weights(&b.weights, &weights) => {
                return Err(Error::InvalidArgument(format!(
                    "this optimizer updates the {} weights of its first apply_gradients; it was given {} other ones (make one optimizer per set of weights)",
                    b.weights.len(),
                    weights.len()
                )));
            }
            Some(_) => {}
        }
        let b = bound.as_mut().expect("bound above");
        apply_gradients(&mut b.state, gradients, &weights)
    }
}

/// Whether `weights` are the tensors `bound` holds, in order.
fn same_weights(bound: &[Tensor], weights: &[&Tensor]) -> bool {
    bound.len() == weights.len()
        && bound
            .iter()
            .zip(weights)
            .all(|(a, b)| a.data_ptr() == b.data_ptr() && a.size() == b.size())
}

/// Puts `gradients` in the weights' `.grad` and takes one step of `state`'s rule: the
/// update rules read `.grad`, as `fit`'s steps do after `backward`.
pub(crate) fn apply_gradients(
    state: &mut OptimizerState,
    gradients: &[Tensor],
    weights: &[&Tensor],
) -> Result<()> {
    if gradients.len() != weights.len() {
        return Err(Error::InvalidArgument(format!(
            "apply_gradients got {} gradients for {} weights",
            gradients.len(),
            weights.len()
        )));
    }
    for (i, (g, w)) in gradients.iter().zip(weights).enumerate() {
        if !w.requires_grad() {
            return Err(Error::InvalidArgument(format!(
                "weight {i} is not trainable (it does not require gradients)"
            )));
        }
        if g.size() != w.size() {
            return Err(Error::InvalidArgument(format!(
                "gradient {i} has shape {:?}, its weight {:?}",
                g.size(),
                w.size()
            )));
        }
    }
    state.zero_grad();
    // libtorch has no setter for `.grad`; the gradient of sum(w * g) with respect to w is g,
    // so one backward pass writes every gradient into place.
    let total = gradients
        .iter()
        .zip(weights)
        .map(|(g, w)| (*w * g.detach().to_kind(w.kind())).sum(Kind::Float))
        .reduce(|a, b| a + b);
    if let Some(total) = total {
        total.backward();
    }
    state.step();
    Ok(())
}

/// Detached copies of `variables`.
pub(crate) fn copies(variables: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    variables
        .into_iter()
        .map(|(n, t)| (n, t.detach().copy()))
        .collect()
}
