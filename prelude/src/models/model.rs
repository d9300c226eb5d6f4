//! `Model`: the shared core of `Sequential` and functional models — the graph, building,
//! the forward pass, weights and trainability. Training lives in the `trainers` module.

use super::compiled::Compiled;
use super::graph::Graph;
use super::plan::Plan;
use crate::error::{Error, Result};
use crate::layers::{Input, KerasTensor, Layer, WeakLayer};
use std::cell::RefCell;
use std::rc::Rc;
use tch::{Device, Tensor};

/// How a model is defined.
pub(crate) enum Structure {
    /// A stack of layers (`Sequential`); its graph is made when it is built.
    Sequential {
        layers: Vec<Layer>,
        declared_input: Option<Vec<i64>>,
    },
    /// A graph given by its inputs and outputs (`Model::new`).
    Functional,
}

pub(crate) struct ModelState {
    pub name: String,
    pub structure: Structure,
    /// The graph, once built (always, for a functional model).
    pub graph: Option<Rc<Graph>>,
    pub compiled: Option<Compiled>,
    pub stop_training: bool,
    /// The learning rate the user or a callback set (`model.set_learning_rate`); training
    /// applies it to the optimizer before its next step. `None`: the compiled optimizer's.
    pub learning_rate: Option<f64>,
    /// The epoch a callback asked `fit` to start at (BackupAndRestore resuming a run).
    pub initial_epoch: Option<usize>,
    /// The layer this model is inside other models. Weak: that layer owns the model.
    pub as_layer: WeakLayer,
}

/// A Keras model: a handle (cheap to clone, clones are the same model), so a cell can write
/// `let model = …` without `mut`.
///
/// Functional API, with branches and merges:
/// ```
/// use ferrokeras::prelude::*;
/// let inputs = Input::new([32]);
/// let h = Dense::new(32).activation("relu").call(&inputs).unwrap();
/// let h2 = Dense::new(32).activation("relu").call(&h).unwrap();
/// let s = Add::new().call(&[&h, &h2]).unwrap();
/// let out = Dense::new(1).call(&s).unwrap();
/// let model = Model::new(&inputs, &out).unwrap();
/// assert_eq!(model.count_params(), 2145); // as Keras counts it
/// let y = model.predict(&Tensor::ones([2, 32], (Kind::Float, Device::Cpu))).unwrap();
/// assert_eq!(y.size(), vec![2, 1]);
/// ```
#[derive(Clone)]
pub struct Model(pub(crate) Rc<RefCell<ModelState>>);

/// A layer selector for [`Model::get_layer`]: an index or a name.
pub enum LayerKey {
    /// By position in `model.layers()`.
    Index(usize),
    /// By name.
    Name(String),
}
impl From<usize> for LayerKey {
    fn from(i: usize) -> Self {
        LayerKey::Index(i)
    }
}
impl From<&str> for LayerKey {
    fn from(s: &str) -> Self {
        LayerKey::Name(s.to_string())
    }
}

/// One or several symbolic tensors, for [`Model::new`]'s inputs and outputs:
/// `&x`, `&[&title, &body]`, or a `Vec<KerasTensor>`.
pub struct KerasTensors(pub Vec<KerasTensor>);

impl From<&KerasTensor> for KerasTensors {
    fn from(t: &KerasTensor) -> Self {
        KerasTensors(vec![t.clone()])
    }
}
impl<const N: usize> From<&[&KerasTensor; N]> for KerasTensors {
    fn from(ts: &[&KerasTensor; N]) -> Self {
        KerasTensors(ts.iter().map(|t| (*t).clone()).collect())
    }
}
impl From<&[&KerasTensor]> for KerasTensors {
    fn from(ts: &[&KerasTensor]) -> Self {
        KerasTensors(ts.iter().map(|t| (*t).clone()).collect())
    }
}
impl From<Vec<KerasTensor>> for KerasTensors {
    fn from(ts: Vec<KerasTensor>) -> Self {
        KerasTensors(ts)
    }
}
impl From<&Vec<KerasTensor>> for KerasTensors {
    fn from(ts: &Vec<KerasTensor>) -> Self {
        KerasTensors(ts.clone())
    }
}

impl Model {
    pub(crate) fn from_state(name: String, structure: Structure, graph: Option<Graph>) -> Model {
        Model(Rc::new(RefCell::new(ModelState {
            name,
            structure,
            graph: graph.map(Rc::new),
            compiled: None,
            stop_training: false,
            learning_rate: None,
            initial_epoch: None,
            as_layer: WeakLayer::default(),
        })))
    }

    /// A functional model from its inputs to its outputs (Keras's `Model(inputs, outputs)`):
    /// `Model::new(&inputs, &outputs)`, or `Model::new(&[&title, &body], &[&priority, &dept])`
    /// for several. An output may be any inner layer's output, e.g.
    /// `model.layers()[1].output()?`, to read intermediate activations.
    pub fn new(inputs: impl Into<KerasTensors>, outputs: impl Into<KerasTensors>) -> Result<Model> {
        let graph = Graph::new(&inputs.into().0, &outputs.into().0)?;
        Ok(Model::from_state(
            crate::layers::unique_name("functional"),
            Structure::Functional,
            Some(graph),
        ))
    }

    /// The model's name.
    pub fn name(&self) -> String {
        self.0.borrow().name.clone()
    }

    /// Renames the model (Keras's `name=` argument), shown by `summary()`.
    pub fn set_name(&self, name: impl Into<String>) {
        self.0.borrow_mut().name = name.into();
    }

    /// Whether this is a functional model (made by [`Model::new`]) rather than a `Sequential`.
    pub fn is_functional(&self) -> bool {
        matches!(self.0.borrow().structure, Structure::Functional)
    }

    /// The layers, in order (handles sharing the model's weights). As in Keras, a
    /// functional model lists its `InputLayer`s; a `Sequential` does not.
    pub fn layers(&self) -> Vec<Layer> {
        let s = self.0.borrow();
        match (&s.structure, &s.graph) {
            (Structure::Sequential { layers, .. }, _) => layers.clone(),
            (Structure::Functional, Some(g)) => g.layers(),
            (Structure::Functional, None) => Vec::new(),
        }
    }

    /// The layers that may hold weights: every layer but the inputs' (what saved files
    /// number).
    pub(crate) fn weight_layers(&self) -> Vec<Layer> {
        let inputs: Vec<Layer> = match &self.0.borrow().graph {
            Some(g) => g.inputs.iter().map(KerasTensor::layer).collect(),
            None => Vec::new(),
        };
        self.layers()
            .into_iter()
            .filter(|l| !inputs.iter().any(|i| i.same(l)))
            .collect()
    }

    /// One layer by index or name: `model.get_layer(0)?`, `model.get_layer("dense_1")?`.
    pub fn get_layer(&self, key: impl Into<LayerKey>) -> Result<Layer> {
        let layers = self.layers();
        match key.into() {
            LayerKey::Index(i) => layers.get(i).cloned().ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "layer index {i} is out of range: the model has {} layers",
                    layers.len()
                ))
            }),
            LayerKey::Name(n) => layers
                .iter()
                .find(|l| l.name() == n)
                .cloned()
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "no layer named '{n}'; layers are: {}",
                        layers
                            .iter()
                            .map(Layer::name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }),
        }
    }

    /// Whether the weights exist.
    pub fn built(&self) -> bool {
        self.0.borrow().graph.is_some()
    }

    /// The declared input shape of a `Sequential` (an `Input` item or a first layer's
    /// `input_shape`).
    pub(crate) fn declared_input(&self) -> Option<Vec<i64>> {
        match &self.0.borrow().structure {
            Structure::Sequential { declared_input, .. } => declared_input.clone(),
            Structure::Functional => None,
        }
    }

    /// Builds from the declared input shape (an `Input` item or a first layer's
    /// `input_shape`).
    pub fn build(&self) -> Result<()> {
        if self.built() {
            return Ok(());
        }
        let shape = self.declared_input().ok_or_else(|| {
            Error::NotReady(format!(
                "model '{}' has no input shape yet: start it with Input::new([...]), give the first layer .input_shape([...]), or call fit/predict (which build from the data)",
                self.name()
            ))
        })?;
        self.build_for(&shape)
    }

    /// Builds a `Sequential` for examples of `shape` (without batch): an `Input` and one
    /// call of each layer.
    pub fn build_for(&self, shape: &[i64]) -> Result<()> {
        if self.is_functional() {
            return Ok(());
        }
        let layers = self.layers();
        if layers.is_empty() {
            return Err(Error::NotReady(format!(
                "model '{}' has no layers",
                self.name()
            )));
        }
        let input = Input::new(shape);
        let mut x = input.clone();
        for l in &layers {
            x = l.call(&x)?;
        }
        self.0.borrow_mut().graph = Some(Rc::new(Graph::new(&[input], &[x])?));
        Ok(())
    }

    /// Builds, if not built yet, from the declared shape or else from the examples' shapes.
    pub(crate) fn ensure_built(&self, example: Option<&[i64]>) -> Result<()> {
        if self.built() {
            return Ok(());
        }
        match (self.declared_input(), example) {
            (Some(s), _) => self.build_for(&s),
            (None, Some(e)) => self.build_for(e),
            (None, None) => self.build(),
        }
    }

    /// The built graph.
    pub(crate) fn graph(&self) -> Result<Rc<Graph>> {
        self.build()?;
        Ok(self.0.borrow().graph.clone().expect("built"))
    }

    pub(crate) fn plan(&self) -> Result<Plan> {
        let graph = self.graph()?;
        let device = graph
            .layers()
            .iter()
            .flat_map(Layer::params)
            .map(|p| p.device())
            .next()
            .unwrap_or_else(crate::backend::current_device);
        Ok(Plan::new(graph, device))
    }

    /// The symbolic input (Keras's `model.input`); the first, for a model of several.
    pub fn input(&self) -> Result<KerasTensor> {
        Ok(self.graph()?.inputs[0].clone())
    }

    /// Every symbolic input (Keras's `model.inputs`).
    pub fn inputs(&self) -> Result<Vec<KerasTensor>> {
        Ok(self.graph()?.inputs.clone())
    }

    /// The symbolic output (Keras's `model.output`); the first, for a model of several.
    pub fn output(&self) -> Result<KerasTensor> {
        Ok(self.graph()?.outputs[0].clone())
    }

    /// Every symbolic output (Keras's `model.outputs`).
    pub fn outputs(&self) -> Result<Vec<KerasTensor>> {
        Ok(self.graph()?.outputs.clone())
    }

    /// The output shape of one example (without batch); the first output's, for several.
    pub fn output_shape(&self) -> Result<Vec<i64>> {
        Ok(self.output()?.shape())
    }

    /// Runs the model on a batch in inference mode, with gradients (for hand-written loops);
    /// or, on a symbolic tensor, calls the model as a layer of a bigger model
    /// (`base_model.call(&inputs)?`, Keras's `base_model(inputs)`).
    pub fn call<A: ModelCallArg + ?Sized>(&self, x: &A) -> A::Output {
        x.call_model(self)
    }

    /// The model on a batch in training mode (dropout active, batch statistics updated), with
    /// gradients: Keras's `model(x, training=True)` in a hand-written training step. The
    /// first output, for a model of several.
    pub fn call_training(&self, x: &Tensor) -> Result<Tensor> {
        self.ensure_built(x.size().get(1..))?;
        let plan = self.plan()?;
        let xs = plan.prepare(std::slice::from_ref(x))?;
        Ok(plan.forward(&xs, true).swap_remove(0))
    }

    /// Every output of the model for a batch `x`, in inference mode, with gradients — what a
    /// Keras model with several outputs returns when called (`feature_extractor(x)`), e.g. for
    /// a loss on intermediate activations.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// # fn main() -> ferrokeras::Result<()> {
    /// let inputs = Input::new([4]);
    /// let hidden = Dense::new(3).call(&inputs)?;
    /// let out = Dense::new(1).call(&hidden)?;
    /// let both = Model::new(&inputs, &[&hidden, &out])?;
    /// let values = both.call_outputs(&Tensor::ones([2, 4], (Kind::Float, Device::Cpu)))?;
    /// assert_eq!(values[0].size(), [2, 3]);
    /// assert_eq!(values[1].size(), [2, 1]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn call_outputs(&self, x: &Tensor) -> Result<Vec<Tensor>> {
        self.ensure_built(x.size().get(1..))?;
        let plan = self.plan()?;
        let xs = plan.prepare(std::slice::from_ref(x))?;
        Ok(plan.forward(&xs, false))
    }

    /// Each layer's name and output for the input `x`, in inference mode, on the CPU —
    /// what `plot_feature_maps` draws (`(batch, h, w, channels)` for conv layers).
    pub fn activations(&self, x: &Tensor) -> Result<Vec<(String, Tensor)>> {
        self.ensure_built(x.size().get(1..))?;
        let plan = self.plan()?;
        let xs = plan.prepare(std::slice::from_ref(x))?;
        tch::no_grad(|| {
            Ok(plan
                .graph
                .node_values(&xs)
                .into_iter()
                .filter(|(node, _)| !node.is_input())
                .map(|(node, t)| (node.name().to_string(), t.to_device(Device::Cpu)))
                .collect())
        })
    }

    /// The number of scalars in all weights.
    pub fn count_params(&self) -> i64 {
        let _ = self.build();
        self.layers().iter().map(Layer::count_params).sum()
    }

    /// Copies of every weight, layer by layer in Keras order and layout.
    pub fn get_weights(&self) -> Vec<Tensor> {
        let _ = self.build();
        self.layers().iter().flat_map(Layer::get_weights).collect()
    }

    /// Overwrites every weight (the list `get_weights` returns), checking count and shapes.
    pub fn set_weights(&self, weights: &[Tensor]) -> Result<()> {
        self.build()?;
        let layers = self.layers();
        let total: usize = layers.iter().map(|l| l.weights().len()).sum();
        if total != weights.len() {
            return Err(Error::InvalidArgument(format!(
                "model '{}' has {total} weight tensors, got {}",
                self.name(),
                weights.len()
            )));
        }
        let mut i = 0;
        for l in &layers {
            let n = l.weights().len();
            l.set_weights(&weights[i..i + n])?;
            i += n;
        }
        Ok(())
    }

    /// Whether any layer is trainable.
    pub fn trainable(&self) -> bool {
        self.layers().iter().any(Layer::trainable)
    }

    /// Freezes (`false`) or unfreezes every layer (Keras's `model.trainable = False`); then
    /// unfreeze single layers with `layer.set_trainable(true)` for fine-tuning.
    pub fn set_trainable(&self, trainable: bool) {
        for l in self.layers() {
            l.set_trainable(trainable);
        }
    }

    /// The leaf tensors an optimizer updates (each layer once).
    pub(crate) fn params(&self) -> Vec<Tensor> {
        let _ = self.build();
        self.layers().iter().flat_map(Layer::params).collect()
    }

    /// The weights training changes (Keras's `model.trainable_weights`), the tensors
    /// themselves: what `tape.gradient(&loss, &model.trainable_weights())` differentiates
    /// with respect to and `optimizer.apply_gradients` updates (frozen layers left out).
    pub fn trainable_weights(&self) -> Vec<Tensor> {
        self.params()
            .into_iter()
            .filter(Tensor::requires_grad)
            .collect()
    }

    /// Asks a running `fit` to stop after the current batch (for callbacks), as setting
    /// Keras's `model.stop_training = True` does.
    pub fn stop_training(&self) {
        self.0.borrow_mut().stop_training = true;
    }

    /// Makes the running `fit` start at `epoch` (for a callback's `on_train_begin`).
    pub(crate) fn set_initial_epoch(&self, epoch: usize) {
        self.0.borrow_mut().initial_epoch = Some(epoch);
    }

    /// The epoch a callback asked `fit` to start at, once.
    pub(crate) fn take_initial_epoch(&self) -> Option<usize> {
        self.0.borrow_mut().initial_epoch.take()
    }
}

/// What [`Model::call`] accepts: a batch (runs the model) or a symbolic tensor (adds the
/// model as one layer to a bigger graph).
pub trait ModelCallArg {
    /// What the call returns.
    type Output;
    /// Calls `model` on `self`.
    fn call_model(&self, model: &Model) -> Self::Output;
}

impl ModelCallArg for Tensor {
    type Output = Result<Tensor>;
    fn call_model(&self, model: &Model) -> Result<Tensor> {
        Ok(model.call_outputs(self)?.swap_remove(0))
    }
}

impl ModelCallArg for KerasTensor {
    type Output = Result<KerasTensor>;
    fn call_model(&self, model: &Model) -> Result<KerasTensor> {
        Layer::from(model.clone()).call(self)
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let class = if self.is_functional() {
            "Functional"
        } else {
            "Sequential"
        };
        let built = if self.built() { "True" } else { "False" };
        write!(f, "<{class} name={}, built={built}>", self.name())
    }
}

impl crate::runtime::Render for Model {
    /// Keras's repr, `<Sequential name=sequential, built=True>`; use `summary()` for the table.
    fn mime_bundle(&self) -> crate::runtime::MimeBundle {
        crate::runtime::MimeBundle::text(format!("{self:?}"))
    }
}
