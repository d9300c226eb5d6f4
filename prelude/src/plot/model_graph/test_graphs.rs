//! Test graphs and checks shared by the model-graph tests.

use super::{draw_model_graph, GraphBox, ModelDiagram, ModelGraph, PlotModel};

pub(super) fn graph(names: &[(&str, &str)], edges: &[(usize, usize)]) -> ModelGraph {
    ModelGraph {
        title: "test".into(),
        boxes: names
            .iter()
            .map(|(n, c)| GraphBox::new(*n, *c, "(None, 32)", "(None, 32)"))
            .collect(),
        edges: edges.to_vec(),
    }
}

pub(super) fn chain() -> ModelGraph {
    graph(
        &[
            ("input_layer", "InputLayer"),
            ("dense", "Dense"),
            ("dense_1", "Dense"),
            ("dense_2", "Dense"),
        ],
        &[(0, 1), (1, 2), (2, 3)],
    )
}

/// input → a, input → b, a + b → add → out.
pub(super) fn diamond() -> ModelGraph {
    graph(
        &[
            ("input_layer", "InputLayer"),
            ("branch_a", "Dense"),
            ("branch_b", "Dense"),
            ("add", "Add"),
            ("output", "Dense"),
        ],
        &[(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)],
    )
}

pub(super) fn centre(r: (i32, i32, i32, i32)) -> (i32, i32) {
    (r.0 + r.2 / 2, r.1 + r.3 / 2)
}

/// The boxes stand in one straight line, each after (below, or right of) the previous.
pub(super) fn assert_in_line(rects: &[(i32, i32, i32, i32)], horizontal: bool) {
    // (start along the line, length along it, centre across it)
    let along = |r: (i32, i32, i32, i32)| {
        if horizontal {
            (r.0, r.2, centre(r).1)
        } else {
            (r.1, r.3, centre(r).0)
        }
    };
    let first = along(rects[0]).2;
    for w in rects.windows(2) {
        let (a, b) = (along(w[0]), along(w[1]));
        assert!(b.0 > a.0 + a.1, "box after the previous: {rects:?}");
        assert!((b.2 - first).abs() <= 1, "boxes in line: {rects:?}");
    }
}

/// With `shapes`, names and shapes shown; else Keras's defaults.
pub(super) fn opts(shapes: bool, rankdir: &'static str, dpi: u32) -> PlotModel {
    PlotModel {
        show_shapes: shapes,
        show_layer_names: shapes,
        rankdir,
        dpi,
    }
}

pub(super) fn draw(g: &ModelGraph, o: PlotModel) -> ModelDiagram {
    draw_model_graph(g, &o).unwrap()
}
