//! The PNG drawing backend: plotters' `BitMapBackend` with text drawn by `ab_glyph` directly.
//!
//! plotters' own `ab_glyph` text drawing places each glyph without its side bearing, which
//! squeezes letters together ("True" reads "Tue"); here each glyph is placed at its proper
//! position, at the same pixel scale plotters measures text with, so layouts agree.

use super::font::DEJAVU_SANS;
use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use std::sync::OnceLock;

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).expect("bundled font is valid"))
}

/// Glyph positions of `text` on a baseline at y = 0, and the advance width.
fn layout(text: &str, size: f32) -> (Vec<ab_glyph::Glyph>, f32) {
    let scaled = font().as_scaled(PxScale::from(size));
    let mut x = 0.0f32;
    let mut prev = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            x += scaled.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(size, point(x, 0.0)));
        x += scaled.h_advance(id);
        prev = Some(id);
    }
    (glyphs, x)
}

/// A `BitMapBackend` whose text is rasterised with correct glyph placement.
pub(crate) struct RasterBackend<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> RasterBackend<'a> {
    pub(crate) fn new(buf: &'a mut [u8], size: (u32, u32)) -> Self {
        Self {
            inner: BitMapBackend::with_buffer(buf, size),
        }
    }
}

type Err = DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

impl DrawingBackend for RasterBackend<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Err> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Err> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Err> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Err> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Err> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Err> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Err> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), Err> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Err> {
        let size = style.size() as f32;
        let (_, width) = layout(text, size);
        Ok((width.ceil() as u32, size.ceil() as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Err> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let size = style.size() as f32;
        let scaled = font().as_scaled(PxScale::from(size));
        let (glyphs, width) = layout(text, size);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // The line box is ascent − descent = `size` pixels high (ab_glyph's pixel scale).
        let baseline = match style.anchor().v_pos {
            VPos::Top => scaled.ascent(),
            VPos::Center => scaled.ascent() - size / 2.0,
            VPos::Bottom => scaled.descent(),
        };
        let trans = style.transform();
        let (w, h) = self.inner.get_size();
        let mut result = Ok(());
        for g in glyphs {
            let Some(outline) = font().outline_glyph(g) else {
                continue;
            };
            let b = outline.px_bounds();
            let (ox, oy) = (
                (b.min.x + dx).round() as i32,
                (b.min.y + baseline).round() as i32,
            );
            let inner = &mut self.inner;
            outline.draw(|gx, gy, coverage| {
                if coverage <= 0.0 || result.is_err() {
                    return;
                }
                let (tx, ty) = trans.transform(ox + gx as i32, oy + gy as i32);
                let (x, y) = (pos.0 + tx, pos.1 + ty);
                if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                    let c = BackendColor {
                        alpha: color.alpha * coverage.min(1.0) as f64,
                        rgb: color.rgb,
                    };
                    result = inner.draw_pixel((x, y), c);
                }
            });
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_keep_their_side_bearings() {
        // In "Tr" the r's ink starts clearly right of the T's stem (the centre of the T).
        let (glyphs, width) = layout("Tr", 20.0);
        let t = font().outline_glyph(glyphs[0].clone()).unwrap().px_bounds();
        let r = font().outline_glyph(glyphs[1].clone()).unwrap().px_bounds();
        let stem = (t.min.x + t.max.x) / 2.0;
        assert!(
            r.min.x > stem + 2.0,
            "r starts at {}, T stem at {stem}",
            r.min.x
        );
        assert!(width + 1.0 >= r.max.x);
    }

    #[test]
    fn text_draws_dark_pixels_inside_its_box() {
        let mut buf = vec![255u8; 100 * 40 * 3];
        {
            let mut b = RasterBackend::new(&mut buf, (100, 40));
            let style = TextStyle::from(("sans-serif", 20.0).into_font()).color(&BLACK);
            b.draw_text("True", &style, (5, 5)).unwrap();
        }
        let dark: Vec<(usize, usize)> = (0..40 * 100)
            .filter(|i| buf[i * 3] < 128)
            .map(|i| (i % 100, i / 100))
            .collect();
        assert!(dark.len() > 40);
        assert!(dark
            .iter()
            .all(|&(x, y)| (5..60).contains(&x) && (5..30).contains(&y)));
    }
}
