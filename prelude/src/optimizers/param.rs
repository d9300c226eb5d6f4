//! What an optimizer is bound to: each weight it updates, with the name and layout Keras gives
//! that weight, and the per-weight variables (momentums, velocities, …) an update rule keeps.

use tch::Tensor;

/// Where a weight's Keras layout lies on the tensor the prelude trains: the strided view
/// `layer.weights()` gives (a Dense kernel is stored `(units, in)`, Keras's is `(in, units)`).
#[derive(Debug, Clone)]
pub(crate) struct KerasLayout {
    pub size: Vec<i64>,
    pub stride: Vec<i64>,
    /// The view's storage offset less the tensor's.
    pub offset: i64,
}

/// A weight an optimizer updates.
pub(crate) struct Param {
    /// The leaf tensor training changes (its `.grad` is the gradient).
    pub tensor: Tensor,
    /// Keras's name for it, as optimizer variables are named after it
    /// (`sequential_dense_kernel`: the weight's path with `_` for `/`).
    pub name: String,
    /// Its Keras layout, when that is not the tensor's own.
    pub layout: Option<KerasLayout>,
}

impl Param {
    /// A weight whose layout is Keras's (the weights given to `apply_gradients`).
    pub fn plain(tensor: Tensor, name: String) -> Param {
        Param {
            tensor,
            name,
            layout: None,
        }
    }

    /// An optimizer variable for this weight, filled with `value`, with the weight's strides
    /// (so that [`Param::keras_view`] applies to it as to the weight).
    pub fn new_slot(&self, value: f64) -> Tensor {
        let t = &self.tensor;
        tch::no_grad(|| {
            Tensor::empty_strided(t.size(), t.stride(), (t.kind(), t.device())).fill_(value)
        })
    }

    /// `slot` (a tensor laid out as this weight) seen in Keras's layout; writes to the view
    /// reach `slot`.
    pub fn keras_view(&self, slot: &Tensor) -> Tensor {
        match &self.layout {
            Some(l) => slot.as_strided(
                l.size.as_slice(),
                l.stride.as_slice(),
                slot.storage_offset() + l.offset,
            ),
            None => slot.shallow_clone(),
        }
    }

    /// The gradient to apply: `None` for a frozen weight or one the loss does not reach
    /// (Keras leaves those out of the update).
    pub fn gradient(&self) -> Option<Tensor> {
        if !self.tensor.requires_grad() {
            return None;
        }
        let g = self.tensor.grad();
        g.defined().then_some(g)
    }
}

/// One kind of optimizer variable (Adam's `momentum`, …), one per weight, made when a weight
/// first needs it: a frozen weight never gets one, as Keras builds its variables for the
/// trainable weights only.
pub(crate) struct Slots {
    /// Keras's suffix for the variable (`momentum`, `velocity`, `accumulator`, …).
    pub name: &'static str,
    /// The value it starts at.
    fill: f64,
    values: Vec<Option<Tensor>>,
}

impl Slots {
    /// Variables `name` for `n` weights, starting at `fill`.
    pub fn new(name: &'static str, fill: f64, n: usize) -> Slots {
        Slots {
            name,
            fill,
            values: (0..n).map(|_| None).collect(),
        }
    }

    /// The variable of weight `i` (`param`), made if it is not yet.
    pub fn at(&mut self, i: usize, param: &Param) -> &mut Tensor {
        let fill = self.fill;
        self.values[i].get_or_insert_with(|| param.new_slot(fill))
    }
}

/// The order Keras lists a rule's variables in: per weight all its kinds in turn
/// (`add_optimizer_variables(vars, ["momentum", "velocity"])`), or one kind for every weight
/// after the other.
pub(crate) enum Order {
    Interleaved,
    Grouped,
}

/// `(weight index, slots index)` for Keras's list of `kinds` kinds over the weights `live`.
pub(crate) fn keras_order(order: &Order, kinds: usize, live: &[usize]) -> Vec<(usize, usize)> {
    match order {
        Order::Interleaved => live
            .iter()
            .flat_map(|&p| (0..kinds).map(move |k| (p, k)))
            .collect(),
        Order::Grouped => (0..kinds)
            .flat_map(|k| live.iter().map(move |&p| (p, k)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn a_slot_seen_in_keras_layout_is_the_weight_view_of_it() {
        // A Dense kernel stored (units=2, in=3); Keras's view is its transpose.
        let w = Tensor::arange(6, (Kind::Float, Device::Cpu)).view([2, 3]);
        let view = w.tr();
        let p = Param {
            tensor: w.shallow_clone(),
            name: "k".into(),
            layout: Some(KerasLayout {
                size: view.size(),
                stride: view.stride(),
                offset: 0,
            }),
        };
        let slot = p.new_slot(0.0);
        p.keras_view(&slot).copy_(&view);
        assert!(
            slot.equal(&w),
            "writing Keras's layout fills the stored layout"
        );
    }

    #[test]
    fn keras_orders() {
        let live = [0, 2];
        assert_eq!(
            keras_order(&Order::Interleaved, 2, &live),
            vec![(0, 0), (0, 1), (2, 0), (2, 1)]
        );
        assert_eq!(
            keras_order(&Order::Grouped, 2, &live),
            vec![(0, 0), (2, 0), (0, 1), (2, 1)]
        );
    }
}
