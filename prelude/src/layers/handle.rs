//! The shared layer handle, the trait each layer kind implements, and the options every
//! layer builder has (`name`, `input_shape`, `trainable`).

use super::node::{KerasTensor, Node};
use crate::activations::Logits;
use crate::backend::to_device_of;
use crate::error::{keras_shape, Error, Result};
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};
use tch::{Device, Tensor};

/// One weight of a layer, in Keras layout.
#[derive(Debug)]
pub struct Weight {
    /// Keras's name for it: `kernel`, `bias`, `gamma`, `moving_mean`, …
    pub name: &'static str,
    /// The value, in Keras layout (a view on the layer's storage: in-place writes reach it).
    pub value: Tensor,
    /// Whether the optimizer may change it (`false` for BatchNormalization's moving stats).
    pub trainable: bool,
}

impl Weight {
    /// The weights of a layer with a `kernel` (already in Keras layout) and an optional
    /// `bias`, both trainable; none before the layer is built.
    pub(crate) fn kernel_and_bias(kernel: Option<Tensor>, bias: Option<&Tensor>) -> Vec<Weight> {
        let kernel = kernel.map(|value| Weight {
            name: "kernel",
            value,
            trainable: true,
        });
        let bias = bias.map(|b| Weight {
            name: "bias",
            value: b.shallow_clone(),
            trainable: true,
        });
        kernel.into_iter().chain(bias).collect()
    }
}

/// Handles on the leaf tensors a layer has created so far, for its `params`.
pub(crate) fn created_params<const N: usize>(tensors: [&Option<Tensor>; N]) -> Vec<Tensor> {
    tensors
        .into_iter()
        .flatten()
        .map(Tensor::shallow_clone)
        .collect()
}

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

/// Options every layer builder has.
#[derive(Debug, Clone, Default)]
pub struct LayerOpts {
    /// The layer's name (automatic when `None`: `dense`, `dense_1`, …).
    pub name: Option<String>,
    /// The shape of one input example, as Keras's `input_shape=`.
    pub input_shape: Option<Vec<i64>>,
    /// `false` freezes the layer's weights.
    pub trainable: Option<bool>,
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
    /// and a dropped model frees its weights.
    pub inbound: Vec<Weak<Node>>,
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
/// counters last for the whole notebook session (`runtime::session_state`), not just one cell.
pub(crate) fn unique_name(prefix: &str) -> String {
    let n = crate::runtime::session_state::next_count(&format!("name:{prefix}"));
    if n == 0 {
        prefix.to_string()
    } else {
        format!("{prefix}_{n}")
    }
}

/// The error for an input of the wrong shape.
pub(crate) fn layer_shape_err(label: &str, expected: impl Into<String>, input: &[i64]) -> Error {
    let mut full = vec![-1];
    full.extend_from_slice(input);
    Error::Shape {
        layer: label.to_string(),
        expected: expected.into(),
        got: keras_shape(&full),
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

    /// The output shape of one example (without batch), once built.
    pub fn output_shape(&self) -> Option<Vec<i64>> {
        self.0.borrow().output_shape.clone()
    }

    /// The node of the layer's first call that is still alive (its graph is owned by a model
    /// or by the cell's symbolic tensors).
    fn first_node(&self) -> Result<KerasTensor> {
        let s = self.0.borrow();
        s.inbound
            .iter()
            .find_map(Weak::upgrade)
            .map(KerasTensor)
            .ok_or_else(|| {
                Error::NotReady(format!(
                    "layer '{}' is not connected: it has never been called on a symbolic input (or the model that called it is gone), so it has no defined input or output",
                    s.name
                ))
            })
    }

    /// The symbolic input of the layer's first call (Keras's `layer.input`); for a layer of
    /// several inputs, the first (see [`Layer::inputs`]).
    pub fn input(&self) -> Result<KerasTensor> {
        let node = self.first_node()?;
        Ok(node.inputs().first().cloned().unwrap_or(node))
    }

    /// Every symbolic input of the layer's first call.
    pub fn inputs(&self) -> Result<Vec<KerasTensor>> {
        Ok(self.first_node()?.inputs().to_vec())
    }

    /// The symbolic output of the layer's first call (Keras's `layer.output`), to build a
    /// sub-model: `Model::new(&model.input()?, &model.layers()[0].output()?)`.
    pub fn output(&self) -> Result<KerasTensor> {
        self.first_node()
    }

    /// Remembers (weakly) a node this layer was called in.
    pub(crate) fn record_node(&self, node: &Rc<Node>) {
        let mut s = self.0.borrow_mut();
        s.inbound.retain(|w| w.strong_count() > 0);
        s.inbound.push(Rc::downgrade(node));
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

    /// Calls the layer on a tensor (inference mode) or a symbolic [`KerasTensor`].
    pub fn call<A: CallArg + ?Sized>(&self, x: &A) -> A::Output {
        x.call_layer(self)
    }

    /// The weights in Keras order and layout, as views (shared storage).
    pub fn weights(&self) -> Vec<Tensor> {
        self.0
            .borrow()
            .kind
            .weights()
            .into_iter()
            .map(|w| w.value)
            .collect()
    }

    /// For a model used as a layer, its layers (see [`LayerKind::sublayers`]).
    pub fn sublayers(&self) -> Option<Vec<Layer>> {
        self.0.borrow().kind.sublayers()
    }

    /// The weights with their names and trainability.
    pub fn named_weights(&self) -> Vec<Weight> {
        self.0.borrow().kind.weights()
    }

    /// Copies of the weights (Keras's `get_weights`).
    pub fn get_weights(&self) -> Vec<Tensor> {
        self.weights().iter().map(|w| w.detach().copy()).collect()
    }

    /// Overwrites the weights in place (Keras's `set_weights`), checking count and shapes.
    pub fn set_weights(&self, values: &[Tensor]) -> Result<()> {
        let weights = self.named_weights();
        if weights.len() != values.len() {
            return Err(Error::InvalidArgument(format!(
                "layer '{}' has {} weights, got {}",
                self.name(),
                weights.len(),
                values.len()
            )));
        }
        for (w, v) in weights.iter().zip(values) {
            if w.value.size() != v.size() {
                return Err(Error::InvalidArgument(format!(
                    "layer '{}' weight '{}' has shape {:?}, got {:?}",
                    self.name(),
                    w.name,
                    w.value.size(),
                    v.size()
                )));
            }
        }
        tch::no_grad(|| {
            for (w, v) in weights.iter().zip(values) {
                let mut dst = w.value.shallow_clone();
                dst.copy_(&v.to_device(dst.device()).to_kind(dst.kind()));
            }
        });
        Ok(())
    }

    fn weight_named(&self, name: &str) -> Result<Tensor> {
        self.named_weights()
            .into_iter()
            .find(|w| w.name == name)
            .map(|w| w.value)
            .ok_or_else(|| {
                Error::NotReady(format!(
                    "layer '{}' has no {name} (it is not built yet or has no such weight)",
                    self.name()
                ))
            })
    }

    /// The kernel in Keras layout: Dense `(in, out)`, Conv2D `(kh, kw, in, out)`.
    pub fn kernel(&self) -> Result<Tensor> {
        self.weight_named("kernel")
    }

    /// The bias vector.
    pub fn bias(&self) -> Result<Tensor> {
        self.weight_named("bias")
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

    /// The number of scalars in the weights.
    pub fn count_params(&self) -> i64 {
        self.weights().iter().map(|w| w.numel() as i64).sum()
    }

    /// `(trainable, non-trainable)` parameter counts, as `summary` reports them.
    pub fn param_counts(&self) -> (i64, i64) {
        let trainable = self.trainable();
        if let Some(c) = self.0.borrow().kind.own_param_counts(trainable) {
            return c;
        }
        let mut counts = (0, 0);
        for w in self.named_weights() {
            let n = w.value.numel() as i64;
            if trainable && w.trainable {
                counts.0 += n;
            } else {
                counts.1 += n;
            }
        }
        counts
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

/// What [`Layer::call`] accepts: a real tensor (runs the layer) or a symbolic one (builds a
/// functional graph).
pub trait CallArg {
    /// What the call returns.
    type Output;
    /// Calls `layer` on `self`.
    fn call_layer(&self, layer: &Layer) -> Self::Output;
}

impl CallArg for Tensor {
    type Output = Result<Tensor>;
    fn call_layer(&self, layer: &Layer) -> Result<Tensor> {
        call_on_tensors(layer, &[self], false)
    }
}

/// Runs `layer` on real tensors: builds it for their shapes, passes integer inputs as they
/// are to a layer that takes ids (Embedding) and as floats to every other layer.
fn call_on_tensors(layer: &Layer, xs: &[&Tensor], list: bool) -> Result<Tensor> {
    let mut shapes = Vec::with_capacity(xs.len());
    for x in xs {
        let size = x.size();
        if size.is_empty() {
            return Err(layer_shape_err(
                &layer.label(),
                "a batch of examples",
                &size,
            ));
        }
        shapes.push(size[1..].to_vec());
    }
    let device = xs.first().map_or(Device::Cpu, |x| x.device());
    if list {
        layer.build_inputs(&shapes, device)?;
    } else {
        layer.build(&shapes[0], device)?;
    }
    let takes_ids = layer.index_limit().is_some();
    // A layer of a model built on the GPU, called on a CPU batch (a cell inspecting layer by
    // layer): the inputs go where the weights are.
    let weights_at = layer.params().into_iter().next();
    let xs: Vec<Tensor> = xs
        .iter()
        .map(|x| {
            let x = if crate::data_adapter::is_integer(x) && !takes_ids {
                x.to_kind(tch::Kind::Float)
            } else {
                x.shallow_clone()
            };
            match &weights_at {
                Some(w) => to_device_of(&x, w),
                None => x,
            }
        })
        .collect();
    Ok(layer.forward_inputs(&xs, false))
}

/// A list of tensors for a layer of several inputs: `Add::new().call(&[&a, &b])`.
impl<const N: usize> CallArg for [&Tensor; N] {
    type Output = Result<Tensor>;
    fn call_layer(&self, layer: &Layer) -> Result<Tensor> {
        call_on_tensors(layer, self, true)
    }
}

impl CallArg for [&Tensor] {
    type Output = Result<Tensor>;
    fn call_layer(&self, layer: &Layer) -> Result<Tensor> {
        call_on_tensors(layer, self, true)
    }
}

impl CallArg for Vec<Tensor> {
    type Output = Result<Tensor>;
    fn call_layer(&self, layer: &Layer) -> Result<Tensor> {
        call_on_tensors(layer, &self.iter().collect::<Vec<_>>(), true)
    }
}

/// Implements the builder plumbing every layer builder shares: `name`, `input_shape`,
/// `trainable`, `Into<Layer>` and `call`.
macro_rules! layer_builder {
    ($ty:ident) => {
        impl $ty {
            /// Names the layer (automatic otherwise).
            pub fn name(mut self, name: impl Into<String>) -> Self {
                self.opts.name = Some(name.into());
                self
            }
            /// The shape of one input example (Keras's `input_shape=`).
            pub fn input_shape(mut self, shape: impl AsRef<[i64]>) -> Self {
                self.opts.input_shape = Some(shape.as_ref().to_vec());
                self
            }
            /// `false` creates the layer frozen.
            pub fn trainable(mut self, trainable: bool) -> Self {
                self.opts.trainable = Some(trainable);
                self
            }
            /// Turns the builder into a layer and calls it (see [`Layer::call`]).
            pub fn call<A: $crate::layers::CallArg + ?Sized>(self, x: &A) -> A::Output {
                $crate::layers::Layer::from(self).call(x)
            }
        }
        impl From<$ty> for $crate::layers::Layer {
            fn from(mut b: $ty) -> $crate::layers::Layer {
                let opts = std::mem::take(&mut b.opts);
                $crate::layers::Layer::new(b, opts)
            }
        }
    };
}
pub(crate) use layer_builder;

/// Implements `LayerKind` for a layer builder by handing every call to its `inner` kind, the
/// one implementation a family of layers shares (`ConvN`, `PoolN`, `Merge`).
macro_rules! delegate_layer_kind {
    ($ty:ident) => {
        impl LayerKind for $ty {
            fn class_name(&self) -> &'static str {
                self.inner.class_name()
            }
            fn default_name(&self) -> &'static str {
                self.inner.default_name()
            }
            fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>> {
                self.inner.build(label, input, device)
            }
            fn forward(&self, x: &Tensor, training: bool) -> Tensor {
                self.inner.forward(x, training)
            }
            fn weights(&self) -> Vec<Weight> {
                self.inner.weights()
            }
            fn params(&self) -> Vec<Tensor> {
                self.inner.params()
            }
            fn config(&self) -> Value {
                self.inner.config()
            }
            fn build_inputs(
                &mut self,
                label: &str,
                inputs: &[Vec<i64>],
                device: Device,
            ) -> Result<Vec<i64>> {
                self.inner.build_inputs(label, inputs, device)
            }
            fn forward_inputs(&self, xs: &[Tensor], training: bool) -> Tensor {
                self.inner.forward_inputs(xs, training)
            }
        }
    };
}
pub(crate) use delegate_layer_kind;
