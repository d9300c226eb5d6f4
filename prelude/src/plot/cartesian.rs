//! Cartesian subplots (lines, scatter, bars) drawn through plotters' `ChartBuilder`.

use super::axes::Axes;
use super::color::Color;
use super::draw::{
    color_or, draw_text, draw_title, draw_vertical, perr, title_height, Rect, LABEL_SIZE, TICK_SIZE,
};
use super::font::FAMILY;
use crate::error::Result;
use plotters::chart::SeriesLabelPosition;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::Color as _;

/// A tick value without trailing zeros: `10`, `0.25`, `1e-05`.
pub(crate) fn fmt_tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 {
        return "0".into();
    }
    if (v - v.round()).abs() < 1e-9 * v.abs().max(1.0) && v.abs() < 1e15 {
        return format!("{}", v.round() as i64);
    }
    if v.abs() < 1e-3 || v.abs() >= 1e6 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Every drawn point, for the data range and for placing the legend.
fn points(ax: &Axes) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for l in &ax.lines {
        for (i, (&x, &y)) in l.xs.iter().zip(&l.ys).enumerate() {
            pts.push((x, y));
            // Sample along segments too, so a legend does not cover a line between points.
            if let (Some(&x2), Some(&y2)) = (l.xs.get(i + 1), l.ys.get(i + 1)) {
                for k in 1..8 {
                    let t = k as f64 / 8.0;
                    pts.push((x + (x2 - x) * t, y + (y2 - y) * t));
                }
            }
        }
    }
    for s in &ax.scatters {
        pts.extend(s.xs.iter().copied().zip(s.ys.iter().copied()));
    }
    if let Some(b) = &ax.bars {
        for (i, &h) in b.heights.iter().enumerate() {
            pts.push((i as f64, h));
            pts.push((i as f64, 0.0));
        }
    }
    pts.retain(|(x, y)| x.is_finite() && y.is_finite());
    pts
}

fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let d = if lo.abs() > 1e-12 {
            lo.abs() * 0.05
        } else {
            0.5
        };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * frac;
    (lo - d, hi + d)
}

fn ranges(ax: &Axes, pts: &[(f64, f64)]) -> ((f64, f64), (f64, f64)) {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let mut xr = padded(x0, x1, 0.05);
    let mut yr = padded(y0, y1, 0.05);
    if let Some(b) = &ax.bars {
        xr = (-0.6, b.heights.len() as f64 - 0.4);
        // Bars stand on 0, as matplotlib's do.
        if y0 >= 0.0 {
            yr.0 = 0.0;
        }
    }
    (ax.xlim.unwrap_or(xr), ax.ylim.unwrap_or(yr))
}

/// The corner with the fewest data points under a legend-sized box ("best" location).
fn legend_position(pts: &[(f64, f64)], xr: (f64, f64), yr: (f64, f64)) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (pos, right, upper) in corners {
        let count = pts
            .iter()
            .filter(|(x, y)| {
                let fx = (x - xr.0) / (xr.1 - xr.0);
                let fy = (y - yr.0) / (yr.1 - yr.0);
                let in_x = if right { fx > 0.55 } else { fx < 0.45 };
                let in_y = if upper { fy > 0.62 } else { fy < 0.38 };
                in_x && in_y
            })
            .count();
        if count < best.0 {
            best = (count, pos);
        }
    }
    best.1
}

/// Draws lines, points and bars with ticks, labels, frame, legend and title.
pub(crate) fn draw_cartesian<DB: DrawingBackend>(
    ax: &Axes,
    root: &DrawingArea<DB, Shift>,
    cell: Rect,
) -> Result<()> {
    let title_h = title_height(ax);
    let area = root.clone().shrink(
        (cell.x, cell.y + title_h),
        (cell.w.max(1) as u32, (cell.h - title_h).max(1) as u32),
    );
    let pts = points(ax);
    let (xr, yr) = ranges(ax, &pts);
    let categorical_x = ax.bars.is_some() || ax.xticks.is_some();
    let x_area = if ax.axis_off {
        0
    } else {
        TICK_SIZE
            + 14
            + if ax.xlabel.is_some() {
                LABEL_SIZE + 8
            } else {
                0
            }
    };
    let y_area = if ax.axis_off {
        0
    } else {
        // The tick values plotters will label, so the label area fits them exactly.
        let labels: Vec<String> = match &ax.yticks {
            Some(t) => t.iter().map(|(_, l)| l.clone()).collect(),
            None => {
                let coord: RangedCoordf64 = (yr.0..yr.1).into();
                coord.key_points(7).iter().map(fmt_tick).collect()
            }
        };
        let widest = labels
            .iter()
            .map(|l| super::draw::text_width(l, TICK_SIZE))
            .max()
            .unwrap_or(20);
        (widest + 14).max(34) as u32
            + if ax.ylabel.is_some() {
                LABEL_SIZE + 8
            } else {
                0
            }
    };
    let mut chart = ChartBuilder::on(&area)
        .margin_top(4)
        .margin_right(14)
        .margin_left(4)
        .margin_bottom(4)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(perr)?;

    if !ax.axis_off {
        let mut mesh = chart.configure_mesh();
        if !ax.grid {
            mesh.disable_mesh();
        } else {
            mesh.bold_line_style(RGBColor(220, 220, 220))
                .light_line_style(TRANSPARENT);
        }
        mesh.label_style((FAMILY, TICK_SIZE as f64))
            .axis_desc_style((FAMILY, LABEL_SIZE as f64))
            .x_labels(if categorical_x { 0 } else { 7 })
            .y_labels(if ax.yticks.is_some() { 0 } else { 7 })
            .x_label_formatter(&fmt_tick)
            .y_label_formatter(&fmt_tick);
        if let Some(l) = &ax.xlabel {
            mesh.x_desc(l.as_str());
        }
        mesh.draw().map_err(perr)?;
        if let Some(l) = &ax.ylabel {
            let (_, yp) = chart.plotting_area().get_pixel_range();
            draw_vertical(root, l, (cell.x + 2, (yp.start + yp.end) / 2), LABEL_SIZE)?;
        }
    }

    // Series, with the colour cycle shared by lines and points as in matplotlib.
    let mut cycle = 0usize;
    let mut next_color = |c: &Option<Color>| -> Result<RGBColor> {
        let def = Color::cycle(cycle).to_plotters()?;
        cycle += 1;
        color_or(c, def)
    };
    if let Some(b) = &ax.bars {
        let color = color_or(&b.color, Color::cycle(0).to_plotters()?)?;
        chart
            .draw_series(b.heights.iter().enumerate().map(|(i, &h)| {
                let x = i as f64;
                Rectangle::new([(x - 0.4, 0.0), (x + 0.4, h)], color.filled())
            }))
            .map_err(perr)?;
    }
    for line in &ax.lines {
        let color = next_color(&line.color)?;
        let style = color.stroke_width(line.width);
        let pts: Vec<(f64, f64)> = line
            .xs
            .iter()
            .copied()
            .zip(line.ys.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let anno = chart
            .draw_series(LineSeries::new(pts.iter().copied(), style))
            .map_err(perr)?;
        if let Some(label) = &line.label {
            anno.label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        if line.marker {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(perr)?;
        }
    }
    for sc in &ax.scatters {
        let pts = sc.xs.iter().copied().zip(sc.ys.iter().copied());
        match &sc.classes {
            Some(classes) => {
                let n = classes.iter().copied().max().map_or(0, |m| m + 1);
                for k in 0..n {
                    let color = Color::cycle(k).to_plotters()?;
                    let class_pts: Vec<(f64, f64)> = pts
                        .clone()
                        .zip(classes)
                        .filter(|(_, &c)| c == k)
                        .map(|(p, _)| p)
                        .collect();
                    if class_pts.is_empty() {
                        continue;
                    }
                    let name = sc
                        .class_names
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| format!("class {k}"));
                    let size = sc.size;
                    chart
                        .draw_series(
                            class_pts
                                .into_iter()
                                .map(move |p| Circle::new(p, size, color.filled())),
                        )
                        .map_err(perr)?
                        .label(name)
                        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
                }
            }
            None => {
                let color = next_color(&sc.color)?;
                let size = sc.size;
                let anno = chart
                    .draw_series(pts.map(move |p| Circle::new(p, size, color.filled())))
                    .map_err(perr)?;
                if let Some(label) = &sc.label {
                    anno.label(label.as_str())
                        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
                }
            }
        }
    }

    let (xp, yp) = chart.plotting_area().get_pixel_range();
    if !ax.axis_off {
        // plotters draws the left and bottom axis lines; close the box at the top and right.
        root.draw(&PathElement::new(
            vec![
                (xp.start - 1, yp.start),
                (xp.end - 1, yp.start),
                (xp.end - 1, yp.end),
            ],
            BLACK.stroke_width(1),
        ))
        .map_err(perr)?;
        let x_ticks: Vec<(f64, String)> = match (&ax.xticks, &ax.bars) {
            (Some(t), _) => t.clone(),
            (None, Some(b)) => b
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| (i as f64, l.clone()))
                .collect(),
            _ => Vec::new(),
        };
        for (v, label) in &x_ticks {
            let (px, py) = chart.backend_coord(&(*v, yr.0));
            root.draw(&PathElement::new(vec![(px, py), (px, py + 4)], BLACK))
                .map_err(perr)?;
            draw_text(
                root,
                label,
                (px, py + 6),
                TICK_SIZE,
                BLACK,
                (HPos::Center, VPos::Top),
            )?;
        }
        for (v, label) in ax.yticks.iter().flatten() {
            let (px, py) = chart.backend_coord(&(xr.0, *v));
            root.draw(&PathElement::new(vec![(px - 4, py), (px, py)], BLACK))
                .map_err(perr)?;
            draw_text(
                root,
                label,
                (px - 6, py),
                TICK_SIZE,
                BLACK,
                (HPos::Right, VPos::Center),
            )?;
        }
    }
    for t in &ax.texts {
        let color = color_or(&t.color, BLACK)?;
        let p = chart.backend_coord(&(t.x, t.y));
        draw_text(
            root,
            &t.text,
            p,
            t.size,
            color,
            (HPos::Center, VPos::Center),
        )?;
    }
    let labelled = ax.lines.iter().any(|l| l.label.is_some())
        || ax
            .scatters
            .iter()
            .any(|s| s.label.is_some() || s.classes.is_some());
    if ax.legend && labelled {
        chart
            .configure_series_labels()
            .position(legend_position(&pts, xr, yr))
            .margin(8)
            .legend_area_size(26)
            .border_style(RGBColor(200, 200, 200))
            .background_style(WHITE.mix(0.85))
            .label_font((FAMILY, TICK_SIZE as f64))
            .draw()
            .map_err(perr)?;
    }
    draw_title(ax, root, (xp.start + xp.end) / 2, cell.y + 4)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_format() {
        assert_eq!(fmt_tick(&10.0), "10");
        assert_eq!(fmt_tick(&0.25), "0.25");
        assert_eq!(fmt_tick(&0.1000000001), "0.1");
        assert_eq!(fmt_tick(&-2.5), "-2.5");
        assert_eq!(fmt_tick(&0.0), "0");
        assert_eq!(fmt_tick(&0.00001), "1.0e-5");
    }

    #[test]
    fn legend_avoids_rising_curve() {
        // An accuracy curve rising to the upper right: the legend goes elsewhere.
        let pts: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, i as f64)).collect();
        let pos = legend_position(&pts, (0.0, 19.0), (0.0, 19.0));
        assert!(!matches!(pos, SeriesLabelPosition::UpperRight));
        assert!(!matches!(pos, SeriesLabelPosition::LowerLeft));
    }
}
