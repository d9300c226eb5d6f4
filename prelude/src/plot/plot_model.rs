//! Keras's `keras.utils.plot_model`: a model's graph as a picture, drawn by the prelude
//! itself (Keras needs pydot and Graphviz for this).

use super::model_graph::{draw_model_graph, GraphBox, ModelDiagram, ModelGraph, PlotModel};
use crate::error::{keras_shape, Result};
use crate::layers::{KerasTensor, Layer};
use crate::models::Model;

/// The model's graph, one box per layer and an arrow for each tensor a layer reads, with
/// Keras's defaults (class names only; see [`plot_model_with`] for names and shapes).
///
/// ```
/// use ferrokeras::prelude::*;
/// let inputs = Input::new([32]);
/// let h = Dense::new(32).activation("relu").call(&inputs)?;
/// let h2 = Dense::new(32).activation("relu").call(&h)?;
/// let out = Dense::new(1).call(&Add::new().call(&[&h, &h2])?)?;
/// let model = Model::new(&inputs, &out)?;
/// let picture = plot_model(&model)?; // a cell ending here shows the picture
/// let (width, height) = picture.size();
/// assert!(height > width);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn plot_model(model: &Model) -> Result<ModelDiagram> {
    plot_model_with(model, &PlotModel::default())
}

/// [`plot_model`] with Keras's options: `PlotModel { show_shapes: true, show_layer_names:
/// true, rankdir: "LR", ..Default::default() }`.
pub fn plot_model_with(model: &Model, opts: &PlotModel) -> Result<ModelDiagram> {
    draw_model_graph(&model_graph(model)?, opts)
}

/// The boxes and arrows of a model: its layers in Keras's order (a `Sequential`'s input
/// included), each shared layer once.
pub(crate) fn model_graph(model: &Model) -> Result<ModelGraph> {
    let graph = model.graph()?;
    let layers = graph.layers();
    let at = |l: &Layer| {
        layers
            .iter()
            .position(|m| m.same(l))
            .expect("a graph layer")
    };
    let shape = |t: &KerasTensor| keras_shape(&[[-1].as_slice(), &t.shape()].concat());
    let boxes = layers
        .iter()
        .map(|l| {
            let node = graph.nodes().iter().find(|n| n.layer().same(l));
            let (input, output) = match node {
                Some(n) => {
                    let ins: Vec<String> = n.inputs().iter().map(shape).collect();
                    let input = match ins.len() {
                        0 => String::new(),
                        1 => ins[0].clone(),
                        _ => format!("[{}]", ins.join(", ")),
                    };
                    (input, shape(n))
                }
                None => (String::new(), String::new()),
            };
            GraphBox::new(l.name(), l.class_name(), input, output)
        })
        .collect();
    let mut edges = Vec::new();
    for node in graph.nodes() {
        let to = at(&node.layer());
        for input in node.inputs() {
            let edge = (at(&input.layer()), to);
            if !edges.contains(&edge) {
                edges.push(edge);
            }
        }
    }
    Ok(ModelGraph {
        title: model.name(),
        boxes,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn a_residual_block_has_an_arrow_per_tensor_read() {
        let inputs = Input::new([4]);
        let h = Dense::new(4).call(&inputs).unwrap();
        let h2 = Dense::new(4).call(&h).unwrap();
        let s = Add::new().call(&[&h, &h2]).unwrap();
        let model = Model::new(&inputs, &s).unwrap();
        let g = model_graph(&model).unwrap();
        let names: Vec<&str> = g.boxes.iter().map(|b| b.class_name.as_str()).collect();
        assert_eq!(names, ["InputLayer", "Dense", "Dense", "Add"]);
        assert_eq!(g.edges, [(0, 1), (1, 2), (1, 3), (2, 3)]);
        assert_eq!(g.boxes[3].input_shape, "[(None, 4), (None, 4)]");
        let picture = plot_model_with(
            &model,
            &PlotModel {
                show_shapes: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(picture.to_svg().unwrap().contains("Add"));
    }

    #[test]
    fn a_sequential_is_drawn_from_its_input() {
        let model = Sequential::new().add(Input::new([3])).add(Dense::new(2));
        let g = model_graph(&model).unwrap();
        assert_eq!(g.boxes.len(), 2);
        assert_eq!(g.edges, [(0, 1)]);
    }
}
