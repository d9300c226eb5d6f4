//! The bundled font: DejaVu Sans, registered with plotters' `ab_glyph` text backend, so a
//! figure's text renders the same on every machine, with or without system fonts.
//!
//! The font file and its license (Bitstream Vera / DejaVu, free to redistribute) are in
//! `prelude/assets/fonts/`.

use plotters::style::FontStyle;
use std::sync::Once;

/// The family name text is drawn with; the bundled font is registered under it.
pub(crate) const FAMILY: &str = "sans-serif";

/// DejaVu Sans, compiled into the prelude.
pub(crate) static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the bundled font with plotters (once per process). Every drawing entry point
/// calls this first; it is cheap after the first call.
pub(crate) fn ensure_registered() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [
            FontStyle::Normal,
            FontStyle::Bold,
            FontStyle::Italic,
            FontStyle::Oblique,
        ] {
            // The bytes are a valid TrueType file checked by the test below; a failure here
            // would only leave text undrawn, never stop a plot.
            let _ = plotters::style::register_font(FAMILY, style, DEJAVU_SANS);
            let _ = plotters::style::register_font("DejaVu Sans", style, DEJAVU_SANS);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::{FontDesc, FontFamily};

    #[test]
    fn bundled_font_is_registered_and_measures_text() {
        ensure_registered();
        let font = FontDesc::new(FontFamily::SansSerif, 20.0, FontStyle::Normal);
        let (w, _h) = font.box_size("Accuracy").expect("font registered");
        // DejaVu Sans at 20 px: "Accuracy" is about 90 px wide.
        assert!((70..120).contains(&w), "width {w}");
    }
}
