//! Drawing one subplot with plotters: cartesian axes (lines, points, bars) through a
//! `ChartBuilder`, image axes laid out by hand. Images themselves are pasted by the figure
//! (under everything else), so this module only computes where they go.

use super::axes::Axes;
use super::color::Color;
use super::font::FAMILY;
use super::image_data::Rgb;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::Color as _;
use plotters::style::FontTransform;

/// A pixel rectangle in figure coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

/// An image's pixels and the rectangle they are scaled into.
pub(crate) struct PlacedImage {
    pub rect: Rect,
    pub rgb: Rgb,
}

pub(crate) fn perr<E: std::fmt::Display>(e: E) -> Error {
    Error::Plot(e.to_string())
}

pub(crate) const TICK_SIZE: u32 = 12;
pub(crate) const LABEL_SIZE: u32 = 14;
const PAD: i32 = 4;

pub(crate) fn color_or(c: &Option<Color>, default: RGBColor) -> Result<RGBColor> {
    c.as_ref().map_or(Ok(default), Color::to_plotters)
}

/// Draws (possibly multi-line) text; `(x, y)` is the anchor of the first line.
pub(crate) fn draw_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    (x, y): (i32, i32),
    size: u32,
    color: RGBColor,
    pos: (HPos, VPos),
) -> Result<()> {
    let style = (FAMILY, size as f64)
        .into_font()
        .color(&color)
        .pos(Pos::new(pos.0, pos.1));
    let line_h = (size as f64 * 1.2).round() as i32;
    for (i, line) in text.lines().enumerate() {
        root.draw_text(line, &style, (x, y + i as i32 * line_h))
            .map_err(perr)?;
    }
    Ok(())
}

/// Pixel width of `text` in the bundled font.
pub(crate) fn text_width(text: &str, size: u32) -> i32 {
    text.lines()
        .map(|l| {
            (FAMILY, size as f64)
                .into_font()
                .box_size(l)
                .map_or(l.len() as i32 * size as i32 / 2, |(w, _)| w as i32)
        })
        .max()
        .unwrap_or(0)
}

pub(crate) fn title_height(ax: &Axes) -> i32 {
    match &ax.title {
        Some(t) => {
            let lines = t.lines().count().max(1) as i32;
            lines * (ax.title_size as f64 * 1.2).round() as i32 + 6
        }
        None => PAD,
    }
}

pub(crate) fn draw_title<DB: DrawingBackend>(
    ax: &Axes,
    root: &DrawingArea<DB, Shift>,
    center_x: i32,
    top: i32,
) -> Result<()> {
    if let Some(t) = &ax.title {
        let color = color_or(&ax.title_color, BLACK)?;
        draw_text(
            root,
            t,
            (center_x, top),
            ax.title_size,
            color,
            (HPos::Center, VPos::Top),
        )?;
    }
    Ok(())
}

/// Draws one subplot into `cell`.
pub(crate) fn draw_axes<DB: DrawingBackend>(
    ax: &Axes,
    root: &DrawingArea<DB, Shift>,
    cell: Rect,
) -> Result<()> {
    if let Some(msg) = &ax.error {
        return Err(Error::InvalidArgument(msg.clone()));
    }
    if ax.image.is_some() {
        draw_image_axes(ax, root, cell)
    } else {
        super::cartesian::draw_cartesian(ax, root, cell)
    }
}

/// Where an image axes puts its image, and the pixels per data unit.
pub(crate) struct ImageLayout {
    pub rect: Rect,
    pub scale: f64,
}

fn ytick_labels_width(ax: &Axes, rows: usize) -> i32 {
    match &ax.yticks {
        Some(t) => t
            .iter()
            .map(|(_, l)| text_width(l, TICK_SIZE))
            .max()
            .unwrap_or(0),
        None => text_width(&rows.to_string(), TICK_SIZE),
    }
}

/// Lays out an image axes in `cell`: aspect kept, centred, room for title, ticks, labels.
pub(crate) fn image_layout(ax: &Axes, iw: usize, ih: usize, cell: Rect) -> ImageLayout {
    let title_h = title_height(ax);
    let (left, bottom) = if ax.axis_off {
        (PAD, PAD)
    } else {
        let ylabel = if ax.ylabel.is_some() {
            LABEL_SIZE as i32 + 8
        } else {
            0
        };
        let xlabel = if ax.xlabel.is_some() {
            LABEL_SIZE as i32 + 8
        } else {
            0
        };
        (
            PAD + ylabel + ytick_labels_width(ax, ih) + 10,
            TICK_SIZE as i32 + 12 + xlabel,
        )
    };
    let right = if ax.axis_off { PAD } else { 10 };
    let bw = (cell.w - left - right).max(1);
    let bh = (cell.h - title_h - bottom).max(1);
    let scale = (bw as f64 / iw as f64).min(bh as f64 / ih as f64);
    let (dw, dh) = (
        ((iw as f64 * scale).round() as i32).max(1),
        ((ih as f64 * scale).round() as i32).max(1),
    );
    let x = cell.x + left + (bw - dw) / 2;
    let y = cell.y + title_h + (bh - dh) / 2;
    ImageLayout {
        rect: Rect { x, y, w: dw, h: dh },
        scale,
    }
}

/// The image of an image axes and where it goes (`None` for cartesian axes).
pub(crate) fn place_image(ax: &Axes, cell: Rect) -> Result<Option<PlacedImage>> {
    let Some(img) = &ax.image else {
        return Ok(None);
    };
    let cmap = img.cmap.resolve()?;
    let rgb = img.data.to_rgb(cmap, img.vmin, img.vmax);
    let layout = image_layout(ax, rgb.w, rgb.h, cell);
    Ok(Some(PlacedImage {
        rect: layout.rect,
        rgb,
    }))
}

/// matplotlib-like integer ticks: at most 6, on a step of 1, 2, 5, 10, 20, 25, 50, …
pub(crate) fn auto_ticks(n: usize) -> Vec<usize> {
    let mut mult = 1usize;
    loop {
        for s in [1, 2, 5] {
            let step = s * mult;
            if n.div_ceil(step) <= 6 {
                return (0..n).step_by(step).collect();
            }
        }
        mult *= 10;
    }
}

fn draw_image_axes<DB: DrawingBackend>(
    ax: &Axes,
    root: &DrawingArea<DB, Shift>,
    cell: Rect,
) -> Result<()> {
    let img = ax.image.as_ref().expect("image axes");
    img.cmap.resolve()?;
    let (iw, ih) = (img.data.width(), img.data.height());
    let ImageLayout { rect: r, scale } = image_layout(ax, iw, ih, cell);
    let title_h = title_height(ax);
    draw_title(ax, root, r.x + r.w / 2, r.y - title_h + 2)?;
    let to_px = |v: f64, origin: i32| origin + ((v + 0.5) * scale).round() as i32;

    if !ax.axis_off {
        root.draw(&Rectangle::new(
            [(r.x - 1, r.y - 1), (r.x + r.w, r.y + r.h)],
            BLACK.stroke_width(1),
        ))
        .map_err(perr)?;
        let xt: Vec<(f64, String)> = ax.xticks.clone().unwrap_or_else(|| {
            auto_ticks(iw)
                .into_iter()
                .map(|v| (v as f64, v.to_string()))
                .collect()
        });
        let yt: Vec<(f64, String)> = ax.yticks.clone().unwrap_or_else(|| {
            auto_ticks(ih)
                .into_iter()
                .map(|v| (v as f64, v.to_string()))
                .collect()
        });
        let bottom = r.y + r.h;
        for (v, label) in &xt {
            let px = to_px(*v, r.x);
            root.draw(&PathElement::new(
                vec![(px, bottom), (px, bottom + 4)],
                BLACK,
            ))
            .map_err(perr)?;
            draw_text(
                root,
                label,
                (px, bottom + 6),
                TICK_SIZE,
                BLACK,
                (HPos::Center, VPos::Top),
            )?;
        }
        for (v, label) in &yt {
            let py = to_px(*v, r.y);
            root.draw(&PathElement::new(vec![(r.x - 5, py), (r.x - 1, py)], BLACK))
                .map_err(perr)?;
            draw_text(
                root,
                label,
                (r.x - 7, py),
                TICK_SIZE,
                BLACK,
                (HPos::Right, VPos::Center),
            )?;
        }
        if let Some(l) = &ax.xlabel {
            draw_text(
                root,
                l,
                (r.x + r.w / 2, bottom + TICK_SIZE as i32 + 12),
                LABEL_SIZE,
                BLACK,
                (HPos::Center, VPos::Top),
            )?;
        }
        if let Some(l) = &ax.ylabel {
            let x = r.x - 10 - ytick_labels_width(ax, ih) - LABEL_SIZE as i32 - 6;
            draw_vertical(root, l, (x.max(cell.x), r.y + r.h / 2), LABEL_SIZE)?;
        }
    }
    for t in &ax.texts {
        let color = color_or(&t.color, BLACK)?;
        draw_text(
            root,
            &t.text,
            (to_px(t.x, r.x), to_px(t.y, r.y)),
            t.size,
            color,
            (HPos::Center, VPos::Center),
        )?;
    }
    Ok(())
}

/// A y axis label, rotated to read bottom-up, its left edge at `x`, centred on `y`.
pub(crate) fn draw_vertical<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    (x, y): (i32, i32),
    size: u32,
) -> Result<()> {
    let style = (FAMILY, size as f64)
        .into_font()
        .transform(FontTransform::Rotate270)
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(text, &style, (x, y)).map_err(perr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_like_matplotlib() {
        assert_eq!(auto_ticks(28), vec![0, 5, 10, 15, 20, 25]);
        assert_eq!(auto_ticks(3), vec![0, 1, 2]);
        assert_eq!(auto_ticks(10), vec![0, 2, 4, 6, 8]);
        assert_eq!(auto_ticks(224), vec![0, 50, 100, 150, 200]);
    }

    #[test]
    fn image_layout_keeps_aspect_and_centres() {
        let mut ax = Axes::default();
        ax.axis_off();
        let cell = Rect {
            x: 0,
            y: 0,
            w: 208,
            h: 108,
        };
        let l = image_layout(&ax, 10, 10, cell);
        assert_eq!((l.rect.w, l.rect.h), (100, 100));
        assert_eq!(l.rect.x, 4 + (200 - 100) / 2);
        assert!((l.scale - 10.0).abs() < 1e-9);
    }
}
