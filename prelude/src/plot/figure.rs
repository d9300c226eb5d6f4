//! `Figure`: a grid of subplots that renders to PNG or SVG, shows inline in the notebook and
//! saves to a file.

use super::axes::Axes;
use super::colormap::CmapSpec;
use super::draw::{draw_axes, draw_text, perr, place_image, PlacedImage, Rect};
use super::font::ensure_registered;
use super::image_data::resize_nearest;
use super::model_graph::save_picture;
use super::raster::RasterBackend;
use crate::error::{Error, Result};
use crate::runtime::{display, DisplayHandle, MimeBundle, Render};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::path::Path;

/// How a figure shows in the notebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FigureFormat {
    /// `image/png` (the default).
    #[default]
    Png,
    /// `image/svg+xml`: sharp at any zoom, text selectable.
    Svg,
}

const SUPTITLE_SIZE: u32 = 18;
/// The largest canvas drawn (a 10000 × 6400 figure), so a slip in a size cannot exhaust memory.
const MAX_PIXELS: u64 = 64_000_000;

/// A figure: `rows × cols` subplots ([`Axes`]) on a `width × height` pixel canvas, as
/// matplotlib's `plt.figure(figsize=…)` + `plt.subplot(…)`.
///
/// Shows inline as PNG when it is a cell's last expression (`.svg()` for SVG), or now with
/// [`Figure::show`]; [`Figure::save`] writes `.png` or `.svg`. Mistakes (an unknown colour,
/// a subplot index out of range) surface when it is drawn, as an `Err` from
/// [`Figure::to_png`] / [`Figure::save`] and as an error message in the notebook.
///
/// ```
/// use ferrokeras::plot::Figure;
/// let mut fig = Figure::new(1000, 400).subplots(1, 2);
/// fig.ax(0).plot(&[0.9, 0.5, 0.3]).label("Träning");
/// fig.ax(0).plot(&[1.0, 0.7, 0.6]).label("Validering");
/// fig.ax(0).title("Förlust (Loss)").xlabel("Epoch").legend();
/// fig.ax(1).plot(&[0.5, 0.7, 0.8]).label("Träning");
/// fig.ax(1).title("Accuracy").xlabel("Epoch").legend();
/// let png = fig.to_png().unwrap();
/// assert_eq!(&png[1..4], b"PNG");
/// assert!(fig.to_svg().unwrap().contains("Accuracy"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    width: u32,
    height: u32,
    rows: usize,
    cols: usize,
    axes: Vec<Axes>,
    suptitle: Option<String>,
    format: FigureFormat,
    errors: Vec<String>,
    scratch: Axes,
}

impl Figure {
    /// A `width × height` pixel figure with one subplot.
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width: width.max(1),
            height: height.max(1),
            rows: 1,
            cols: 1,
            axes: vec![Axes::default()],
            suptitle: None,
            format: FigureFormat::Png,
            errors: Vec::new(),
            scratch: Axes::default(),
        }
    }

    /// A figure sized in inches at 100 pixels per inch, as matplotlib's `figsize=(w, h)`.
    pub fn figsize(width_in: f64, height_in: f64) -> Self {
        Self::new(
            (width_in * 100.0).round().max(1.0) as u32,
            (height_in * 100.0).round().max(1.0) as u32,
        )
    }

    /// A grid of `rows × cols` subplots, numbered row by row from 0.
    pub fn subplots(mut self, rows: usize, cols: usize) -> Self {
        if rows == 0 || cols == 0 {
            self.errors.push(format!(
                "subplots: rows and cols must be ≥ 1, got {rows}×{cols}"
            ));
            return self;
        }
        self.rows = rows;
        self.cols = cols;
        self.axes = vec![Axes::default(); rows * cols];
        self
    }

    /// Subplot `index` (0-based, row by row). An index past the grid is reported when the
    /// figure is drawn.
    pub fn ax(&mut self, index: usize) -> &mut Axes {
        if index < self.axes.len() {
            &mut self.axes[index]
        } else {
            self.errors.push(format!(
                "subplot index {index} is out of range for a {}×{} grid (0..{})",
                self.rows,
                self.cols,
                self.axes.len()
            ));
            self.scratch = Axes::default();
            &mut self.scratch
        }
    }

    /// Subplot at `(row, col)`, both 0-based.
    pub fn subplot(&mut self, row: usize, col: usize) -> &mut Axes {
        if col >= self.cols {
            self.errors.push(format!(
                "subplot column {col} is out of range for a {}×{} grid",
                self.rows, self.cols
            ));
            self.scratch = Axes::default();
            return &mut self.scratch;
        }
        self.ax(row * self.cols + col)
    }

    /// All subplots, row by row.
    pub fn axes(&self) -> &[Axes] {
        &self.axes
    }

    /// `(rows, cols)` of the subplot grid.
    pub fn grid(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// `(width, height)` in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// A title over the whole figure (matplotlib's `suptitle`).
    pub fn suptitle(&mut self, title: impl Into<String>) -> &mut Self {
        self.suptitle = Some(title.into());
        self
    }

    /// The same figure, shown as SVG in the notebook.
    pub fn svg(mut self) -> Self {
        self.format = FigureFormat::Svg;
        self
    }

    /// Sets how the figure shows in the notebook.
    pub fn set_format(&mut self, format: FigureFormat) -> &mut Self {
        self.format = format;
        self
    }

    /// The format it shows in.
    pub fn format(&self) -> FigureFormat {
        self.format
    }

    /// The same figure with every image drawn with `cmap` (grayscale images only), e.g.
    /// `image_grid(&digits, &labels, 10)?.cmap("binary")` for black digits on white.
    pub fn cmap(mut self, cmap: impl Into<CmapSpec>) -> Self {
        let cmap = cmap.into();
        for ax in &mut self.axes {
            if let Some(img) = ax.image_mut() {
                img.cmap(cmap.clone());
            }
        }
        self
    }

    fn check(&self) -> Result<()> {
        if let Some(e) = self.errors.first() {
            return Err(Error::InvalidArgument(e.clone()));
        }
        let pixels = self.width as u64 * self.height as u64;
        if pixels > MAX_PIXELS {
            return Err(Error::InvalidArgument(format!(
                "figure of {}×{} pixels is too large to draw (at most {MAX_PIXELS} pixels)",
                self.width, self.height
            )));
        }
        Ok(())
    }

    /// The pixel rectangle of every subplot (tight layout: equal cells, small gaps).
    pub(crate) fn cells(&self) -> Vec<Rect> {
        let top = if self.suptitle.is_some() {
            (SUPTITLE_SIZE as f64 * 1.2) as i32 + 10
        } else {
            0
        };
        let (w, h) = (self.width as i32, self.height as i32 - top);
        let (cols, rows) = (self.cols as i32, self.rows as i32);
        (0..self.axes.len() as i32)
            .map(|i| {
                let (r, c) = (i / cols, i % cols);
                let x0 = c * w / cols;
                let x1 = (c + 1) * w / cols;
                let y0 = top + r * h / rows;
                let y1 = top + (r + 1) * h / rows;
                Rect {
                    x: x0 + 2,
                    y: y0 + 2,
                    w: x1 - x0 - 4,
                    h: y1 - y0 - 4,
                }
            })
            .collect()
    }

    fn placed_images(&self) -> Result<Vec<PlacedImage>> {
        let mut out = Vec::new();
        for (ax, cell) in self.axes.iter().zip(self.cells()) {
            if let Some(p) = place_image(ax, cell)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<()> {
        for (ax, cell) in self.axes.iter().zip(self.cells()) {
            draw_axes(ax, root, cell)?;
        }
        if let Some(t) = &self.suptitle {
            draw_text(
                root,
                t,
                (self.width as i32 / 2, 6),
                SUPTITLE_SIZE,
                BLACK,
                (HPos::Center, VPos::Top),
            )?;
        }
        root.present().map_err(perr)
    }

    /// The figure as RGB pixels, row-major, `width * height * 3` bytes.
    pub fn to_rgb(&self) -> Result<Vec<u8>> {
        self.check()?;
        ensure_registered();
        let (w, h) = (self.width as usize, self.height as usize);
        let mut buf = vec![255u8; w * h * 3];
        // Images first, so frames, ticks and annotations are drawn over them.
        for p in self.placed_images()? {
            paste(&mut buf, w, h, &p);
        }
        {
            let root = RasterBackend::new(&mut buf, (self.width, self.height)).into_drawing_area();
            self.draw_on(&root)?;
        }
        Ok(buf)
    }

    /// The figure as a PNG file's bytes.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        use image::codecs::png::{CompressionType, FilterType, PngEncoder};
        use image::ImageEncoder;
        let rgb = self.to_rgb()?;
        let mut png = Vec::new();
        PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
            .write_image(
                &rgb,
                self.width,
                self.height,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(perr)?;
        Ok(png)
    }

    /// The figure as an SVG document (images embedded as PNG).
    pub fn to_svg(&self) -> Result<String> {
        use base64::Engine;
        self.check()?;
        ensure_registered();
        let images = self.placed_images()?;
        let mut svg = String::new();
        {
            let root =
                SVGBackend::with_string(&mut svg, (self.width, self.height)).into_drawing_area();
            self.draw_on(&root)?;
        }
        // White background and images go right after the opening tag, under the drawing.
        let mut under = format!(
            "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#FFFFFF\"/>\n",
            self.width, self.height
        );
        for p in &images {
            // Small images are embedded enlarged by a whole factor (nearest neighbour), so
            // their pixels stay sharp even where a viewer smooths scaled images.
            let f = ((p.rect.w as usize / p.rgb.w.max(1)).min(p.rect.h as usize / p.rgb.h.max(1)))
                .clamp(1, 16);
            let (ew, eh) = (p.rgb.w * f, p.rgb.h * f);
            let pixels = if f > 1 {
                resize_nearest(&p.rgb, ew, eh)
            } else {
                p.rgb.data.clone()
            };
            let mut png = Vec::new();
            {
                use image::codecs::png::PngEncoder;
                use image::ImageEncoder;
                PngEncoder::new(&mut png)
                    .write_image(
                        &pixels,
                        ew as u32,
                        eh as u32,
                        image::ExtendedColorType::Rgb8,
                    )
                    .map_err(perr)?;
            }
            under.push_str(&format!(
                "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{}\"/>\n",
                p.rect.x,
                p.rect.y,
                p.rect.w,
                p.rect.h,
                base64::engine::general_purpose::STANDARD.encode(&png)
            ));
        }
        let at = svg
            .find("<svg")
            .and_then(|s| svg[s..].find('>').map(|e| s + e + 1))
            .ok_or_else(|| Error::Plot("SVG backend produced no <svg> element".into()))?;
        svg.insert_str(at, &format!("\n{under}"));
        Ok(svg)
    }

    /// Writes the figure to `path`: PNG for `.png`, SVG for `.svg`. The file is written to a
    /// temporary file beside it and renamed, so it is never seen half-written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_picture(
            path.as_ref(),
            "figure file extension",
            || self.to_png(),
            || self.to_svg(),
        )
    }

    /// Shows the figure now, while the cell runs (matplotlib's `plt.show()`); the handle can
    /// replace it later.
    pub fn show(&self) -> DisplayHandle {
        display(self)
    }

    fn describe(&self) -> String {
        format!(
            "<Figure size {}x{} with {} Axes>",
            self.width,
            self.height,
            self.axes.len()
        )
    }
}

/// Pastes an image, scaled to its rectangle, into an RGB buffer (clipped to the buffer).
fn paste(buf: &mut [u8], w: usize, h: usize, p: &PlacedImage) {
    let r = p.rect;
    if r.w <= 0 || r.h <= 0 {
        return;
    }
    let scaled = resize_nearest(&p.rgb, r.w as usize, r.h as usize);
    for y in 0..r.h {
        let fy = r.y + y;
        if fy < 0 || fy as usize >= h {
            continue;
        }
        let x_lo = r.x.max(0);
        let x_hi = (r.x + r.w).min(w as i32);
        if x_lo >= x_hi {
            continue;
        }
        let src = &scaled
            [((y * r.w + (x_lo - r.x)) * 3) as usize..((y * r.w + (x_hi - r.x)) * 3) as usize];
        let dst_start = (fy as usize * w + x_lo as usize) * 3;
        buf[dst_start..dst_start + src.len()].copy_from_slice(src);
    }
}

impl Render for Figure {
    fn mime_bundle(&self) -> MimeBundle {
        let text = MimeBundle::text(self.describe());
        let drawn = match self.format {
            FigureFormat::Png => self.to_png().map(|png| text.clone().with_png(&png)),
            FigureFormat::Svg => self.to_svg().map(|svg| text.clone().with_svg(svg)),
        };
        drawn.unwrap_or_else(|e| MimeBundle::text(format!("Error: {e}")))
    }
}
