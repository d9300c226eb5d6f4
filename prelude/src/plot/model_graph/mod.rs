//! The picture behind `plot_model`: a model's layer graph drawn as boxes and arrows, laid out
//! here and drawn with the plot module's backends and bundled font, so it needs neither
//! Graphviz nor pydot (which Keras's `plot_model` needs).
//!
//! The caller describes the graph plainly ([`ModelGraph`]: one [`GraphBox`] per layer call,
//! arrows as index pairs) and [`draw_model_graph`] lays it out:
//! - **ranks** by the longest path from the inputs, so every arrow points down (or right);
//!   an arrow that skips ranks is routed through a gap beside the boxes it passes;
//! - **order** within a rank by a few barycenter sweeps, keeping the order with the fewest
//!   crossings;
//! - **positions** across a rank by a least-squares pull towards connected boxes, at least a
//!   gap apart, so chains run straight and branches spread evenly;
//! - **boxes** sized to their text in Keras 3's style: a black header `name (ClassName)` and,
//!   with shapes, a row of two cells `Input shape: …` | `Output shape: …`.
//!
//! The result, a [`ModelDiagram`], shows in the notebook (PNG and SVG) when it is a cell's
//! last expression, and saves with [`ModelDiagram::save`].
//!
//! The work is cut in three: `layout` ranks the boxes and orders and spaces them across
//! their ranks, `place` sizes the boxes, places them in pixels and routes the arrows, and
//! `draw` renders the placed picture as PNG or SVG.

mod draw;
mod layout;
mod place;
#[cfg(test)]
mod test_graphs;

use self::layout::{longest_path_ranks, Layered};
use self::place::{diagram, measure, Arrow, Dir, PlacedBox};
use super::font::ensure_registered;
use crate::error::{Error, Result};
use crate::runtime::{display, DisplayHandle, MimeBundle, Render};
use crate::utils::write_atomic;
use std::path::Path;

/// One box of the picture: a layer call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphBox {
    /// The layer's name, e.g. `"dense_1"`.
    pub name: String,
    /// The layer's class, e.g. `"Dense"`; `"InputLayer"` boxes show only their output shape.
    pub class_name: String,
    /// The input shape as Keras prints it: `"(None, 32)"`, or `"[(None, 32), (None, 32)]"`
    /// for several inputs; empty when unknown (shown as `?`).
    pub input_shape: String,
    /// The output shape, as `input_shape`.
    pub output_shape: String,
}

impl GraphBox {
    /// A box for layer `name` of class `class_name` with its input and output shapes.
    pub fn new(
        name: impl Into<String>,
        class_name: impl Into<String>,
        input_shape: impl Into<String>,
        output_shape: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            class_name: class_name.into(),
            input_shape: input_shape.into(),
            output_shape: output_shape.into(),
        }
    }
}

/// A model's graph as boxes and arrows, inputs first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelGraph {
    /// The model's name; shown in the picture's text form (`text/plain`), not drawn.
    pub title: String,
    /// The layer calls.
    pub boxes: Vec<GraphBox>,
    /// Arrows as `(from, to)` indices into `boxes`; repeated arrows are drawn once.
    pub edges: Vec<(usize, usize)>,
}

/// Options of the picture, as Keras's `plot_model` arguments, with Keras 3's defaults:
/// `show_shapes: false`, `show_layer_names: false` (boxes show the class name only),
/// `rankdir: "TB"`.
///
/// `dpi` scales the picture: 96 (the default) draws it at its natural size, which fits a
/// notebook; 192 draws it twice as large, as Keras's `dpi=200` does. (Keras's default of
/// 200 would draw every model picture twice the size here, so the default differs.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlotModel {
    /// Draw each layer's input and output shapes under its name.
    pub show_shapes: bool,
    /// Draw `name (ClassName)` rather than `ClassName`.
    pub show_layer_names: bool,
    /// Direction of the arrows: `"TB"` top to bottom, `"LR"` left to right (also `"BT"`,
    /// `"RL"`).
    pub rankdir: &'static str,
    /// Resolution: 96 is natural size, larger draws larger (at least 24, at most 960).
    pub dpi: u32,
}

impl Default for PlotModel {
    fn default() -> Self {
        Self {
            show_shapes: false,
            show_layer_names: false,
            rankdir: "TB",
            dpi: 96,
        }
    }
}

/// A model graph drawn as a picture: what [`draw_model_graph`] returns.
///
/// Shows in the notebook as PNG and SVG (JupyterLab shows the SVG, sharp at any zoom) when it
/// is a cell's last expression, or now with [`ModelDiagram::show`]; renders with
/// [`ModelDiagram::to_png`] / [`ModelDiagram::to_svg`] and saves with [`ModelDiagram::save`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDiagram {
    title: String,
    width: u32,
    height: u32,
    boxes: Vec<PlacedBox>,
    arrows: Vec<Arrow>,
    /// The rank of each box (0 for the inputs).
    ranks: Vec<usize>,
    header_size: u32,
    cell_size: u32,
    line_width: u32,
}

/// Lays out `graph` and returns its picture (Keras's `plot_model`).
///
/// Errors: an arrow whose index is out of range, an arrow from a box to itself, a cycle,
/// an unknown `rankdir`, a graph without boxes, or a picture over 64 million pixels.
///
/// ```
/// use ferrokeras::plot::{draw_model_graph, GraphBox, ModelGraph, PlotModel};
/// // The Keras guide's residual MLP: dense_1's output skips dense_2 into add.
/// let graph = ModelGraph {
///     title: "functional".into(),
///     boxes: vec![
///         GraphBox::new("input_layer", "InputLayer", "", "(None, 32)"),
///         GraphBox::new("dense", "Dense", "(None, 32)", "(None, 32)"),
///         GraphBox::new("dense_1", "Dense", "(None, 32)", "(None, 32)"),
///         GraphBox::new("add", "Add", "[(None, 32), (None, 32)]", "(None, 32)"),
///         GraphBox::new("dense_2", "Dense", "(None, 32)", "(None, 1)"),
///     ],
///     edges: vec![(0, 1), (1, 2), (1, 3), (2, 3), (3, 4)],
/// };
/// let opts = PlotModel { show_shapes: true, show_layer_names: true, ..Default::default() };
/// let picture = draw_model_graph(&graph, &opts).unwrap();
/// assert_eq!(&picture.to_png().unwrap()[1..4], b"PNG");
/// assert!(picture.to_svg().unwrap().contains("dense_1 (Dense)"));
/// ```
pub fn draw_model_graph(graph: &ModelGraph, opts: &PlotModel) -> Result<ModelDiagram> {
    ensure_registered();
    let dir = match opts.rankdir.to_ascii_uppercase().as_str() {
        "TB" => Dir::TB,
        "LR" => Dir::LR,
        "BT" => Dir::BT,
        "RL" => Dir::RL,
        _ => {
            return Err(Error::UnknownId {
                kind: "rankdir",
                got: opts.rankdir.to_string(),
                valid: vec!["TB", "LR", "BT", "RL"],
            })
        }
    };
    let n = graph.boxes.len();
    if n == 0 {
        return Err(Error::InvalidArgument(
            "plot_model: the model has no layers to draw".into(),
        ));
    }
    let mut succ = vec![Vec::new(); n];
    for &(a, b) in &graph.edges {
        if a >= n || b >= n || a == b {
            return Err(Error::InvalidArgument(format!(
                "plot_model: arrow ({a}, {b}) does not join two different boxes of {n}"
            )));
        }
        if !succ[a].contains(&b) {
            succ[a].push(b);
        }
    }
    let ranks = longest_path_ranks(&succ)?;
    let s = opts.dpi.clamp(24, 960) as f64 / 96.0;
    let boxes: Vec<PlacedBox> = graph.boxes.iter().map(|b| measure(b, opts, s)).collect();
    // Box sizes across a rank.
    let cross: Vec<f64> = boxes.iter().map(|b| dir.across(b).0).collect();
    let layered = Layered::new(&succ, &ranks, &cross);
    let order = layered.order();
    let pos = layered.positions(&order, s);
    diagram(&graph.title, boxes, &layered, &order, &pos, dir, s)
}

impl ModelDiagram {
    /// `(width, height)` in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The rank of each box, in the order of [`ModelGraph::boxes`]: 0 for the inputs, and one
    /// more than the box's highest predecessor for every other box.
    pub fn ranks(&self) -> &[usize] {
        &self.ranks
    }

    /// Each box's pixel rectangle `(left, top, width, height)`, in the order of
    /// [`ModelGraph::boxes`].
    pub fn box_rects(&self) -> Vec<(i32, i32, i32, i32)> {
        self.boxes
            .iter()
            .map(|b| (b.x as i32, b.y as i32, b.w as i32, b.h as i32))
            .collect()
    }

    /// Writes the picture to `path`: PNG for `.png`, SVG for `.svg` (as Keras's `to_file`).
    /// The file is written beside its place under a temporary name and renamed, so it is
    /// never seen half-written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_picture(
            path.as_ref(),
            "model picture file extension",
            || self.to_png(),
            || self.to_svg(),
        )
    }

    /// Shows the picture now, while the cell runs; the handle can replace it later.
    pub fn show(&self) -> DisplayHandle {
        display(self)
    }
}

impl Render for ModelDiagram {
    fn mime_bundle(&self) -> MimeBundle {
        let text = MimeBundle::text(format!(
            "<model graph '{}': {} layers, {}x{} px>",
            self.title,
            self.boxes.len(),
            self.width,
            self.height
        ));
        match (self.to_png(), self.to_svg()) {
            (Ok(png), Ok(svg)) => text.with_png(&png).with_svg(svg),
            (Err(e), _) | (_, Err(e)) => MimeBundle::text(format!("Error: {e}")),
        }
    }
}

/// Writes a picture to `path`, PNG (`.png`) or SVG (`.svg`), rendering only the one asked
/// for; through a temporary file beside it, renamed into place, so it is never seen
/// half-written. `kind` names the extension in the error for any other one. (Also behind
/// [`super::Figure::save`].)
pub(crate) fn save_picture(
    path: &Path,
    kind: &'static str,
    png: impl FnOnce() -> Result<Vec<u8>>,
    svg: impl FnOnce() -> Result<String>,
) -> Result<()> {
    let ext = path.extension().and_then(|e| e.to_str());
    let bytes = match ext.map(str::to_ascii_lowercase).as_deref() {
        Some("png") => png()?,
        Some("svg") => svg()?.into_bytes(),
        _ => {
            return Err(Error::UnknownId {
                kind,
                got: path.display().to_string(),
                valid: vec!["png", "svg"],
            })
        }
    };
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::test_graphs::*;
    use super::*;

    #[test]
    fn bad_graphs_and_options_are_errors() {
        let opts = PlotModel::default();
        let mut g = chain();
        g.edges.push((3, 0));
        assert!(matches!(
            draw_model_graph(&g, &opts),
            Err(Error::InvalidArgument(_))
        ));
        g.edges = vec![(0, 9)];
        assert!(matches!(
            draw_model_graph(&g, &opts),
            Err(Error::InvalidArgument(_))
        ));
        g.edges = vec![(1, 1)];
        assert!(matches!(
            draw_model_graph(&g, &opts),
            Err(Error::InvalidArgument(_))
        ));
        assert!(draw_model_graph(&ModelGraph::default(), &opts).is_err());
        let up = PlotModel {
            rankdir: "UP",
            ..opts
        };
        assert!(matches!(
            draw_model_graph(&chain(), &up),
            Err(Error::UnknownId { .. })
        ));
        // Repeated arrows are drawn once.
        let mut g = chain();
        g.edges.push((0, 1));
        assert_eq!(draw_model_graph(&g, &opts).unwrap().arrows.len(), 3);
    }

    #[test]
    fn save_writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let d = draw(&chain(), PlotModel::default());
        d.save(dir.path().join("model.png")).unwrap();
        d.save(dir.path().join("model.svg")).unwrap();
        let png = std::fs::read(dir.path().join("model.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = std::fs::read_to_string(dir.path().join("model.svg")).unwrap();
        assert!(svg.contains("InputLayer"));
        assert!(d.save(dir.path().join("model.gif")).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
