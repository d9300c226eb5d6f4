//! Symbolic tensors for the functional API: `Input::new([28, 28])` and the results of
//! calling layers on them.

use super::handle::{unique_name, CallArg, Layer};
use crate::activations::Logits;
use crate::error::{keras_shape, Result};
use crate::runtime::{MimeBundle, Render};
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use tch::Tensor;

pub(crate) struct Node {
    pub id: usize,
    pub name: String,
    pub shape: Vec<i64>,
    pub layer: Option<Layer>,
    pub input: Option<KerasTensor>,
}

/// A symbolic tensor: the shape of one example and how it is computed from an [`Input`].
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

fn next_id() -> usize {
    crate::runtime::shared::next_count("symbolic-tensor-id") as usize
}

/// Keras's `Input`: the start of a functional model, or the first item of a `Sequential`.
pub struct Input;

impl Input {
    /// A symbolic input for examples of `shape` (without the batch axis): `[21]`,
    /// `[100, 100, 3]`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(shape: impl AsRef<[i64]>) -> KerasTensor {
        KerasTensor(Rc::new(Node {
            id: next_id(),
            name: unique_name("input_layer"),
            shape: shape.as_ref().to_vec(),
            layer: None,
            input: None,
        }))
    }
}

impl KerasTensor {
    /// The shape of one example (without the batch axis).
    pub fn shape(&self) -> Vec<i64> {
        self.0.shape.clone()
    }

    /// The name of the node (the input's or producing layer's name).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether this is an `Input` rather than a layer output.
    pub fn is_input(&self) -> bool {
        self.0.layer.is_none()
    }

    /// The input this tensor is computed from (itself for an `Input`).
    pub fn root(&self) -> KerasTensor {
        let mut t = self.clone();
        while let Some(i) = t.0.input.clone() {
            t = i;
        }
        t
    }

    /// The layers from the root input to this tensor, in order.
    pub(crate) fn layer_path(&self) -> Vec<Layer> {
        let mut layers = Vec::new();
        let mut t = self.clone();
        while let Some(l) = t.0.layer.clone() {
            layers.push(l);
            match t.0.input.clone() {
                Some(i) => t = i,
                None => break,
            }
        }
        layers.reverse();
        layers
    }

    /// Evaluates the graph up to this tensor for the batch `x` fed at its input.
    pub(crate) fn eval(
        &self,
        x: &Tensor,
        training: bool,
        cache: &mut HashMap<usize, Tensor>,
    ) -> Tensor {
        if let Some(t) = cache.get(&self.0.id) {
            return t.shallow_clone();
        }
        let out = match (&self.0.layer, &self.0.input) {
            (Some(layer), Some(src)) => {
                let xin = src.eval(x, training, cache);
                layer.forward(&xin, training)
            }
            _ => x.shallow_clone(),
        };
        cache.insert(self.0.id, out.shallow_clone());
        out
    }
}

impl KerasTensor {
    /// [`KerasTensor::eval`] of a model's output, with the output layer's logits when it ends
    /// in `softmax` or `sigmoid` (for the loss).
    pub(crate) fn eval_with_logits(&self, x: &Tensor, training: bool) -> (Tensor, Option<Logits>) {
        match (&self.0.layer, &self.0.input) {
            (Some(layer), Some(src)) => {
                let xin = src.eval(x, training, &mut HashMap::new());
                layer.forward_with_logits(&xin, training)
            }
            _ => (self.eval(x, training, &mut HashMap::new()), None),
        }
    }
}

impl CallArg for KerasTensor {
    type Output = Result<KerasTensor>;
    fn call_layer(&self, layer: &Layer) -> Result<KerasTensor> {
        let out = layer.build(&self.0.shape, crate::backend::current_device())?;
        let node = KerasTensor(Rc::new(Node {
            id: next_id(),
            name: layer.name(),
            shape: out,
            layer: Some(layer.clone()),
            input: Some(self.clone()),
        }));
        layer.record_nodes(self, &node);
        Ok(node)
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
