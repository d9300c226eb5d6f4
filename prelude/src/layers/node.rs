//! The functional graph as Keras's `Node`: one call of a layer on some symbolic inputs, and
//! the symbolic tensor ([`KerasTensor`]) it produces.
//!
//! Ownership runs one way, from outputs back to inputs: a node holds its layer and its input
//! tensors, while a layer remembers the nodes it was called in only weakly. A model that
//! holds its output tensors therefore owns its whole graph, and once the model and the cell's
//! symbolic tensors are dropped, every layer and weight is freed (no reference cycle).

use super::call::CallArg;
use super::kind::Layer;
use crate::error::{keras_shape, Error, Result};
use crate::runtime::{MimeBundle, Render};
use std::any::Any;
use std::fmt;
use std::rc::Rc;

/// One call of a layer: its inputs and the shape of its output (one example, no batch axis).
pub(crate) struct Node {
    /// The layer called; an `InputLayer` for a model input.
    pub layer: Layer,
    /// The layer's name when it was called (the tensor's name).
    pub name: String,
    /// The symbolic inputs of the call (none for an `Input`).
    pub inputs: Vec<KerasTensor>,
    /// The output shape of one example.
    pub shape: Vec<i64>,
}

/// A symbolic tensor: the shape of one example and the graph that computes it from its
/// [`Input`](super::Input)s.
///
/// ```
/// use ferrokeras::prelude::*;
/// let inputs = Input::new([28, 28]);
/// let x = Flatten::new().call(&inputs).unwrap();
/// let outputs = Dense::new(10).activation("softmax").call(&x).unwrap();
/// assert_eq!(outputs.shape(), vec![10]);
/// let model = Model::new(&inputs, &outputs).unwrap();
/// assert_eq!(model.count_params(), 7850);
/// ```
#[derive(Clone)]
pub struct KerasTensor(pub(crate) Rc<Node>);

impl KerasTensor {
    /// A new node: `layer` called on `inputs`, giving examples of `shape`.
    pub(crate) fn from_call(layer: &Layer, inputs: Vec<KerasTensor>, shape: Vec<i64>) -> Self {
        let node = Rc::new(Node {
            layer: layer.clone(),
            name: layer.name(),
            inputs,
            shape,
        });
        let erased: Rc<dyn Any> = node.clone();
        layer.record_node(Rc::downgrade(&erased));
        KerasTensor(node)
    }

    /// The shape of one example (without the batch axis).
    pub fn shape(&self) -> Vec<i64> {
        self.0.shape.clone()
    }

    /// The tensor's name: its `Input`'s or producing layer's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether this is an `Input` rather than a layer's output.
    pub fn is_input(&self) -> bool {
        self.0.inputs.is_empty()
    }

    /// The layer that produced this tensor (the `InputLayer` of an `Input`).
    pub fn layer(&self) -> Layer {
        self.0.layer.clone()
    }

    /// The symbolic inputs of the call that produced this tensor.
    pub fn inputs(&self) -> &[KerasTensor] {
        &self.0.inputs
    }

    /// Whether two handles are the same symbolic tensor.
    pub fn same(&self, other: &KerasTensor) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// An identity for graph walks, valid while the tensor lives.
    pub(crate) fn key(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }
}

/// The layer's place in the graph (Keras's `layer.input`, `layer.output`): written here, not
/// in `handle`, because they read nodes, and a node holds its layer.
impl Layer {
    /// The node of the layer's first call that is still alive (its graph is owned by a model
    /// or by the cell's symbolic tensors).
    fn first_node(&self) -> Result<KerasTensor> {
        let s = self.0.borrow();
        s.inbound
            .iter()
            .find_map(|w| w.upgrade()?.downcast::<Node>().ok())
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
}

/// Calls `layer` on symbolic inputs: builds it for their shapes and records the node.
fn call_symbolic(layer: &Layer, inputs: Vec<KerasTensor>, list: bool) -> Result<KerasTensor> {
    if inputs.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{} was called on an empty list of inputs",
            layer.label()
        )));
    }
    let shapes: Vec<Vec<i64>> = inputs.iter().map(KerasTensor::shape).collect();
    let device = crate::backend::current_device();
    let out = if list {
        layer.build_inputs(&shapes, device)?
    } else {
        layer.build(&shapes[0], device)?
    };
    Ok(KerasTensor::from_call(layer, inputs, out))
}

impl CallArg for KerasTensor {
    type Output = Result<KerasTensor>;
    fn call_layer(&self, layer: &Layer) -> Result<KerasTensor> {
        call_symbolic(layer, vec![self.clone()], false)
    }
}

/// A list of symbolic tensors, for a layer of several inputs: `Add::new().call(&[&a, &b])`.
impl<const N: usize> CallArg for [&KerasTensor; N] {
    type Output = Result<KerasTensor>;
    fn call_layer(&self, layer: &Layer) -> Result<KerasTensor> {
        call_symbolic(layer, self.iter().map(|t| (*t).clone()).collect(), true)
    }
}

impl CallArg for [&KerasTensor] {
    type Output = Result<KerasTensor>;
    fn call_layer(&self, layer: &Layer) -> Result<KerasTensor> {
        call_symbolic(layer, self.iter().map(|t| (*t).clone()).collect(), true)
    }
}

impl CallArg for Vec<KerasTensor> {
    type Output = Result<KerasTensor>;
    fn call_layer(&self, layer: &Layer) -> Result<KerasTensor> {
        call_symbolic(layer, self.clone(), true)
    }
}

impl fmt::Debug for KerasTensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut full = vec![-1];
        full.extend(&self.0.shape);
        write!(
            f,
            "<KerasTensor shape={}, dtype=float32, name={}>",
            keras_shape(&full),
            self.0.name
        )
    }
}

impl Render for KerasTensor {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::text(format!("{self:?}"))
    }
}
