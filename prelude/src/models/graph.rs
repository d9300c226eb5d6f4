//! A model's graph, as Keras's `Functional` maps it: every node from the inputs to the
//! outputs once, in an order where each node comes after its inputs, and the forward pass.

use crate::activations::Logits;
use crate::error::{Error, Result};
use crate::layers::{KerasTensor, Layer, Lookup};
use std::collections::HashMap;
use tch::Tensor;

/// The nodes between a model's inputs and outputs, ready to run.
pub(crate) struct Graph {
    /// The model inputs, in order.
    pub inputs: Vec<KerasTensor>,
    /// The model outputs, in order.
    pub outputs: Vec<KerasTensor>,
    /// Every node once, each after its inputs (depth-first post-order from the outputs, as
    /// Keras walks the graph).
    nodes: Vec<KerasTensor>,
    /// For each node, the positions of its inputs in `nodes` (none for a model input).
    wiring: Vec<Vec<usize>>,
    /// For each model input, its position in `nodes`.
    input_at: Vec<usize>,
    /// The positions of the outputs in `nodes`.
    output_at: Vec<usize>,
    /// The layers in Keras's order (`model.layers`).
    layers: Vec<Layer>,
    /// For each node, whether exactly one node reads it, once, and it is not a model output:
    /// then its value may be handed over unmade (an Embedding's [`Lookup`]).
    sole_reader: Vec<bool>,
}

/// A node's value in a forward pass: a tensor, or an Embedding's rows not yet looked up,
/// which the node reading them may take from the table (see `LayerKind::forward_from_table`).
enum Value {
    Tensor(Tensor),
    Lookup(Lookup),
}

impl Value {
    fn tensor(&self) -> Tensor {
        match self {
            Value::Tensor(t) => t.shallow_clone(),
            Value::Lookup(l) => l.rows(),
        }
    }
}

impl Graph {
    /// Maps the graph from `inputs` to `outputs`; an output that depends on an `Input` not
    /// among `inputs` is an error that names it.
    pub fn new(inputs: &[KerasTensor], outputs: &[KerasTensor]) -> Result<Graph> {
        if inputs.is_empty() || outputs.is_empty() {
            return Err(Error::InvalidArgument(
                "a model needs at least one input and one output".into(),
            ));
        }
        for (i, input) in inputs.iter().enumerate() {
            if inputs[..i].iter().any(|t| t.same(input)) {
                return Err(Error::InvalidArgument(format!(
                    "input '{}' is given twice",
                    input.name()
                )));
            }
        }
        let is_input = |t: &KerasTensor| inputs.iter().any(|i| i.same(t));
        let mut nodes: Vec<KerasTensor> = Vec::new();
        let mut at: HashMap<usize, usize> = HashMap::new();
        // Keras orders `model.layers`, within each depth, by when a depth-first walk from the
        // outputs first meets each layer (pre-order).
        let mut first_met: Vec<Layer> = Vec::new();
        // Depth-first, post-order: a node is placed once all its inputs are. An explicit stack
        // keeps deep graphs (ResNet-size) off the call stack.
        for output in outputs {
            let mut stack: Vec<(KerasTensor, usize)> = vec![(output.clone(), 0)];
            while let Some((t, next)) = stack.pop() {
                if at.contains_key(&t.key()) {
                    continue;
                }
                if next == 0 && !first_met.iter().any(|l| l.same(&t.layer())) {
                    first_met.push(t.layer());
                }
                let leaf = is_input(&t);
                if t.is_input() && !leaf {
                    return Err(Error::InvalidArgument(format!(
                        "output '{}' is computed from input '{}', which is not among the model's inputs ({})",
                        output.name(),
                        t.name(),
                        inputs.iter().map(|i| i.name().to_string()).collect::<Vec<_>>().join(", ")
                    )));
                }
                let child = if leaf {
                    None
                } else {
                    t.inputs().get(next).cloned()
                };
                match child {
                    Some(child) => {
                        stack.push((t, next + 1));
                        if !at.contains_key(&child.key()) {
                            stack.push((child, 0));
                        }
                    }
                    None => {
                        at.insert(t.key(), nodes.len());
                        nodes.push(t);
                    }
                }
            }
        }
        // An input that no output uses still belongs to the model.
        for input in inputs {
            if let std::collections::hash_map::Entry::Vacant(e) = at.entry(input.key()) {
                e.insert(nodes.len());
                nodes.push(input.clone());
                first_met.push(input.layer());
            }
        }
        let wiring: Vec<Vec<usize>> = nodes
            .iter()
            .map(|n| {
                if is_input(n) {
                    Vec::new()
                } else {
                    n.inputs().iter().map(|i| at[&i.key()]).collect()
                }
            })
            .collect();
        let layers = keras_layer_order(&nodes, &wiring, &first_met);
        let output_at: Vec<usize> = outputs.iter().map(|o| at[&o.key()]).collect();
        let sole_reader = (0..nodes.len())
            .map(|j| {
                let reads = wiring.iter().flatten().filter(|&&k| k == j).count();
                reads == 1 && !output_at.contains(&j)
            })
            .collect();
        Ok(Graph {
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            input_at: inputs.iter().map(|i| at[&i.key()]).collect(),
            output_at,
            nodes,
            wiring,
            layers,
            sole_reader,
        })
    }

    /// Every node, each after its inputs.
    pub fn nodes(&self) -> &[KerasTensor] {
        &self.nodes
    }

    /// The layers in Keras's order (`model.layers`): by depth from the outputs, deepest
    /// (the inputs) first, and within a depth in the order a walk from the outputs meets them.
    pub fn layers(&self) -> Vec<Layer> {
        self.layers.clone()
    }

    /// The layers that read input `i` directly.
    pub fn consumers(&self, i: usize) -> Vec<Layer> {
        self.nodes
            .iter()
            .zip(&self.wiring)
            .filter(|(_, w)| w.contains(&self.input_at[i]))
            .map(|(n, _)| n.layer())
            .collect()
    }

    /// Runs the graph on one batch per input. With `want_logits`, an output whose layer ends
    /// in `softmax` or `sigmoid` also gives its logits (for the loss).
    pub fn forward(
        &self,
        xs: &[Tensor],
        training: bool,
        want_logits: bool,
    ) -> (Vec<Tensor>, Vec<Option<Logits>>) {
        let mut values: Vec<Value> = Vec::with_capacity(self.nodes.len());
        let mut logits: HashMap<usize, Logits> = HashMap::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if let Some(k) = self.input_at.iter().position(|&p| p == i) {
                values.push(Value::Tensor(xs[k].shallow_clone()));
                continue;
            }
            let layer = node.layer();
            let logits_wanted = want_logits && self.output_at.contains(&i);
            // A layer reading an Embedding's rows alone may take them from the table.
            if let [j] = self.wiring[i][..] {
                if let Value::Lookup(lookup) = &values[j] {
                    if let Some(out) = layer.forward_from_table(lookup, training) {
                        values.push(Value::Tensor(out));
                        continue;
                    }
                }
            }
            let args: Vec<Tensor> = self.wiring[i].iter().map(|&j| values[j].tensor()).collect();
            if let ([x], true) = (&args[..], self.sole_reader[i]) {
                if let Some(lookup) = layer.as_lookup(x) {
                    values.push(Value::Lookup(lookup));
                    continue;
                }
            }
            let out = if logits_wanted && args.len() == 1 {
                let (out, l) = layer.forward_with_logits(&args[0], training);
                if let Some(l) = l {
                    logits.insert(i, l);
                }
                out
            } else {
                layer.forward_inputs(&args, training)
            };
            values.push(Value::Tensor(out));
        }
        let outs = self.output_at.iter().map(|&i| values[i].tensor()).collect();
        let logits = self.output_at.iter().map(|i| logits.remove(i)).collect();
        (outs, logits)
    }

    /// Each node's output for one batch per input, in node order (the inputs included), to
    /// show inner activations.
    pub fn node_values(&self, xs: &[Tensor]) -> Vec<(KerasTensor, Tensor)> {
        let mut values: Vec<Tensor> = Vec::with_capacity(self.nodes.len());
        for (i, node) in self.nodes.iter().enumerate() {
            let out = if let Some(k) = self.input_at.iter().position(|&p| p == i) {
                xs[k].shallow_clone()
            } else {
                let args: Vec<Tensor> = self.wiring[i]
                    .iter()
                    .map(|&j| values[j].shallow_clone())
                    .collect();
                node.layer().forward_inputs(&args, false)
            };
            values.push(out);
        }
        self.nodes.iter().cloned().zip(values).collect()
    }

    /// Propagates example shapes through the graph, so that the layer that rejects them says
    /// so (the error names the layer and both shapes).
    pub fn check_shapes(&self, shapes: &[Vec<i64>], device: tch::Device) -> Result<()> {
        let mut out: Vec<Vec<i64>> = Vec::with_capacity(self.nodes.len());
        for (i, node) in self.nodes.iter().enumerate() {
            // An input passes the data's shape on, so that the first layer reading it is the
            // one that says what it expected.
            if let Some(k) = self.input_at.iter().position(|&p| p == i) {
                out.push(shapes[k].clone());
                continue;
            }
            let args: Vec<Vec<i64>> = self.wiring[i].iter().map(|&j| out[j].clone()).collect();
            out.push(node.layer().build_inputs(&args, device)?);
        }
        Ok(())
    }
}

/// Keras's `model.layers` order (`keras/src/ops/function.py`, `map_graph`): a node's depth is
/// one more than the deepest node it feeds (outputs are 0; a shared layer takes its deepest
/// call's depth); layers sort by depth, deepest (the inputs) first, then by `first_met`.
fn keras_layer_order(
    nodes: &[KerasTensor],
    wiring: &[Vec<usize>],
    first_met: &[Layer],
) -> Vec<Layer> {
    let mut node_depth = vec![0usize; nodes.len()];
    let mut layer_depth: Vec<(Layer, usize)> = Vec::new();
    for i in (0..nodes.len()).rev() {
        let layer = nodes[i].layer();
        let known = layer_depth.iter_mut().find(|(l, _)| l.same(&layer));
        let depth = node_depth[i].max(known.as_ref().map_or(0, |(_, d)| *d));
        match known {
            Some(entry) => entry.1 = depth,
            None => layer_depth.push((layer, depth)),
        }
        node_depth[i] = depth;
        for &j in &wiring[i] {
            node_depth[j] = node_depth[j].max(depth + 1);
        }
    }
    let met = |l: &Layer| {
        first_met
            .iter()
            .position(|m| m.same(l))
            .unwrap_or(usize::MAX)
    };
    layer_depth.sort_by_key(|(l, d)| (std::cmp::Reverse(*d), met(l)));
    layer_depth.into_iter().map(|(l, _)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// A diamond (two branches merged) maps each node once, inputs before users.
    #[test]
    fn a_diamond_maps_each_node_once_in_order() {
        let x = Input::new([4]);
        let a = Dense::new(3).call(&x).unwrap();
        let b = Dense::new(3).call(&x).unwrap();
        let s = crate::layers::Layer::from(Dense::new(2)).call(&a).unwrap();
        let g = Graph::new(std::slice::from_ref(&x), &[s.clone(), b.clone()]).unwrap();
        assert_eq!(g.nodes().len(), 4);
        let pos = |t: &KerasTensor| g.nodes().iter().position(|n| n.same(t)).unwrap();
        assert!(pos(&x) < pos(&a) && pos(&a) < pos(&s));
        let (outs, _) = g.forward(
            &[Tensor::ones([5, 4], (Kind::Float, Device::Cpu))],
            false,
            false,
        );
        assert_eq!(outs[0].size(), vec![5, 2]);
        assert_eq!(outs[1].size(), vec![5, 3]);
    }

    #[test]
    fn an_output_from_a_foreign_input_is_an_error() {
        let x = Input::new([4]);
        let other = Input::new([4]);
        let y = Dense::new(1).call(&other).unwrap();
        let err = Graph::new(&[x], &[y]).err().unwrap().to_string();
        assert!(err.contains("not among the model's inputs"), "{err}");
    }
}
