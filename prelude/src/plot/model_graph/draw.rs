//! Rendering a placed model graph: arrows, then each box's black header and shape cells, on
//! a white canvas, as RGB pixels, PNG or SVG.

use super::place::{cell_text_width, Arrow};
use super::ModelDiagram;
use crate::error::{Error, Result};
use crate::plot::draw::{draw_text, perr, text_width};
use crate::plot::font::ensure_registered;
use crate::plot::raster::RasterBackend;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

const LABEL_GRAY: RGBColor = RGBColor(90, 90, 90);
const EDGE_COLOR: RGBColor = RGBColor(40, 40, 40);

impl ModelDiagram {
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
}

#[cfg(test)]
mod tests {
    use super::super::test_graphs::*;
    use super::super::PlotModel;
    use crate::runtime::Render;
    use std::path::Path;

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
