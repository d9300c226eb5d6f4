//! `Sequential`: a plain stack of layers.

use super::model::{Model, Structure};
use crate::layers::{KerasTensor, Layer};
use std::ops::Deref;

/// Keras's `Sequential`: layers applied one after another. Everything a [`Model`] does
/// (compile, fit, summary, …) works on it.
///
/// ```
/// use ferrokeras::prelude::*;
/// let model = Sequential::new()
///     .add(Input::new([28, 28]))
///     .add(Flatten::new())
///     .add(Dense::new(512).activation("relu"))
///     .add(Dense::new(10).activation("softmax"));
/// assert_eq!(model.count_params(), 407_050);
/// // `add` also works as a statement, as in Keras:
/// model.add(Dense::new(5));
/// assert_eq!(model.layers().len(), 4);
/// ```
#[derive(Clone)]
pub struct Sequential(Model);

/// What [`Sequential::add`] accepts: a layer (builder or handle), or an `Input`.
pub trait SequentialItem {
    /// Adds `self` to the model's state.
    fn add_to(self, model: &Model);
}

impl SequentialItem for KerasTensor {
    fn add_to(self, model: &Model) {
        model.edit_stack(|_, declared| *declared = Some(self.shape()));
    }
}

impl<T: Into<Layer>> SequentialItem for T {
    fn add_to(self, model: &Model) {
        let layer: Layer = self.into();
        model.edit_stack(|layers, declared| {
            if layers.is_empty() && declared.is_none() {
                *declared = layer.declared_input_shape();
            }
            layers.push(layer);
        });
    }
}

impl Model {
    /// Changes a `Sequential`'s layers or input; the graph is made again at the next build,
    /// and a bound optimizer binds again at the next fit (it does not know new weights).
    fn edit_stack<R>(&self, f: impl FnOnce(&mut Vec<Layer>, &mut Option<Vec<i64>>) -> R) -> R {
        let mut s = self.0.borrow_mut();
        s.graph = None;
        if let Some(c) = s.compiled.as_mut() {
            c.state.replace(None);
        }
        match &mut s.structure {
            Structure::Sequential {
                layers,
                declared_input,
            } => f(layers, declared_input),
            Structure::Functional => unreachable!("only a Sequential is edited"),
        }
    }
}

impl Default for Sequential {
    fn default() -> Self {
        Self::new()
    }
}

impl Sequential {
    /// An empty sequential model named `sequential`, `sequential_1`, …
    pub fn new() -> Self {
        Sequential(Model::from_state(
            crate::layers::unique_name("sequential"),
            Structure::Sequential {
                layers: Vec::new(),
                declared_input: None,
            },
            None,
        ))
    }

    /// A sequential model from a list of layers.
    pub fn from_layers(layers: impl IntoIterator<Item = Layer>) -> Self {
        let m = Self::new();
        for l in layers {
            l.add_to(&m.0);
        }
        m
    }

    /// Appends a layer (or sets the input with an `Input`). Returns the same model, so calls
    /// chain; as a statement it changes `model` in place.
    pub fn add(&self, item: impl SequentialItem) -> Sequential {
        item.add_to(&self.0);
        self.clone()
    }

    /// Removes the last layer (Keras's `pop`).
    pub fn pop(&self) -> Option<Layer> {
        self.0.edit_stack(|layers, _| layers.pop())
    }

    /// The underlying [`Model`] handle.
    pub fn model(&self) -> Model {
        self.0.clone()
    }
}

impl Deref for Sequential {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.0
    }
}

impl From<Sequential> for Model {
    fn from(s: Sequential) -> Model {
        s.0
    }
}

impl std::fmt::Debug for Sequential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Sequential> for Layer {
    fn from(s: Sequential) -> Layer {
        Layer::from(s.0)
    }
}

impl crate::runtime::Render for Sequential {
    fn mime_bundle(&self) -> crate::runtime::MimeBundle {
        crate::runtime::Render::mime_bundle(&self.0)
    }
}

/// Keras's `Sequential([...])` with a list of layers of different kinds:
/// `sequential![Dense::new(8), Activation::new("relu"), Dense::new(3)]`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let model = sequential![Input::new([4]), Dense::new(8), Activation::new("relu"), Dense::new(3)];
/// assert_eq!(model.count_params(), 4 * 8 + 8 + 8 * 3 + 3);
/// ```
#[macro_export]
macro_rules! sequential {
    ($($item:expr),* $(,)?) => {{
        let model = $crate::models::Sequential::new();
        $( model.add($item); )*
        model
    }};
}
