//! The layer handle's core: naming, building (the typed config becomes the built layer on the
//! first build) and running. What a
//! handle does beyond naming and building lives beside its concept: weights in `weight`,
//! calls on tensors in `call`, the symbolic graph (`layer.input()`, `layer.output()`) in
//! `node`, which knows this module but is not known by it (a node owns its layer).

use super::builder::LayerOpts;
use super::keras_object::KerasObject;
use super::kind::{Layer, LayerKind, LayerSpec, LayerState, Stage, WeakLayer};
use super::lookup::Lookup;
use crate::activations::Logits;
use crate::error::Result;
use serde_json::Value;
use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};
use tch::{Device, Tensor};

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

impl Layer {
    /// Wraps a layer kind (built from the start: it has no weights, or made its own) into a
    /// handle, naming it.
    pub fn new(kind: impl LayerKind + 'static, opts: LayerOpts) -> Layer {
        Layer::from_kind(Box::new(kind), opts)
    }

    /// [`Layer::new`] for a kind already boxed.
    pub fn from_kind(kind: Box<dyn LayerKind>, opts: LayerOpts) -> Layer {
        Layer::from_stage(Stage::Built(kind), opts)
    }

    /// Wraps a layer's typed config into a handle; its first build creates the weights.
    pub fn from_spec(spec: impl LayerSpec + 'static, opts: LayerOpts) -> Layer {
        Layer::from_stage(Stage::Spec(Box::new(spec)), opts)
    }

    pub(crate) fn from_stage(stage: Stage, opts: LayerOpts) -> Layer {
        let name = opts
            .name
            .unwrap_or_else(|| unique_name(stage.default_name()));
        Layer(Rc::new(RefCell::new(LayerState {
            name,
            stage,
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
        self.0.borrow().stage.class_name()
    }

    /// `Dense 'dense_1'`, how errors name the layer.
    pub fn label(&self) -> String {
        let s = self.0.borrow();
        format!("{} '{}'", s.stage.class_name(), s.name)
    }

    /// For a layer that takes integer ids (Embedding): how many it knows (see
    /// [`LayerKind::index_limit`]).
    pub fn index_limit(&self) -> Option<i64> {
        self.0.borrow().stage.index_limit()
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
        self.build_with(
            std::slice::from_ref(&input.to_vec()),
            device,
            |kind, label| kind.build(label, input, device),
        )
    }

    /// Builds the layer for a list of inputs (merge layers) and returns its output shape.
    pub fn build_inputs(&self, inputs: &[Vec<i64>], device: Device) -> Result<Vec<i64>> {
        self.build_with(inputs, device, |kind, label| {
            kind.build_inputs(label, inputs, device)
        })
    }

    /// Turns the config into the built layer on the first build, runs `build` on the built
    /// kind (its output shape and shape checks), and records the shapes and trainability of
    /// the first build.
    fn build_with(
        &self,
        inputs: &[Vec<i64>],
        device: Device,
        build: impl FnOnce(&mut dyn LayerKind, &str) -> Result<Vec<i64>>,
    ) -> Result<Vec<i64>> {
        let label = self.label();
        let mut s = self.0.borrow_mut();
        if let Stage::Spec(spec) = &s.stage {
            s.stage = Stage::Built(spec.init(&label, inputs, device)?);
        }
        let Stage::Built(kind) = &mut s.stage else {
            unreachable!("the stage was set to Built just above")
        };
        let out = build(kind.as_mut(), &label)?;
        if s.output_shape.is_none() {
            s.input_shape = inputs.first().cloned();
            s.output_shape = Some(out.clone());
            let trainable = s.trainable;
            // Nested models keep their own layers' flags.
            if s.stage.own_param_counts(trainable).is_none() {
                for p in s.stage.params() {
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
        self.0.borrow().stage.sublayers()
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

    /// Runs `f` on the built layer. Forward passes only reach a layer through a graph node
    /// or a call on tensors, and both build the layer first: an unbuilt layer here is a bug
    /// in the prelude, not something a notebook can cause.
    fn with_built<T>(&self, f: impl FnOnce(&dyn LayerKind, bool) -> T) -> T {
        let s = self.0.borrow();
        // As in Keras, a frozen BatchNormalization runs in inference mode (fine-tuning keeps
        // its moving statistics): `f` gets whether that applies.
        let training_allowed = s.trainable || !s.stage.frozen_means_inference();
        match s.stage.built() {
            Some(kind) => f(kind, training_allowed),
            None => panic!(
                "{} '{}' ran before its first build",
                s.stage.class_name(),
                s.name
            ),
        }
    }

    /// Runs the layer on a batch without checks (the model checks shapes first).
    pub(crate) fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        self.with_built(|kind, allowed| kind.forward(x, training && allowed))
    }

    /// Runs the layer on one batch of each of its inputs, without checks.
    pub(crate) fn forward_inputs(&self, xs: &[Tensor], training: bool) -> Tensor {
        if let [x] = xs {
            return self.forward(x, training);
        }
        self.with_built(|kind, allowed| kind.forward_inputs(xs, training && allowed))
    }

    /// What the layer's output on `x` is made of, for an Embedding (see
    /// [`LayerKind::as_lookup`]).
    pub(crate) fn as_lookup(&self, x: &Tensor) -> Option<Lookup> {
        self.with_built(|kind, _| kind.as_lookup(x))
    }

    /// The forward pass on `lookup.rows()`, where the layer has a faster way from the table
    /// (see [`LayerKind::forward_from_table`]).
    pub(crate) fn forward_from_table(&self, lookup: &Lookup, training: bool) -> Option<Tensor> {
        self.with_built(|kind, allowed| kind.forward_from_table(lookup, training && allowed))
    }

    /// The forward pass, and the logits when the layer ends in `softmax` or `sigmoid` (the
    /// output is then computed from them, so the two agree).
    pub(crate) fn forward_with_logits(
        &self,
        x: &Tensor,
        training: bool,
    ) -> (Tensor, Option<Logits>) {
        let logits = self.with_built(|kind, _| kind.forward_logits(x, training));
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
        s.stage.on_set_trainable(trainable);
        for p in s.stage.params() {
            let _ = p.set_requires_grad(trainable);
        }
    }

    /// The leaf tensors an optimizer updates.
    pub(crate) fn params(&self) -> Vec<Tensor> {
        self.0.borrow().stage.params()
    }

    /// Keras 3's `get_config()` of this layer: `name`, `trainable`, the dtype policy, then
    /// the layer's typed options, as Keras writes them for the same layer.
    pub fn keras_config(&self) -> Value {
        let s = self.0.borrow();
        let mut c = serde_json::Map::new();
        c.insert("name".into(), Value::String(s.name.clone()));
        c.insert("trainable".into(), Value::Bool(s.trainable));
        c.insert(
            "dtype".into(),
            serde_json::to_value(KerasObject::float32_policy()).expect("plain JSON"),
        );
        if let Value::Object(options) = s.stage.config() {
            c.extend(options);
        }
        Value::Object(c)
    }

    /// The configuration (class name, name, options), for saving whole models.
    pub fn config(&self) -> Value {
        let s = self.0.borrow();
        serde_json::json!({
            "class_name": s.stage.class_name(),
            "name": s.name,
            "trainable": s.trainable,
            "input_shape": s.declared_input,
            "config": s.stage.config(),
        })
    }
}

impl fmt::Debug for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.borrow();
        write!(
            f,
            "<{} name={}, built={}>",
            s.stage.class_name(),
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
