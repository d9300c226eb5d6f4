//! What a forward pass needs, taken out of the model's cell: the graph, the device, and how
//! each input is checked and converted.

use super::graph::Graph;
use crate::activations::Logits;
use crate::error::{keras_shape, Error, Result};
use crate::layers::shape_fits;
use std::rc::Rc;
use tch::{Device, Kind, Tensor};

/// How one model input is fed.
pub(crate) struct InputSpec {
    /// The input's name (for errors and named data).
    pub name: String,
    /// One example's shape (`-1` takes any length).
    pub shape: Vec<i64>,
    /// For an input read by a layer of integer ids (Embedding): the id limit and that
    /// layer's label.
    pub ids: Option<(i64, String)>,
}

/// A model ready to run.
pub(crate) struct Plan {
    pub graph: Rc<Graph>,
    pub device: Device,
    pub inputs: Vec<InputSpec>,
}

impl Plan {
    pub fn new(graph: Rc<Graph>, device: Device) -> Plan {
        let inputs = graph
            .inputs
            .iter()
            .enumerate()
            .map(|(i, t)| InputSpec {
                name: t.name().to_string(),
                shape: t.shape(),
                ids: graph
                    .consumers(i)
                    .into_iter()
                    .find_map(|l| l.index_limit().map(|n| (n, l.label()))),
            })
            .collect();
        Plan {
            graph,
            device,
            inputs,
        }
    }

    /// The outputs for one batch per input.
    pub fn forward(&self, xs: &[Tensor], training: bool) -> Vec<Tensor> {
        self.graph.forward(xs, training, false).0
    }

    /// [`Plan::forward`], with the logits of each output that ends in `softmax` or
    /// `sigmoid`, which cross-entropy losses use instead of the probabilities (see [`Logits`]).
    pub fn forward_with_logits(
        &self,
        xs: &[Tensor],
        training: bool,
    ) -> (Vec<Tensor>, Vec<Option<Logits>>) {
        self.graph.forward(xs, training, true)
    }

    /// Moves one batch per input to the model's device and dtype, checking count, shapes
    /// and ids; a wrong shape is reported by the layer that rejects it.
    pub fn prepare(&self, xs: &[Tensor]) -> Result<Vec<Tensor>> {
        if xs.len() != self.inputs.len() {
            return Err(Error::InvalidData(format!(
                "the model has {} inputs ({}), got data for {}",
                self.inputs.len(),
                self.input_names().join(", "),
                xs.len()
            )));
        }
        let mut shapes = Vec::with_capacity(xs.len());
        for x in xs {
            let size = x.size();
            if size.is_empty() {
                return Err(Error::InvalidData(
                    "x is a scalar; expected a batch of examples".into(),
                ));
            }
            shapes.push(size[1..].to_vec());
        }
        if self
            .inputs
            .iter()
            .zip(&shapes)
            .any(|(spec, got)| !shape_fits(&spec.shape, got))
        {
            self.graph.check_shapes(&shapes, self.device)?;
            let (spec, got) = self
                .inputs
                .iter()
                .zip(&shapes)
                .find(|(spec, got)| !shape_fits(&spec.shape, got))
                .expect("one input does not fit");
            let full = |s: &[i64]| keras_shape(&[[-1].as_slice(), s].concat());
            return Err(Error::Shape {
                layer: format!("input '{}'", spec.name),
                expected: format!("shape {}", full(&spec.shape)),
                got: full(got),
            });
        }
        xs.iter()
            .zip(&self.inputs)
            .map(|(x, spec)| self.convert(x, spec))
            .collect()
    }

    fn convert(&self, x: &Tensor, spec: &InputSpec) -> Result<Tensor> {
        let x = match &spec.ids {
            Some((limit, label)) => {
                let ids = x.to_kind(Kind::Int64);
                if ids.numel() > 0 {
                    let (lo, hi) = (ids.min().int64_value(&[]), ids.max().int64_value(&[]));
                    if lo < 0 || hi >= *limit {
                        return Err(Error::InvalidData(format!(
                            "{label} takes ids in [0, {limit}), got ids from {lo} to {hi}"
                        )));
                    }
                }
                ids
            }
            None if x.kind() != Kind::Float => x.to_kind(Kind::Float),
            None => x.shallow_clone(),
        };
        Ok(x.to_device(self.device))
    }

    /// The input names, in order.
    pub fn input_names(&self) -> Vec<String> {
        self.inputs.iter().map(|i| i.name.clone()).collect()
    }

    /// The output names (their layers' names), in order.
    pub fn output_names(&self) -> Vec<String> {
        self.graph
            .outputs
            .iter()
            .map(|o| o.name().to_string())
            .collect()
    }

    /// One example's shape for each output.
    pub fn output_shapes(&self) -> Vec<Vec<i64>> {
        self.graph.outputs.iter().map(|o| o.shape()).collect()
    }
}
