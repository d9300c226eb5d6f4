//! A laid-out model graph in pixels: each box sized to its text, the boxes placed in rows
//! along the arrows (as tall as their tallest box), and the arrows routed from port to port
//! through the gaps their dummy nodes keep, then turned for `rankdir`.

use super::layout::Layered;
use super::{GraphBox, ModelDiagram, PlotModel};
use crate::error::{Error, Result};
use crate::plot::draw::text_width;

/// The largest canvas drawn, so a huge model or `dpi` cannot exhaust memory.
const MAX_PIXELS: u64 = 64_000_000;
pub(super) const HEADER_SIZE: f64 = 14.0;
pub(super) const CELL_SIZE: f64 = 12.0;
const RANK_GAP: f64 = 44.0;
const MARGIN: f64 = 12.0;

/// One cell of a box's shape row: `label` in gray, then `value`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cell {
    pub(super) label: &'static str,
    pub(super) value: String,
    pub(super) w: f64,
}

/// A box with its text and measured size, placed once the layout is done.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PlacedBox {
    pub(super) header: String,
    pub(super) cells: Vec<Cell>,
    pub(super) header_h: f64,
    /// Left, top, width, height in pixels.
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) w: f64,
    pub(super) h: f64,
}

/// One arrow in pixels: its line, ending where its head begins, and the head's triangle.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Arrow {
    pub(super) line: Vec<(i32, i32)>,
    pub(super) head: [(i32, i32); 3],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    TB,
    LR,
    BT,
    RL,
}

impl Dir {
    /// A box's size across a rank and along the arrows.
    pub(super) fn across(self, b: &PlacedBox) -> (f64, f64) {
        match self {
            Dir::TB | Dir::BT => (b.w, b.h),
            Dir::LR | Dir::RL => (b.h, b.w),
        }
    }
}

/// Header and shape cells of one box, measured at scale `s`.
pub(super) fn measure(b: &GraphBox, opts: &PlotModel, s: f64) -> PlacedBox {
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
pub(super) fn cell_text_width(label: &str, value: &str, size: u32) -> f64 {
    (text_width(label, size) + text_width(value, size)) as f64 + size as f64 * 0.3
}

/// Places boxes along the arrows and routes the arrows, then maps to pixels for `dir`.
pub(super) fn diagram(
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

#[cfg(test)]
mod tests {
    use super::super::test_graphs::*;
    use super::super::PlotModel;
    use super::Arrow;

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
}
