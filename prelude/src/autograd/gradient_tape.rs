//! `GradientTape`: gradients of a result with respect to the tensors it was computed from.

use crate::error::{Error, Result};
use std::cell::Cell;
use tch::{Kind, Tensor};

/// TensorFlow's `tf.GradientTape`, on libtorch's autograd.
///
/// libtorch records every operation on a tensor that requires gradients (a model's weights,
/// or a tensor made with `.set_requires_grad(true)`, TensorFlow's `tf.Variable`) as it runs,
/// so there is no `with` block: make the tape, compute, then ask `tape.gradient(&y, &x)`.
/// `tape.watch(&x)` makes a plain tensor tracked, as in TensorFlow (before computing with it).
/// As in TensorFlow, the gradient of a result of many values is that of their sum, and a
/// tape gives one set of gradients unless it is [`GradientTape::persistent`].
///
/// ```
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// // x = tf.Variable(0.); with tf.GradientTape() as tape: y = 2 * x + 3
/// let x = Tensor::from(0.0f32).set_requires_grad(true);
/// let tape = GradientTape::new();
/// let y = &x * 2 + 3;
/// let grad_of_y_wrt_x = tape.gradient(&y, &x)?;
/// assert_eq!(grad_of_y_wrt_x.double_value(&[]), 2.0);
///
/// // Several sources give one gradient each.
/// let w = Tensor::rand([2, 2], (Kind::Float, Device::Cpu)).set_requires_grad(true);
/// let b = Tensor::zeros([2], (Kind::Float, Device::Cpu)).set_requires_grad(true);
/// let tape = GradientTape::new();
/// let y = Tensor::rand([2, 2], (Kind::Float, Device::Cpu)).matmul(&w) + &b;
/// let grads = tape.gradient(&y, [&w, &b])?;
/// assert_eq!(grads[1].size(), [2]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct GradientTape {
    persistent: bool,
    used: Cell<bool>,
}

impl GradientTape {
    /// A tape that gives one set of gradients.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tape that may be asked for gradients several times (TensorFlow's
    /// `GradientTape(persistent=True)`); it keeps the recorded operations until dropped.
    pub fn persistent() -> Self {
        GradientTape {
            persistent: true,
            used: Cell::new(false),
        }
    }

    /// Tracks `x` from now on (TensorFlow's `tape.watch(x)` for a constant). `x` must be a
    /// tensor made directly (not the result of a computation).
    pub fn watch(&self, x: &Tensor) {
        if !x.requires_grad() {
            let _ = x.set_requires_grad(true);
        }
    }

    /// The gradient of `target` with respect to each source: one tensor for `&x`, a `Vec` for
    /// `&[..]`, `&Vec<..>` or `[&w, &b]`, in the same order. A source `target` does not depend
    /// on gets zeros.
    pub fn gradient<S: GradientSources>(&self, target: &Tensor, sources: S) -> Result<S::Output> {
        if self.used.replace(true) && !self.persistent {
            return Err(Error::InvalidArgument(
                "a GradientTape gives one set of gradients: use GradientTape::persistent() to ask again".into(),
            ));
        }
        let inputs = sources.source_list();
        if let Some(i) = inputs.iter().position(|t| !t.requires_grad()) {
            return Err(Error::InvalidArgument(format!(
                "source {i} of tape.gradient is not tracked: make it with .set_requires_grad(true) (a tf.Variable) or call tape.watch(&x) before computing with it"
            )));
        }
        if !target.requires_grad() {
            return Err(Error::InvalidArgument(
                "the target of tape.gradient was not computed from any tracked tensor".into(),
            ));
        }
        // TensorFlow differentiates the sum of a target of many values.
        let target = if target.numel() == 1 {
            target.shallow_clone()
        } else {
            target.sum(Kind::Float)
        };
        let grads = Tensor::f_run_backward(&[&target], &inputs, self.persistent, false)?;
        let grads = grads
            .into_iter()
            .zip(&inputs)
            .map(|(g, x)| if g.defined() { g } else { x.zeros_like() })
            .collect();
        Ok(S::from_list(grads))
    }
}

/// What [`GradientTape::gradient`] differentiates with respect to.
pub trait GradientSources {
    /// One tensor for one source, a `Vec` for several.
    type Output;
    /// The sources, in order.
    fn source_list(&self) -> Vec<&Tensor>;
    /// The gradients, shaped as the sources were given.
    fn from_list(grads: Vec<Tensor>) -> Self::Output;
}

impl GradientSources for &Tensor {
    type Output = Tensor;
    fn source_list(&self) -> Vec<&Tensor> {
        vec![*self]
    }
    fn from_list(mut grads: Vec<Tensor>) -> Tensor {
        grads.remove(0)
    }
}

impl GradientSources for &[Tensor] {
    type Output = Vec<Tensor>;
    fn source_list(&self) -> Vec<&Tensor> {
        self.iter().collect()
    }
    fn from_list(grads: Vec<Tensor>) -> Vec<Tensor> {
        grads
    }
}

impl GradientSources for &Vec<Tensor> {
    type Output = Vec<Tensor>;
    fn source_list(&self) -> Vec<&Tensor> {
        self.iter().collect()
    }
    fn from_list(grads: Vec<Tensor>) -> Vec<Tensor> {
        grads
    }
}

impl<const N: usize> GradientSources for [&Tensor; N] {
    type Output = Vec<Tensor>;
    fn source_list(&self) -> Vec<&Tensor> {
        self.to_vec()
    }
    fn from_list(grads: Vec<Tensor>) -> Vec<Tensor> {
        grads
    }
}

impl GradientSources for &[&Tensor] {
    type Output = Vec<Tensor>;
    fn source_list(&self) -> Vec<&Tensor> {
        self.to_vec()
    }
    fn from_list(grads: Vec<Tensor>) -> Vec<Tensor> {
        grads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn one_use_unless_persistent_and_untracked_sources_are_named() {
        let x = Tensor::ones([3], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let tape = GradientTape::new();
        let y = (&x * &x).sum(Kind::Float);
        assert_eq!(
            Vec::<f64>::try_from(tape.gradient(&y, &x).unwrap()).unwrap(),
            [2.0; 3]
        );
        assert!(tape.gradient(&y, &x).is_err());

        let tape = GradientTape::persistent();
        let y = (&x * &x * 3).sum(Kind::Float);
        let _ = tape.gradient(&y, &x).unwrap();
        assert_eq!(
            Vec::<f64>::try_from(tape.gradient(&y, &x).unwrap()).unwrap(),
            [6.0; 3]
        );

        let c = Tensor::ones([2], (Kind::Float, Device::Cpu));
        let tape = GradientTape::new();
        let err = tape
            .gradient(&(&x * 2).sum(Kind::Float), &c)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tape.watch"), "{err}");
        let tape = GradientTape::new();
        tape.watch(&c);
        let y = (&c * 5).sum(Kind::Float) + x.sum(Kind::Float);
        let g = tape.gradient(&y, [&c, &x]).unwrap();
        assert_eq!(Vec::<f64>::try_from(&g[0]).unwrap(), [5.0; 2]);
        // An unrelated source gets zeros.
        let z = Tensor::ones([2], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let tape = GradientTape::new();
        let g = tape.gradient(&(&x * 2).sum(Kind::Float), [&x, &z]).unwrap();
        assert_eq!(Vec::<f64>::try_from(&g[1]).unwrap(), [0.0; 2]);
    }
}
