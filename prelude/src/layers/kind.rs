//! What a layer is: the [`LayerKind`] trait a built layer implements, the [`LayerSpec`]
//! trait of a layer not built yet (its typed config), and the shared handle type holding
//! one or the other. The handle's methods live beside their jobs (`handle`, `weight_access`,
//! `call`, `node`); the types live together because each names the others (a nested model's
//! kind lists handles, a handle holds a kind).

use super::lookup::Lookup;
use super::weight::Weight;
use crate::activations::Logits;
use crate::error::{Error, Result};
use serde_json::Value;
use std::any::Any;
use std::cell::RefCell;
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
    /// For a layer whose output is rows of a table picked by the input's integer ids
    /// (Embedding): the table and the ids, so that the layer reading the output may work from
    /// the table instead (see `forward_from_table`). `None` for every other layer.
    fn as_lookup(&self, _x: &Tensor) -> Option<Lookup> {
        None
    }
    /// The forward pass on `lookup.rows()` without making them, for a layer that has a
    /// faster way from the table (LSTM: the input projection once per table row instead of
    /// once per token). `None`: the model runs `forward` on the rows. A layer with such a way
    /// has no logits: `forward_logits` is not asked where this answers.
    fn forward_from_table(&self, _lookup: &Lookup, _training: bool) -> Option<Tensor> {
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

/// A layer whose weights depend on the shape of its first input: its typed config, which
/// the first build turns into the built [`LayerKind`] (burn's `Config::init`). A built kind
/// therefore always has its weights: none is an `Option` waiting for a build.
pub trait LayerSpec {
    /// Keras's class name, e.g. `Dense`.
    fn class_name(&self) -> &'static str;
    /// The prefix of automatic names, e.g. `dense`.
    fn default_name(&self) -> &'static str;
    /// The layer's options as Keras's `get_config()` writes them (without `name`,
    /// `trainable` and `dtype`, which the handle adds).
    fn config(&self) -> Value;
    /// See [`LayerKind::index_limit`]: known from the config, before any build.
    fn index_limit(&self) -> Option<i64> {
        None
    }
    /// See [`LayerKind::frozen_means_inference`].
    fn frozen_means_inference(&self) -> bool {
        false
    }
    /// Creates the weights for `inputs` (one example's shape each) and returns the built
    /// layer; the handle then asks it for the output shape (`LayerKind::build_inputs`).
    fn init(&self, label: &str, inputs: &[Vec<i64>], device: Device) -> Result<Box<dyn LayerKind>>;
}

/// Where a layer is in its life: a config waiting for its input's shape, or built.
pub(crate) enum Stage {
    /// Not built yet: only the typed config exists.
    Spec(Box<dyn LayerSpec>),
    /// Built (or a kind without weights, which is built from the start).
    Built(Box<dyn LayerKind>),
}

impl Stage {
    pub fn class_name(&self) -> &'static str {
        match self {
            Stage::Spec(s) => s.class_name(),
            Stage::Built(k) => k.class_name(),
        }
    }
    pub fn default_name(&self) -> &'static str {
        match self {
            Stage::Spec(s) => s.default_name(),
            Stage::Built(k) => k.default_name(),
        }
    }
    pub fn config(&self) -> Value {
        match self {
            Stage::Spec(s) => s.config(),
            Stage::Built(k) => k.config(),
        }
    }
    pub fn index_limit(&self) -> Option<i64> {
        match self {
            Stage::Spec(s) => s.index_limit(),
            Stage::Built(k) => k.index_limit(),
        }
    }
    pub fn frozen_means_inference(&self) -> bool {
        match self {
            Stage::Spec(s) => s.frozen_means_inference(),
            Stage::Built(k) => k.frozen_means_inference(),
        }
    }
    /// The built layer; `None` before the first build (no weights yet).
    pub fn built(&self) -> Option<&dyn LayerKind> {
        match self {
            Stage::Spec(_) => None,
            Stage::Built(k) => Some(k.as_ref()),
        }
    }
    pub fn weights(&self) -> Vec<Weight> {
        self.built().map(LayerKind::weights).unwrap_or_default()
    }
    pub fn params(&self) -> Vec<Tensor> {
        self.built().map(LayerKind::params).unwrap_or_default()
    }
    pub fn sublayers(&self) -> Option<Vec<Layer>> {
        self.built().and_then(LayerKind::sublayers)
    }
    pub fn own_param_counts(&self, trainable: bool) -> Option<(i64, i64)> {
        self.built().and_then(|k| k.own_param_counts(trainable))
    }
    pub fn on_set_trainable(&mut self, trainable: bool) {
        if let Stage::Built(k) = self {
            k.on_set_trainable(trainable);
        }
    }
}

pub(crate) struct LayerState {
    pub name: String,
    /// The typed config until the first build, then the built layer.
    pub stage: Stage,
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
pub(crate) struct WeakLayer(pub(super) Weak<RefCell<LayerState>>);

impl WeakLayer {
    /// The layer, if something still holds it.
    pub fn upgrade(&self) -> Option<Layer> {
        self.0.upgrade().map(Layer)
    }
}
