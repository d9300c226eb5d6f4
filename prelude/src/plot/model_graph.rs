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

use super::draw::{draw_text, perr, text_width};
use super::font::ensure_registered;
use super::raster::RasterBackend;
use crate::error::{Error, Result};
use crate::runtime::{display, DisplayHandle, MimeBundle, Render};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
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

/// The largest canvas drawn, so a huge model or `dpi` cannot exhaust memory.
const MAX_PIXELS: u64 = 64_000_000;
const HEADER_SIZE: f64 = 14.0;
const CELL_SIZE: f64 = 12.0;
const BOX_GAP: f64 = 28.0;
const DUMMY_GAP: f64 = 14.0;
const RANK_GAP: f64 = 44.0;
const MARGIN: f64 = 12.0;
const LABEL_GRAY: RGBColor = RGBColor(90, 90, 90);
const EDGE_COLOR: RGBColor = RGBColor(40, 40, 40);

/// One cell of a box's shape row: `label` in gray, then `value`.
#[derive(Debug, Clone, PartialEq)]
struct Cell {
    label: &'static str,
    value: String,
    w: f64,
}

/// A box with its text and measured size, placed once the layout is done.
#[derive(Debug, Clone, PartialEq)]
struct PlacedBox {
    header: String,
    cells: Vec<Cell>,
    header_h: f64,
    /// Left, top, width, height in pixels.
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// One arrow in pixels: its line, ending where its head begins, and the head's triangle.
#[derive(Debug, Clone, PartialEq)]
struct Arrow {
    line: Vec<(i32, i32)>,
    head: [(i32, i32); 3],
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    TB,
    LR,
    BT,
    RL,
}

impl Dir {
    /// A box's size across a rank and along the arrows.
    fn across(self, b: &PlacedBox) -> (f64, f64) {
        match self {
            Dir::TB | Dir::BT => (b.w, b.h),
            Dir::LR | Dir::RL => (b.h, b.w),
        }
    }
}

/// Header and shape cells of one box, measured at scale `s`.
fn measure(b: &GraphBox, opts: &PlotModel, s: f64) -> PlacedBox {
    let (hs, cs) = ((HEADER_SIZE * s).round(), (CELL_SIZE * s).round());
    let (pad_x, pad_y) = (10.0 * s, 7.0 * s);
    let header = if opts.show_layer_names {
        format!("{} ({})", b.name, b.class_name)
    } else {
        b.class_name.clone()
    };
    let shown = |v: &str| if v.is_empty() { "?" } else { v }.to_string();
    let mut cells = Vec::new();
    if opts.show_shapes {
        if b.class_name != "InputLayer" {
            cells.push(("Input shape:", shown(&b.input_shape)));
        }
        cells.push(("Output shape:", shown(&b.output_shape)));
    }
    let mut cells: Vec<Cell> = cells
        .into_iter()
        .map(|(label, value)| Cell {
            label,
            w: cell_text_width(label, &value, cs as u32) + 2.0 * pad_x,
            value,
        })
        .collect();
    let header_w = text_width(&header, hs as u32) as f64 + 2.0 * pad_x;
    let cells_w: f64 = cells.iter().map(|c| c.w).sum();
    if header_w > cells_w && !cells.is_empty() {
        let extra = (header_w - cells_w) / cells.len() as f64;
        cells.iter_mut().for_each(|c| c.w += extra);
    }
    let header_h = hs + 2.0 * pad_y;
    let cell_h = if cells.is_empty() {
        0.0
    } else {
        cs + 1.6 * pad_y
    };
    PlacedBox {
        header,
        cells,
        header_h,
        x: 0.0,
        y: 0.0,
        w: header_w.max(cells_w).round(),
        h: (header_h + cell_h).round(),
    }
}

/// Width of a cell's text: its label, a space, its value.
fn cell_text_width(label: &str, value: &str, size: u32) -> f64 {
    (text_width(label, size) + text_width(value, size)) as f64 + size as f64 * 0.3
}

/// Rank of each box: 0 for boxes without arrows in, else one more than its highest
/// predecessor. `Err` if the arrows form a cycle.
fn longest_path_ranks(succ: &[Vec<usize>]) -> Result<Vec<usize>> {
    let n = succ.len();
    let mut indeg = vec![0usize; n];
    succ.iter().flatten().for_each(|&b| indeg[b] += 1);
    let mut ready: Vec<usize> = (0..n).filter(|&v| indeg[v] == 0).rev().collect();
    let mut rank = vec![0usize; n];
    let mut done = 0;
    while let Some(u) = ready.pop() {
        done += 1;
        for &v in &succ[u] {
            rank[v] = rank[v].max(rank[u] + 1);
            indeg[v] -= 1;
            if indeg[v] == 0 {
                ready.push(v);
            }
        }
    }
    if done < n {
        return Err(Error::InvalidArgument(
            "plot_model: the arrows form a cycle; a model graph has none".into(),
        ));
    }
    Ok(rank)
}

/// The graph with every arrow that skips ranks split by "dummy" nodes, one per skipped rank,
/// so that each arrow joins neighbouring ranks. Nodes `0..real` are the boxes.
struct Layered {
    real: usize,
    rank: Vec<usize>,
    /// Size across the rank (0 for dummies).
    size: Vec<f64>,
    succ: Vec<Vec<usize>>,
    pred: Vec<Vec<usize>>,
    /// Each arrow as the nodes it passes: box, dummies, box.
    paths: Vec<Vec<usize>>,
    ranks: usize,
}

impl Layered {
    fn new(box_succ: &[Vec<usize>], box_rank: &[usize], box_size: &[f64]) -> Self {
        let real = box_succ.len();
        let mut l = Layered {
            real,
            rank: box_rank.to_vec(),
            size: box_size.to_vec(),
            succ: vec![Vec::new(); real],
            pred: vec![Vec::new(); real],
            paths: Vec::new(),
            ranks: box_rank.iter().max().map_or(0, |m| m + 1),
        };
        for (u, targets) in box_succ.iter().enumerate() {
            for &v in targets {
                let mut path = vec![u];
                for r in box_rank[u] + 1..box_rank[v] {
                    l.rank.push(r);
                    l.size.push(0.0);
                    l.succ.push(Vec::new());
                    l.pred.push(Vec::new());
                    path.push(l.rank.len() - 1);
                }
                path.push(v);
                for w in path.windows(2) {
                    l.succ[w[0]].push(w[1]);
                    l.pred[w[1]].push(w[0]);
                }
                l.paths.push(path);
            }
        }
        l
    }

    /// The nodes of each rank in drawing order: boxes by index, then barycenter sweeps down
    /// and up, keeping the order with the fewest crossings.
    fn order(&self) -> Vec<Vec<usize>> {
        let mut order = vec![Vec::new(); self.ranks];
        for v in 0..self.rank.len() {
            order[self.rank[v]].push(v);
        }
        let mut best = order.clone();
        let mut best_crossings = self.crossings(&order);
        for sweep in 0..8 {
            let down = sweep % 2 == 0;
            let rs: Vec<usize> = if down {
                (1..self.ranks).collect()
            } else {
                (0..self.ranks.saturating_sub(1)).rev().collect()
            };
            for r in rs {
                let (fixed, adj) = if down {
                    (r - 1, &self.pred)
                } else {
                    (r + 1, &self.succ)
                };
                let at = index_of(&order[fixed], self.rank.len());
                let mut keyed: Vec<(f64, usize)> = order[r]
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        (
                            mean(adj[v].iter().map(|&u| at[u] as f64)).unwrap_or(i as f64),
                            v,
                        )
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                order[r] = keyed.into_iter().map(|(_, v)| v).collect();
            }
            let c = self.crossings(&order);
            if c < best_crossings {
                best_crossings = c;
                best = order.clone();
            }
        }
        best
    }

    /// Arrow crossings between neighbouring ranks.
    fn crossings(&self, order: &[Vec<usize>]) -> usize {
        let mut total = 0;
        for r in 0..order.len().saturating_sub(1) {
            let top = index_of(&order[r], self.rank.len());
            let bottom = index_of(&order[r + 1], self.rank.len());
            let segs: Vec<(usize, usize)> = order[r]
                .iter()
                .flat_map(|&u| self.succ[u].iter().map(move |&v| (u, v)))
                .map(|(u, v)| (top[u], bottom[v]))
                .collect();
            for (i, a) in segs.iter().enumerate() {
                total += segs[i + 1..]
                    .iter()
                    .filter(|b| (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1))
                    .count();
            }
        }
        total
    }

    /// The centre of each node across its rank: alternately pulled towards the nodes above
    /// and below (least squares, keeping order and gaps), boxes more firmly than dummies.
    fn positions(&self, order: &[Vec<usize>], s: f64) -> Vec<f64> {
        let mut x = vec![0.0; self.rank.len()];
        let seps = |nodes: &[usize]| -> Vec<f64> {
            nodes
                .windows(2)
                .map(|w| {
                    let gap = if w[0] < self.real && w[1] < self.real {
                        BOX_GAP
                    } else {
                        DUMMY_GAP
                    };
                    (self.size[w[0]] + self.size[w[1]]) / 2.0 + gap * s
                })
                .collect()
        };
        for nodes in order {
            let sep = seps(nodes);
            let total: f64 = sep.iter().sum();
            let mut at = -total / 2.0;
            for (i, &v) in nodes.iter().enumerate() {
                x[v] = at;
                at += sep.get(i).copied().unwrap_or(0.0);
            }
        }
        let weight = |v: usize| if v < self.real { 4.0 } else { 1.0 };
        for pass in 0..12 {
            let (rs, adj): (Vec<usize>, _) = match pass % 3 {
                0 => ((1..self.ranks).collect(), &self.pred),
                1 => (
                    (0..self.ranks.saturating_sub(1)).rev().collect(),
                    &self.succ,
                ),
                _ => ((0..self.ranks).collect(), &self.pred),
            };
            for r in rs {
                let nodes = &order[r];
                let desired: Vec<f64> = nodes
                    .iter()
                    .map(|&v| {
                        let both = (pass % 3 == 2).then(|| self.succ[v].iter());
                        mean(
                            adj[v]
                                .iter()
                                .chain(both.into_iter().flatten())
                                .map(|&u| x[u]),
                        )
                        .unwrap_or(x[v])
                    })
                    .collect();
                let w: Vec<f64> = nodes.iter().map(|&v| weight(v)).collect();
                let placed = spaced_fit(&desired, &seps(nodes), &w);
                for (&v, p) in nodes.iter().zip(placed) {
                    x[v] = p;
                }
            }
        }
        x
    }
}

/// Position of each node in `nodes`, indexed by node (others `usize::MAX`).
fn index_of(nodes: &[usize], len: usize) -> Vec<usize> {
    let mut at = vec![usize::MAX; len];
    nodes.iter().enumerate().for_each(|(i, &v)| at[v] = i);
    at
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Positions closest (weighted least squares) to `desired` with `x[i+1] - x[i] >= sep[i]`:
/// an isotonic regression of `desired - offset` by pool-adjacent-violators.
fn spaced_fit(desired: &[f64], sep: &[f64], weight: &[f64]) -> Vec<f64> {
    let mut offset = Vec::with_capacity(desired.len());
    let mut o = 0.0;
    for i in 0..desired.len() {
        offset.push(o);
        o += sep.get(i).copied().unwrap_or(0.0);
    }
    // Blocks of (weighted sum, total weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for i in 0..desired.len() {
        blocks.push(((desired[i] - offset[i]) * weight[i], weight[i], 1));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.0 / a.1 <= b.0 / b.1 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    blocks
        .iter()
        .flat_map(|&(sum, w, count)| std::iter::repeat_n(sum / w, count))
        .zip(offset)
        .map(|(y, o)| y + o)
        .collect()
}

/// Places boxes along the arrows and routes the arrows, then maps to pixels for `dir`.
fn diagram(
    title: &str,
    mut boxes: Vec<PlacedBox>,
    l: &Layered,
    order: &[Vec<usize>],
    cross: &[f64],
    dir: Dir,
    s: f64,
) -> Result<ModelDiagram> {
    let margin = MARGIN * s;
    let main: Vec<f64> = boxes.iter().map(|b| dir.across(b).1).collect();
    // Rows along the arrows: each as tall as its tallest box.
    let mut row_start = Vec::with_capacity(l.ranks);
    let mut row_size = Vec::with_capacity(l.ranks);
    let mut at = margin;
    for nodes in order {
        let size = nodes
            .iter()
            .filter(|&&v| v < l.real)
            .map(|&v| main[v])
            .fold(0.0, f64::max);
        row_start.push(at);
        row_size.push(size);
        at += size + RANK_GAP * s;
    }
    let main_len = at - RANK_GAP * s + margin;
    let lo = (0..l.rank.len())
        .map(|v| cross[v] - l.size[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let c = |v: usize| cross[v] - lo + margin;
    let cross_len = (0..l.rank.len())
        .map(|v| c(v) + l.size[v] / 2.0)
        .fold(0.0, f64::max)
        + margin;
    let centre = |v: usize| row_start[l.rank[v]] + row_size[l.rank[v]] / 2.0;
    let (start, end) = (
        |v: usize| centre(v) - main[v] / 2.0,
        |v: usize| centre(v) + main[v] / 2.0,
    );

    // Ports: the arrows leaving (entering) a box spread along its side, in the order of the
    // nodes they go to (come from), so they do not cross at the box.
    let spread = |v: usize, k: usize, m: usize| -> f64 {
        if m < 2 {
            return c(v);
        }
        let step = (16.0 * s).min(l.size[v] * 0.7 / (m - 1) as f64);
        c(v) + (k as f64 - (m - 1) as f64 / 2.0) * step
    };
    let ports = |side: fn(&[usize]) -> (usize, usize)| -> Vec<f64> {
        let mut by_box: Vec<Vec<(f64, usize)>> = vec![Vec::new(); l.real];
        for (e, path) in l.paths.iter().enumerate() {
            let (b, other) = side(path);
            by_box[b].push((c(other), e));
        }
        let mut port = vec![0.0; l.paths.len()];
        for (b, mut list) in by_box.into_iter().enumerate() {
            list.sort_by(|a, b| a.0.total_cmp(&b.0));
            let m = list.len();
            for (k, (_, e)) in list.into_iter().enumerate() {
                port[e] = spread(b, k, m);
            }
        }
        port
    };
    let out_port = ports(|p| (p[0], p[1]));
    let in_port = ports(|p| (p[p.len() - 1], p[p.len() - 2]));

    let (stub_out, stub_in) = (6.0 * s, 12.0 * s);
    let (head_len, head_w) = (9.0 * s, 8.0 * s);
    let (w_px, h_px) = match dir {
        Dir::TB | Dir::BT => (cross_len, main_len),
        Dir::LR | Dir::RL => (main_len, cross_len),
    };
    let to_xy = |(cv, mv): (f64, f64)| -> (f64, f64) {
        match dir {
            Dir::TB => (cv, mv),
            Dir::BT => (cv, main_len - mv),
            Dir::LR => (mv, cv),
            Dir::RL => (main_len - mv, cv),
        }
    };
    let px = |(x, y): (f64, f64)| (x.round() as i32, y.round() as i32);
    let mut arrows = Vec::with_capacity(l.paths.len());
    for (e, path) in l.paths.iter().enumerate() {
        let (u, v) = (path[0], path[path.len() - 1]);
        let mut pts = vec![(out_port[e], end(u)), (out_port[e], end(u) + stub_out)];
        for &d in &path[1..path.len() - 1] {
            let r = l.rank[d];
            pts.push((c(d), row_start[r]));
            pts.push((c(d), row_start[r] + row_size[r]));
        }
        pts.push((in_port[e], start(v) - stub_in));
        let pts: Vec<(f64, f64)> = pts.into_iter().map(to_xy).collect();
        let tip = to_xy((in_port[e], start(v)));
        let last = pts[pts.len() - 1];
        let (dx, dy) = (tip.0 - last.0, tip.1 - last.1);
        let len = dx.hypot(dy).max(1e-9);
        let (ux, uy) = (dx / len, dy / len);
        let base = (tip.0 - ux * head_len, tip.1 - uy * head_len);
        let half = head_w / 2.0;
        let head = [
            px(tip),
            px((base.0 - uy * half, base.1 + ux * half)),
            px((base.0 + uy * half, base.1 - ux * half)),
        ];
        let mut line: Vec<(i32, i32)> = pts.into_iter().map(px).collect();
        line.push(px(base));
        arrows.push(Arrow { line, head });
    }
    for (v, b) in boxes.iter_mut().enumerate() {
        let (x, y) = to_xy((c(v), centre(v)));
        b.x = (x - b.w / 2.0).round();
        b.y = (y - b.h / 2.0).round();
    }
    let (width, height) = (w_px.ceil() as u32, h_px.ceil() as u32);
    if width as u64 * height as u64 > MAX_PIXELS {
        return Err(Error::InvalidArgument(format!(
            "plot_model: a picture of {width}×{height} pixels is too large to draw \
             (at most {MAX_PIXELS} pixels); lower `dpi` or try rankdir \"LR\""
        )));
    }
    Ok(ModelDiagram {
        title: title.to_string(),
        width,
        height,
        boxes,
        arrows,
        ranks: l.rank[..l.real].to_vec(),
        header_size: (HEADER_SIZE * s).round() as u32,
        cell_size: (CELL_SIZE * s).round() as u32,
        line_width: (1.6 * s).round().max(1.0) as u32,
    })
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

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(perr)?;
        for Arrow { line, head } in &self.arrows {
            root.draw(&PathElement::new(
                line.clone(),
                EDGE_COLOR.stroke_width(self.line_width),
            ))
            .map_err(perr)?;
            root.draw(&Polygon::new(head.to_vec(), EDGE_COLOR.filled()))
                .map_err(perr)?;
        }
        for b in &self.boxes {
            let (x, y, w, h) = (b.x as i32, b.y as i32, b.w as i32, b.h as i32);
            let hh = b.header_h.round() as i32;
            root.draw(&Rectangle::new([(x, y), (x + w, y + hh)], BLACK.filled()))
                .map_err(perr)?;
            draw_text(
                root,
                &b.header,
                (x + w / 2, y + hh / 2),
                self.header_size,
                WHITE,
                (HPos::Center, VPos::Center),
            )?;
            let mut cx = x;
            for (i, cell) in b.cells.iter().enumerate() {
                let cw = if i + 1 == b.cells.len() {
                    x + w - cx
                } else {
                    cell.w.round() as i32
                };
                let rect = [(cx, y + hh), (cx + cw, y + h)];
                root.draw(&Rectangle::new(rect, WHITE.filled()))
                    .map_err(perr)?;
                root.draw(&Rectangle::new(rect, BLACK.stroke_width(1)))
                    .map_err(perr)?;
                let size = self.cell_size;
                let text_w = cell_text_width(cell.label, &cell.value, size).round() as i32;
                let left = cx + (cw - text_w) / 2;
                let mid = y + (hh + h) / 2;
                let pos = (HPos::Left, VPos::Center);
                draw_text(root, cell.label, (left, mid), size, LABEL_GRAY, pos)?;
                let value_x = left + text_w - text_width(&cell.value, size);
                draw_text(root, &cell.value, (value_x, mid), size, BLACK, pos)?;
                cx += cw;
            }
            let outline = [(x, y), (x + w, y + h)];
            root.draw(&Rectangle::new(outline, BLACK.stroke_width(1)))
                .map_err(perr)?;
        }
        root.present().map_err(perr)
    }

    /// The picture as RGB pixels, row-major, `width * height * 3` bytes.
    pub fn to_rgb(&self) -> Result<Vec<u8>> {
        ensure_registered();
        let mut buf = vec![255u8; self.width as usize * self.height as usize * 3];
        {
            let root = RasterBackend::new(&mut buf, (self.width, self.height)).into_drawing_area();
            self.draw_on(&root)?;
        }
        Ok(buf)
    }

    /// The picture as a PNG file's bytes.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let rgb = image::RgbImage::from_raw(self.width, self.height, self.to_rgb()?)
            .ok_or_else(|| Error::Plot("model picture: pixel buffer of the wrong size".into()))?;
        let mut png = Vec::new();
        rgb.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(perr)?;
        Ok(png)
    }

    /// The picture as an SVG document (text as text, so layer names are searchable).
    pub fn to_svg(&self) -> Result<String> {
        ensure_registered();
        let mut svg = String::new();
        {
            let root =
                SVGBackend::with_string(&mut svg, (self.width, self.height)).into_drawing_area();
            self.draw_on(&root)?;
        }
        Ok(svg)
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
/// half-written. `kind` names the extension in the error for any other one. (The same as
/// [`super::Figure::save`] does, which can call this.)
pub(crate) fn save_picture(
    path: &Path,
    kind: &'static str,
    png: impl FnOnce() -> Result<Vec<u8>>,
    svg: impl FnOnce() -> Result<String>,
) -> Result<()> {
    use std::io::Write;
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
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(&bytes).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(names: &[(&str, &str)], edges: &[(usize, usize)]) -> ModelGraph {
        ModelGraph {
            title: "test".into(),
            boxes: names
                .iter()
                .map(|(n, c)| GraphBox::new(*n, *c, "(None, 32)", "(None, 32)"))
                .collect(),
            edges: edges.to_vec(),
        }
    }

    fn chain() -> ModelGraph {
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
    fn diamond() -> ModelGraph {
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

    fn centre(r: (i32, i32, i32, i32)) -> (i32, i32) {
        (r.0 + r.2 / 2, r.1 + r.3 / 2)
    }

    /// The boxes stand in one straight line, each after (below, or right of) the previous.
    fn assert_in_line(rects: &[(i32, i32, i32, i32)], horizontal: bool) {
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
    fn opts(shapes: bool, rankdir: &'static str, dpi: u32) -> PlotModel {
        PlotModel {
            show_shapes: shapes,
            show_layer_names: shapes,
            rankdir,
            dpi,
        }
    }

    fn draw(g: &ModelGraph, o: PlotModel) -> ModelDiagram {
        draw_model_graph(g, &o).unwrap()
    }

    #[test]
    fn chain_of_four_has_four_ranks_in_a_straight_column() {
        let d = draw(&chain(), PlotModel::default());
        assert_eq!(d.ranks(), &[0, 1, 2, 3]);
        assert_in_line(&d.box_rects(), false);
    }

    #[test]
    fn diamond_puts_branches_side_by_side_and_add_below_both() {
        let d = draw(&diamond(), opts(true, "TB", 96));
        assert_eq!(d.ranks(), &[0, 1, 1, 2, 3]);
        let r = d.box_rects();
        // a and b in one row, apart, not overlapping.
        assert!((centre(r[1]).1 - centre(r[2]).1).abs() <= 1, "{r:?}");
        assert!(
            r[1].0 + r[1].2 < r[2].0 || r[2].0 + r[2].2 < r[1].0,
            "{r:?}"
        );
        for branch in [r[1], r[2]] {
            assert!(
                r[3].1 > branch.1 + branch.3,
                "add below both branches: {r:?}"
            );
        }
        // The input, add and output sit centred between the branches.
        let mid = (centre(r[1]).0 + centre(r[2]).0) / 2;
        for i in [0, 3, 4] {
            assert!((centre(r[i]).0 - mid).abs() <= 2, "box {i}: {r:?}");
        }
    }

    #[test]
    fn skip_arrow_goes_round_the_box_it_skips() {
        // The residual block: dense's output skips dense_1 into add.
        let g = graph(
            &[
                ("input_layer", "InputLayer"),
                ("dense", "Dense"),
                ("dense_1", "Dense"),
                ("add", "Add"),
            ],
            &[(0, 1), (1, 2), (1, 3), (2, 3)],
        );
        let d = draw(&g, opts(true, "TB", 96));
        assert_eq!(d.ranks(), &[0, 1, 2, 3]);
        let skipped = d.box_rects()[2];
        let inside = |(x, y): (i32, i32)| {
            x > skipped.0 && x < skipped.0 + skipped.2 && y > skipped.1 && y < skipped.1 + skipped.3
        };
        assert_eq!(d.arrows.len(), 4);
        for Arrow { line, .. } in &d.arrows {
            // Sample every segment: no arrow passes through dense_1's box.
            for w in line.windows(2) {
                for t in 1..20 {
                    let f = t as f64 / 20.0;
                    let p = (
                        (w[0].0 as f64 + (w[1].0 - w[0].0) as f64 * f) as i32,
                        (w[0].1 as f64 + (w[1].1 - w[0].1) as f64 * f) as i32,
                    );
                    assert!(!inside(p), "arrow {line:?} crosses {skipped:?}");
                }
            }
        }
    }

    #[test]
    fn png_decodes_at_its_size_with_ink_in_every_box() {
        let d = draw(&diamond(), opts(true, "TB", 96));
        let png = d.to_png().unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), d.size());
        let (w, h) = img.dimensions();
        assert!((250..1200).contains(&w), "width {w}");
        assert!((200..700).contains(&h), "height {h}");
        for (i, (x, y, bw, bh)) in d.box_rects().into_iter().enumerate() {
            let total = (bw * bh) as usize;
            let ink = (x..x + bw)
                .flat_map(|px| (y..y + bh).map(move |py| (px as u32, py as u32)))
                .filter(|&(px, py)| img.get_pixel(px, py).0 != [255, 255, 255])
                .count();
            assert!(ink * 4 > total, "box {i}: {ink} of {total} pixels drawn");
        }
        // Outside the boxes and arrows the picture is white: a corner is.
        assert_eq!(img.get_pixel(1, 1).0, [255, 255, 255]);
    }

    #[test]
    fn svg_names_every_layer_and_shape() {
        let d = draw(&diamond(), opts(true, "TB", 96));
        let svg = d.to_svg().unwrap();
        assert!(svg.starts_with("<svg") || svg.contains("<svg"));
        for b in &diamond().boxes {
            assert!(
                svg.contains(&format!("{} ({})", b.name, b.class_name)),
                "{}",
                b.name
            );
        }
        assert!(svg.contains("Output shape:") && svg.contains("(None, 32)"));
        // Without names (Keras's default), boxes show the class only.
        let plain = draw(&diamond(), PlotModel::default());
        let svg = plain.to_svg().unwrap();
        assert!(svg.lines().any(|l| l.trim() == "Add") && !svg.contains("branch_a"));
    }

    #[test]
    fn lr_swaps_the_axes() {
        let tb = draw(&chain(), PlotModel::default());
        let lr = draw(&chain(), opts(false, "LR", 96));
        let (tw, th) = tb.size();
        let (lw, lh) = lr.size();
        assert!(th > tw && lw > lh, "TB {tw}×{th}, LR {lw}×{lh}");
        assert_in_line(&lr.box_rects(), true);
        // The diamond's branches stack vertically in LR.
        let lr = draw(&diamond(), opts(true, "LR", 96));
        let r = lr.box_rects();
        assert!((centre(r[1]).0 - centre(r[2]).0).abs() <= 1, "{r:?}");
        assert!(
            r[1].1 + r[1].3 < r[2].1 || r[2].1 + r[2].3 < r[1].1,
            "{r:?}"
        );
    }

    #[test]
    fn crossings_are_removed() {
        // Listed so that the first order crosses: x0 → b, x1 → a, with a before b.
        let g = graph(
            &[
                ("x0", "InputLayer"),
                ("x1", "InputLayer"),
                ("a", "Dense"),
                ("b", "Dense"),
            ],
            &[(0, 3), (1, 2)],
        );
        let d = draw(&g, PlotModel::default());
        let r = d.box_rects();
        assert_eq!(r[0].0 < r[1].0, r[3].0 < r[2].0, "{r:?}");
    }

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
    fn dpi_scales_and_render_gives_png_and_svg() {
        let small = draw(&diamond(), PlotModel::default());
        let big = draw(&diamond(), opts(false, "TB", 192));
        let ((sw, sh), (bw, bh)) = (small.size(), big.size());
        assert!(
            bw > sw * 17 / 10 && bh > sh * 17 / 10,
            "{sw}×{sh} → {bw}×{bh}"
        );
        let bundle = small.mime_bundle();
        assert!(bundle.get("image/png").is_some());
        assert!(bundle.get("image/svg+xml").unwrap().contains("Add"));
        assert!(bundle.get("text/plain").unwrap().contains("5 layers"));
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

    /// Writes sample pictures for a look: `FERROKERAS_PLOT_SAMPLES=/tmp cargo test …`.
    #[test]
    fn sample_pictures() {
        let Some(dir) = std::env::var_os("FERROKERAS_PLOT_SAMPLES") else {
            return;
        };
        let dir = Path::new(&dir);
        let d = draw(&diamond(), opts(true, "TB", 96));
        d.save(dir.join("model_graph_diamond.png")).unwrap();
        d.save(dir.join("model_graph_diamond.svg")).unwrap();
        let residual = graph(
            &[
                ("input_layer", "InputLayer"),
                ("dense", "Dense"),
                ("dense_1", "Dense"),
                ("add", "Add"),
                ("dense_2", "Dense"),
            ],
            &[(0, 1), (1, 2), (1, 3), (2, 3), (3, 4)],
        );
        draw(&residual, opts(true, "TB", 96))
            .save(dir.join("model_graph_residual.png"))
            .unwrap();
        draw(&diamond(), opts(false, "LR", 96))
            .save(dir.join("model_graph_diamond_lr.png"))
            .unwrap();
    }
}
