//! The layer handle: a named, shared [`LayerKind`] with the shapes of its first build. The
//! trait lives here with the handle that holds it (a kind's `sublayers` are handles, a
//! handle holds a kind: two files would import each other). What a
//! handle does beyond naming and building lives beside its concept: weights in `weight`,
//! calls on tensors in `call`, the symbolic graph (`layer.input()`, `layer.output()`) in
//! `node`, which knows this module but is not known by it (a node owns its layer).

use super::builder::LayerOpts;
use super::weight::Weight;
use crate::activations::Logits;
use crate::error::{Error, Result};
use serde_json::Value;
use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};
use tch::{Device, Tensor};

/// What a layer kind implements. Shapes exclude the batch axis.
pub trait LayerKind {
    /// Keras's class name, e.g. `Dense`.
    fn class_name(&self) -> &'static str;
    /// The prefix of automatic names, e.g. `dense` (then `dense_1`, …).
    fn default_name(&self) -> &'static str;
    /// Creates the weights for `input` if not yet created, checks the shape, and returns the
    /// output shape. `label` (e.g. `Dense 'dense_1'`) is for error messages.
    fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>>;
    /// The forward pass on a batch; `training` switches Dropout and BatchNormalization.
    fn forward(&self, x: &Tensor, training: bool) -> Tensor;
    /// For a layer that ends in `softmax` or `sigmoid`: its output before that activation, for
    /// the loss (see [`Logits`]). Other layers return `None`.
    fn forward_logits(&self, _x: &Tensor, _training: bool) -> Option<Logits> {
        None
    }
    /// The weights in Keras order and layout (empty before build).
    fn weights(&self) -> Vec<Weight> {
        Vec::new()
    }
    /// The leaf tensors the optimizer updates (internal layout).
    fn params(&self) -> Vec<Tensor> {
        Vec::new()
    }
    /// The layer's configuration, for saving whole models.
    fn config(&self) -> Value;
    /// Called when the layer is frozen or unfrozen (nested models pass it on).
    fn on_set_trainable(&mut self, _trainable: bool) {}
    /// `(trainable, non-trainable)` counts, when the layer computes them itself (nested models).
    fn own_param_counts(&self, _trainable: bool) -> Option<(i64, i64)> {
        None
    }

    // Layers of several inputs (Keras's merge layers) override the two methods below; every
    // other layer takes exactly one input and keeps these defaults.

    /// Builds for several inputs (one example's shape each) and returns the output shape.
    fn build_inputs(
        &mut self,
        label: &str,
        inputs: &[Vec<i64>],
        device: Device,
    ) -> Result<Vec<i64>> {
        match inputs {
            [one] => self.build(label, one, device),
            _ => Err(Error::InvalidArgument(format!(
                "{label} takes one input, got a list of {}",
                inputs.len()
            ))),
        }
    }
    /// The forward pass on one batch of each input (as many as `build_inputs` accepted).
    fn forward_inputs(&self, xs: &[Tensor], training: bool) -> Tensor {
        self.forward(&xs[0], training)
    }

    // Capabilities: what the model and trainer need to know about a layer kind.

    /// For a layer that takes integer indices (Embedding): how many ids it knows, so inputs
    /// are passed as integers and checked against `[0, n)`. `None`: inputs become floats.
    fn index_limit(&self) -> Option<i64> {
        None
    }
    /// Whether a frozen layer (`trainable == false`) runs in inference mode even while
    /// fitting, as Keras's BatchNormalization does (fine-tuning keeps its moving statistics).
    fn frozen_means_inference(&self) -> bool {
        false
    }
    /// For a model used as a layer: its own layers, in order (weight files keep them as a
    /// group of their own). `None` for every other layer.
    fn sublayers(&self) -> Option<Vec<Layer>> {
        None
    }
}

pub(crate) struct LayerState {
    pub name: String,
    pub kind: Box<dyn LayerKind>,
    pub trainable: bool,
    pub declared_input: Option<Vec<i64>>,
    pub input_shape: Option<Vec<i64>>,
    pub output_shape: Option<Vec<i64>>,
    /// The graph nodes this layer was called in, oldest first. Weak: a node owns its layer
    /// (and its inputs), never the other way round, so a layer never keeps a graph alive
    /// and a dropped model frees its weights. Typed `Any` so that this module need not know
    /// `node::Node` (node knows the handle; the reverse would make an import circle): only
    /// `node` stores and reads them.
    pub inbound: Vec<Weak<dyn Any>>,
}

/// A layer in a model: a cheap handle; clones share the same weights.
#[derive(Clone)]
pub struct Layer(pub(crate) Rc<RefCell<LayerState>>);

/// A layer handle that does not keep the layer alive (see [`Layer::downgrade`]).
#[derive(Clone, Default)]
pub(crate) struct WeakLayer(Weak<RefCell<LayerState>>);

impl WeakLayer {
    /// The layer, if something still holds it.
    pub fn upgrade(&self) -> Option<Layer> {
        self.0.upgrade().map(Layer)
    }
}

/// A fresh automatic name: `dense`, then `dense_1`, `dense_2`, … as Keras numbers them. The
/// counters last for the whole notebook session (`runtime::shared`), not just one cell.
pub(crate) fn unique_name(prefix: &str) -> String {
    let n = crate::runtime::shared::next_count(&format!("name:{prefix}"));
    if n == 0 {
        prefix.to_string()
    } else {
        format!("{prefix}_{n}")
    }
}

impl Layer {
    /// Wraps a layer kind into a handle, naming it.
    pub fn new(kind: impl LayerKind + 'static, opts: LayerOpts) -> Layer {
        Layer::from_kind(Box::new(kind), opts)
    }

    /// [`Layer::new`] for a kind already boxed (as the config loader makes them).
    pub fn from_kind(kind: Box<dyn LayerKind>, opts: LayerOpts) -> Layer {
        let name = opts
            .name
            .unwrap_or_else(|| unique_name(kind.default_name()));
        Layer(Rc::new(RefCell::new(LayerState {
            name,
            kind,
            trainable: opts.trainable.unwrap_or(true),
            declared_input: opts.input_shape,
            input_shape: None,
            output_shape: None,
            inbound: Vec::new(),
        })))
    }

    /// The layer's name (`dense_1`).
    pub fn name(&self) -> String {
        self.0.borrow().name.clone()
    }

    /// Keras's class name (`Dense`).
    pub fn class_name(&self) -> &'static str {
        self.0.borrow().kind.class_name()
    }

    /// `Dense 'dense_1'`, how errors name the layer.
    pub fn label(&self) -> String {
        let s = self.0.borrow();
        format!("{} '{}'", s.kind.class_name(), s.name)
    }

    /// For a layer that takes integer ids (Embedding): how many it knows (see
    /// [`LayerKind::index_limit`]).
    pub fn index_limit(&self) -> Option<i64> {
        self.0.borrow().kind.index_limit()
    }

    /// A handle that does not keep the layer alive (for a back-reference that must not make
    /// a cycle).
    pub(crate) fn downgrade(&self) -> WeakLayer {
        WeakLayer(Rc::downgrade(&self.0))
    }

    /// How many handles hold this layer (its model's graph, other models, the cell's
    /// variables): what a test reads to show that nothing holds a dropped model's layers.
    pub fn handle_count(&self) -> usize {
        Rc::strong_count(&self.0)
    }

    /// Whether two handles are the same layer.
    pub fn same(&self, other: &Layer) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The `input_shape` given when the layer was created, if any.
    pub fn declared_input_shape(&self) -> Option<Vec<i64>> {
        self.0.borrow().declared_input.clone()
    }

    /// Whether the weights exist (after the first build or call).
    pub fn built(&self) -> bool {
        self.0.borrow().output_shape.is_some()
    }

    /// Builds the layer for `input` (one example's shape) and returns its output shape.
    pub fn build(&self, input: &[i64], device: Device) -> Result<Vec<i64>> {
        self.build_with(std::slice::from_ref(&input.to_vec()), |kind, label| {
            kind.build(label, input, device)
        })
    }

    /// Builds the layer for a list of inputs (merge layers) and returns its output shape.
    pub fn build_inputs(&self, inputs: &[Vec<i64>], device: Device) -> Result<Vec<i64>> {
        self.build_with(inputs, |kind, label| {
            kind.build_inputs(label, inputs, device)
        })
    }

    /// Runs `build` on the kind and records the shapes and trainability of the first build.
    fn build_with(
        &self,
        inputs: &[Vec<i64>],
        build: impl FnOnce(&mut dyn LayerKind, &str) -> Result<Vec<i64>>,
    ) -> Result<Vec<i64>> {
        let label = self.label();
        let mut s = self.0.borrow_mut();
        let out = build(s.kind.as_mut(), &label)?;
        if s.output_shape.is_none() {
            s.input_shape = inputs.first().cloned();
            s.output_shape = Some(out.clone());
            let trainable = s.trainable;
            // Nested models keep their own layers' flags.
            if s.kind.own_param_counts(trainable).is_none() {
                for p in s.kind.params() {
                    let _ = p.set_requires_grad(trainable);
                }
            }
        }
        Ok(out)
    }

    /// The input shape of one example, Keras-style `(None, …)`, once built.
    pub fn input_shape(&self) -> Option<Vec<i64>> {
        self.0.borrow().input_shape.clone()
    }

    /// For a model used as a layer, its layers (see [`LayerKind::sublayers`]).
    pub fn sublayers(&self) -> Option<Vec<Layer>> {
        self.0.borrow().kind.sublayers()
    }

    /// Remembers (weakly) a graph node this layer was called in (see `inbound`).
    pub(crate) fn record_node(&self, node: Weak<dyn Any>) {
        let mut s = self.0.borrow_mut();
        s.inbound.retain(|w| w.strong_count() > 0);
        s.inbound.push(node);
    }

    /// The output shape of one example (without batch), once built.
    pub fn output_shape(&self) -> Option<Vec<i64>> {
        self.0.borrow().output_shape.clone()
    }

    /// Runs the layer on a batch without checks (the model checks shapes first).
    pub(crate) fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        let s = self.0.borrow();
        // As in Keras, a frozen BatchNormalization runs in inference mode (fine-tuning keeps
        // its moving statistics).
        let training = training && (s.trainable || !s.kind.frozen_means_inference());
        s.kind.forward(x, training)
    }

    /// Runs the layer on one batch of each of its inputs, without checks.
    pub(crate) fn forward_inputs(&self, xs: &[Tensor], training: bool) -> Tensor {
        if let [x] = xs {
            return self.forward(x, training);
        }
        let s = self.0.borrow();
        let training = training && (s.trainable || !s.kind.frozen_means_inference());
        s.kind.forward_inputs(xs, training)
    }

    /// The forward pass, and the logits when the layer ends in `softmax` or `sigmoid` (the
    /// output is then computed from them, so the two agree).
    pub(crate) fn forward_with_logits(
        &self,
        x: &Tensor,
        training: bool,
    ) -> (Tensor, Option<Logits>) {
        let logits = self.0.borrow().kind.forward_logits(x, training);
        match logits {
            Some(l) => (l.activation.apply(&l.values), Some(l)),
            None => (self.forward(x, training), None),
        }
    }

    /// Whether fit may change this layer's weights.
    pub fn trainable(&self) -> bool {
        self.0.borrow().trainable
    }

    /// Freezes (`false`) or unfreezes the layer.
    pub fn set_trainable(&self, trainable: bool) {
        let mut s = self.0.borrow_mut();
        s.trainable = trainable;
        s.kind.on_set_trainable(trainable);
        for p in s.kind.params() {
            let _ = p.set_requires_grad(trainable);
        }
    }

    /// The leaf tensors an optimizer updates.
    pub(crate) fn params(&self) -> Vec<Tensor> {
        self.0.borrow().kind.params()
    }

    /// The configuration (class name, name, options), for saving whole models.
    pub fn config(&self) -> Value {
        let s = self.0.borrow();
        serde_json::json!({
            "class_name": s.kind.class_name(),
            "name": s.name,
            "trainable": s.trainable,
            "input_shape": s.declared_input,
            "config": s.kind.config(),
        })
    }
}

impl fmt::Debug for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.borrow();
        write!(
            f,
            "<{} name={}, built={}>",
            s.kind.class_name(),
            s.name,
            s.output_shape.is_some()
        )
    }
}

impl crate::runtime::Render for Layer {
    fn mime_bundle(&self) -> crate::runtime::MimeBundle {
        crate::runtime::MimeBundle::text(format!("{self:?}"))
    }
}
