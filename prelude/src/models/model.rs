//! `Model`: the shared core of `Sequential` and functional models — layers, building,
//! the forward pass, weights and trainability.

use super::training::Compiled;
use crate::activations::Logits;
use crate::error::{Error, Result};
use crate::layers::{Input, KerasTensor, Layer};
use std::cell::RefCell;
use std::rc::Rc;
use tch::{Device, Kind, Tensor};

pub(crate) struct ModelState {
    pub name: String,
    pub layers: Vec<Layer>,
    pub functional: bool,
    pub declared_input: Option<Vec<i64>>,
    pub input: Option<KerasTensor>,
    pub output: Option<KerasTensor>,
    pub compiled: Option<Compiled>,
    pub stop_training: bool,
}

/// A Keras model: a handle (cheap to clone, clones are the same model), so a cell can write
/// `let model = …` without `mut`.
///
/// Functional API:
/// ```
/// use ferrokeras::prelude::*;
/// let inputs = Input::new([4]);
/// let x = Dense::new(8).activation("relu").call(&inputs).unwrap();
/// let outputs = Dense::new(3).activation("softmax").call(&x).unwrap();
/// let model = Model::new(&inputs, &outputs).unwrap();
/// let y = model.predict(&Tensor::ones([2, 4], (Kind::Float, Device::Cpu))).unwrap();
/// assert_eq!(y.size(), vec![2, 3]);
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

/// The layers and graph needed for a forward pass, detached from the model's cell.
pub(crate) struct Plan {
    pub layers: Vec<Layer>,
    pub graph: Option<(KerasTensor, KerasTensor)>,
    pub input_shape: Vec<i64>,
    pub device: Device,
    pub embedding_first: bool,
}

impl Plan {
    pub(crate) fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        self.forward_with_logits(x, training).0
    }

    /// [`Plan::forward`], with the logits of an output that ends in `softmax` or `sigmoid`,
    /// which cross-entropy losses use instead of the probabilities (see [`Logits`]).
    pub(crate) fn forward_with_logits(
        &self,
        x: &Tensor,
        training: bool,
    ) -> (Tensor, Option<Logits>) {
        match (&self.graph, self.layers.split_last()) {
            (Some((_, output)), _) => output.eval_with_logits(x, training),
            (None, Some((last, rest))) => {
                let mut h = x.shallow_clone();
                for l in rest {
                    h = l.forward(&h, training);
                }
                last.forward_with_logits(&h, training)
            }
            (None, None) => (x.shallow_clone(), None),
        }
    }

    /// Moves a batch to the model's device and dtype, checking its shape.
    pub(crate) fn prepare(&self, x: &Tensor) -> Result<Tensor> {
        let size = x.size();
        if size.is_empty() || size[1..] != self.input_shape[..] {
            // Re-propagate the shapes to find the layer that rejects them.
            if size.is_empty() {
                return Err(Error::InvalidData(
                    "x is a scalar; expected a batch of examples".into(),
                ));
            }
            let mut shape = size[1..].to_vec();
            for l in &self.layers {
                shape = l.build(&shape, self.device)?;
            }
        }
        let x = if self.embedding_first {
            let ids = x.to_kind(Kind::Int64);
            let vocab = self.layers[0].config()["config"]["input_dim"]
                .as_i64()
                .unwrap_or(i64::MAX);
            if ids.numel() > 0 {
                let (lo, hi) = (ids.min().int64_value(&[]), ids.max().int64_value(&[]));
                if lo < 0 || hi >= vocab {
                    return Err(Error::InvalidData(format!(
                        "{} takes ids in [0, {vocab}), got ids from {lo} to {hi}",
                        self.layers[0].label()
                    )));
                }
            }
            ids
        } else if x.kind() != Kind::Float {
            x.to_kind(Kind::Float)
        } else {
            x.shallow_clone()
        };
        Ok(x.to_device(self.device))
    }
}

impl Model {
    pub(crate) fn from_state(state: ModelState) -> Model {
        Model(Rc::new(RefCell::new(state)))
    }

    /// A functional model from an input to an output (Keras's `Model(inputs, outputs)`).
    /// The output may be any inner layer's output, e.g. `model.layers()[0].output()?`, to read
    /// intermediate activations.
    pub fn new(inputs: &KerasTensor, outputs: &KerasTensor) -> Result<Model> {
        let root = outputs.root();
        if root.shape() != inputs.shape() {
            return Err(Error::InvalidArgument(format!(
                "outputs are computed from an input of shape {:?}, not from the given inputs of shape {:?}",
                root.shape(),
                inputs.shape()
            )));
        }
        let layers = outputs.layer_path();
        Ok(Model::from_state(ModelState {
            name: crate::layers::unique_name("functional"),
            layers,
            functional: true,
            declared_input: Some(inputs.shape()),
            input: Some(root),
            output: Some(outputs.clone()),
            compiled: None,
            stop_training: false,
        }))
    }

    /// The model's name.
    pub fn name(&self) -> String {
        self.0.borrow().name.clone()
    }

    /// Renames the model (Keras's `name=` argument), shown by `summary()`.
    pub fn set_name(&self, name: impl Into<String>) {
        self.0.borrow_mut().name = name.into();
    }

    /// The layers, in order (handles sharing the model's weights).
    pub fn layers(&self) -> Vec<Layer> {
        self.0.borrow().layers.clone()
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
        self.0.borrow().input.is_some()
    }

    /// Builds from the declared input shape (an `Input` item or a first layer's
    /// `input_shape`).
    pub fn build(&self) -> Result<()> {
        if self.built() {
            return Ok(());
        }
        let shape = self.0.borrow().declared_input.clone().ok_or_else(|| {
            Error::NotReady(format!(
                "model '{}' has no input shape yet: start it with Input::new([...]), give the first layer .input_shape([...]), or call fit/predict (which build from the data)",
                self.name()
            ))
        })?;
        self.build_for(&shape)
    }

    /// Builds for examples of `shape` (without batch).
    pub fn build_for(&self, shape: &[i64]) -> Result<()> {
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
        let mut s = self.0.borrow_mut();
        s.input = Some(input);
        s.output = Some(x);
        Ok(())
    }

    pub(crate) fn ensure_built(&self, example: Option<&[i64]>) -> Result<()> {
        if self.built() {
            return Ok(());
        }
        let declared = self.0.borrow().declared_input.clone();
        match (declared, example) {
            (Some(s), _) => self.build_for(&s),
            (None, Some(e)) => self.build_for(e),
            (None, None) => self.build(),
        }
    }

    pub(crate) fn plan(&self) -> Result<Plan> {
        self.build()?;
        let s = self.0.borrow();
        let input = s.input.clone().expect("built");
        let output = s.output.clone().expect("built");
        let device = s
            .layers
            .iter()
            .flat_map(|l| l.params())
            .map(|p| p.device())
            .next()
            .unwrap_or_else(crate::backend::current_device);
        Ok(Plan {
            layers: s.layers.clone(),
            graph: if s.functional {
                Some((input.clone(), output))
            } else {
                None
            },
            input_shape: input.shape(),
            device,
            embedding_first: s
                .layers
                .first()
                .is_some_and(|l| l.class_name() == "Embedding"),
        })
    }

    /// The symbolic input (Keras's `model.input`).
    pub fn input(&self) -> Result<KerasTensor> {
        self.build()?;
        Ok(self.0.borrow().input.clone().expect("built"))
    }

    /// The symbolic output (Keras's `model.output`).
    pub fn output(&self) -> Result<KerasTensor> {
        self.build()?;
        Ok(self.0.borrow().output.clone().expect("built"))
    }

    /// The output shape of one example (without batch).
    pub fn output_shape(&self) -> Result<Vec<i64>> {
        Ok(self.output()?.shape())
    }

    /// Runs the model on a batch in inference mode, with gradients (for hand-written loops).
    pub fn call(&self, x: &Tensor) -> Result<Tensor> {
        self.ensure_built(x.size().get(1..))?;
        let plan = self.plan()?;
        Ok(plan.forward(&plan.prepare(x)?, false))
    }

    /// Each layer's name and output for the input `x`, in inference mode, on the CPU —
    /// what `plot_feature_maps` draws (`(batch, h, w, channels)` for conv layers).
    pub fn activations(&self, x: &Tensor) -> Result<Vec<(String, Tensor)>> {
        self.ensure_built(x.size().get(1..))?;
        let plan = self.plan()?;
        let x = plan.prepare(x)?;
        let layers = match &plan.graph {
            Some((_, out)) => out.layer_path(),
            None => plan.layers.clone(),
        };
        tch::no_grad(|| {
            let mut h = x;
            let mut out = Vec::with_capacity(layers.len());
            for l in &layers {
                h = l.forward(&h, false);
                out.push((l.name(), h.to_device(Device::Cpu)));
            }
            Ok(out)
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

    /// The leaf tensors an optimizer updates (shared layers once).
    pub(crate) fn params(&self) -> Vec<Tensor> {
        let mut seen: Vec<Layer> = Vec::new();
        let mut out = Vec::new();
        for l in self.layers() {
            if seen.iter().any(|s| s.same(&l)) {
                continue;
            }
            out.extend(l.params());
            seen.push(l);
        }
        out
    }

    /// Asks a running `fit` to stop after the current epoch (for callbacks).
    pub fn stop_training(&self) {
        self.0.borrow_mut().stop_training = true;
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let class = if self.0.borrow().functional {
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

/// A model used as a layer of another model (a pre-built base under a new head).
struct NestedModel {
    model: Model,
    class: &'static str,
}

impl crate::layers::LayerKind for NestedModel {
    fn class_name(&self) -> &'static str {
        self.class
    }
    fn default_name(&self) -> &'static str {
        "functional"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        self.model.ensure_built(Some(input))?;
        let plan = self.model.plan()?;
        if plan.input_shape != input {
            // Let the inner layers report the mismatch.
            let mut shape = input.to_vec();
            for l in &plan.layers {
                shape = l.build(&shape, plan.device)?;
            }
            let _ = label;
        }
        self.model.output_shape()
    }
    fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        match self.model.plan() {
            Ok(plan) => plan.forward(x, training),
            Err(e) => panic!("nested model '{}' could not run: {e}", self.model.name()),
        }
    }
    fn weights(&self) -> Vec<crate::layers::Weight> {
        self.model
            .layers()
            .iter()
            .flat_map(Layer::named_weights)
            .collect()
    }
    fn params(&self) -> Vec<Tensor> {
        self.model.params()
    }
    fn config(&self) -> serde_json::Value {
        self.model.architecture()
    }
    fn on_set_trainable(&mut self, trainable: bool) {
        self.model.set_trainable(trainable);
    }
    fn own_param_counts(&self, trainable: bool) -> Option<(i64, i64)> {
        let mut c = (0, 0);
        for l in self.model.layers() {
            let (t, n) = l.param_counts();
            if trainable {
                c.0 += t;
                c.1 += n;
            } else {
                c.1 += t + n;
            }
        }
        Some(c)
    }
}

impl From<Model> for Layer {
    /// A model becomes one layer of another model (shared weights), as in transfer learning:
    /// `Sequential::new().add(base_model).add(GlobalAveragePooling2D::new())…`.
    fn from(model: Model) -> Layer {
        let class = if model.0.borrow().functional {
            "Functional"
        } else {
            "Sequential"
        };
        let name = model.name();
        let declared = model.0.borrow().declared_input.clone();
        Layer::new(
            NestedModel { model, class },
            crate::layers::LayerOpts {
                name: Some(name),
                input_shape: declared,
                trainable: None,
            },
        )
    }
}
