//! A model used as one layer of another model (a pre-built base under a new head), as
//! Keras's `Functional` and `Sequential` are layers too.

use super::model::Model;
use crate::error::{Error, Result};
use crate::layers::{Layer, LayerKind, LayerOpts, Weight};
use tch::{Device, Tensor};

struct NestedModel {
    model: Model,
    class: &'static str,
}

impl LayerKind for NestedModel {
    fn class_name(&self) -> &'static str {
        self.class
    }
    fn default_name(&self) -> &'static str {
        "functional"
    }
    fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>> {
        self.build_inputs(label, &[input.to_vec()], device)
    }
    fn build_inputs(
        &mut self,
        label: &str,
        inputs: &[Vec<i64>],
        device: Device,
    ) -> Result<Vec<i64>> {
        self.model.ensure_built(inputs.first().map(Vec::as_slice))?;
        let graph = self.model.graph()?;
        if graph.outputs.len() != 1 {
            return Err(Error::InvalidArgument(format!(
                "{label} has {} outputs; a model used as a layer must have one",
                graph.outputs.len()
            )));
        }
        if inputs.len() != graph.inputs.len() {
            return Err(Error::InvalidArgument(format!(
                "{label} takes {} inputs, got {}",
                graph.inputs.len(),
                inputs.len()
            )));
        }
        // The inner layers report a shape they cannot take.
        graph.check_shapes(inputs, device)?;
        Ok(graph.outputs[0].shape())
    }
    fn forward(&self, x: &Tensor, training: bool) -> Tensor {
        self.forward_inputs(std::slice::from_ref(x), training)
    }
    fn forward_inputs(&self, xs: &[Tensor], training: bool) -> Tensor {
        let graph = match self.model.graph() {
            Ok(g) => g,
            Err(e) => panic!("nested model '{}' could not run: {e}", self.model.name()),
        };
        graph.forward(xs, training, false).0.swap_remove(0)
    }
    fn weights(&self) -> Vec<Weight> {
        self.model
            .layers()
            .iter()
            .flat_map(Layer::named_weights)
            .collect()
    }
    fn sublayers(&self) -> Option<Vec<Layer>> {
        Some(self.model.layers())
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
    /// `Sequential::new().add(base_model).add(GlobalAveragePooling2D::new())…`. The same
    /// model always gives the same layer, so a model called twice is one shared layer.
    fn from(model: Model) -> Layer {
        if let Some(layer) = model.0.borrow().as_layer.upgrade() {
            return layer;
        }
        let class = if model.is_functional() {
            "Functional"
        } else {
            "Sequential"
        };
        let name = model.name();
        let declared = model.declared_input();
        let layer = Layer::new(
            NestedModel {
                model: model.clone(),
                class,
            },
            LayerOpts {
                name: Some(name),
                input_shape: declared,
                trainable: None,
            },
        );
        model.0.borrow_mut().as_layer = layer.downgrade();
        layer
    }
}
