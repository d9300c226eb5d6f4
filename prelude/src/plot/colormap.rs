//! Colormaps for `imshow` / `matshow`: matplotlib's `viridis` (the default), `plasma`,
//! `inferno`, `magma`, `gray`, `binary`, `hot`, `Blues`.

use crate::error::{Error, Result};

/// A colormap: maps a value in `[0, 1]` to a colour.
///
/// String ids are matplotlib's (`"viridis"`, `"gray"`, `"binary"`, …); an unknown id gives
/// `Error::UnknownId` listing them.
///
/// ```
/// use ferrokeras::plot::Colormap;
/// let cm = Colormap::from_id("binary").unwrap();
/// assert_eq!(cm.map(0.0), [255, 255, 255]); // plt.cm.binary: 0 is white
/// assert_eq!(cm.map(1.0), [0, 0, 0]);
/// assert_eq!(Colormap::Viridis.map(0.0), [68, 1, 84]);
/// assert!(Colormap::from_id("rainbowz").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colormap {
    /// Perceptually uniform purple → green → yellow (matplotlib's default).
    #[default]
    Viridis,
    /// Blue → magenta → yellow.
    Plasma,
    /// Black → red → pale yellow.
    Inferno,
    /// Black → purple → pale pink.
    Magma,
    /// Black (low) → white (high).
    Gray,
    /// White (low) → black (high), `plt.cm.binary`.
    Binary,
    /// Black → red → yellow → white.
    Hot,
    /// White → dark blue (confusion matrices).
    Blues,
}

const VIRIDIS: &[u32] = &[
    0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xfde725,
];
const PLASMA: &[u32] = &[
    0x0d0887, 0x46039f, 0x7201a8, 0x9c179e, 0xbd3786, 0xd8576b, 0xed7953, 0xfb9f3a, 0xfdca26,
    0xf0f921,
];
const INFERNO: &[u32] = &[
    0x000004, 0x1b0c41, 0x4a0c6b, 0x781c6d, 0xa52c60, 0xcf4446, 0xed6925, 0xfb9b06, 0xf7d13d,
    0xfcffa4,
];
const MAGMA: &[u32] = &[
    0x000004, 0x180f3d, 0x440f76, 0x721f81, 0x9e2f7f, 0xcd4071, 0xf1605d, 0xfd9668, 0xfeca8d,
    0xfcfdbf,
];
const GRAY: &[u32] = &[0x000000, 0xffffff];
const BINARY: &[u32] = &[0xffffff, 0x000000];
const HOT: &[u32] = &[0x0a0000, 0xff0000, 0xffff00, 0xffffff];
const BLUES: &[u32] = &[
    0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6, 0x4292c6, 0x2171b5, 0x08519c, 0x08306b,
];

const IDS: &[&str] = &[
    "viridis", "plasma", "inferno", "magma", "gray", "grey", "binary", "hot", "Blues",
];

impl Colormap {
    /// The colormap for a matplotlib id (case-insensitive; `gray` and `grey` both work).
    pub fn from_id(id: &str) -> Result<Self> {
        Ok(match id.to_ascii_lowercase().as_str() {
            "viridis" => Colormap::Viridis,
            "plasma" => Colormap::Plasma,
            "inferno" => Colormap::Inferno,
            "magma" => Colormap::Magma,
            "gray" | "grey" | "greys_r" => Colormap::Gray,
            "binary" | "greys" | "gray_r" => Colormap::Binary,
            "hot" => Colormap::Hot,
            "blues" => Colormap::Blues,
            _ => {
                return Err(Error::UnknownId {
                    kind: "colormap",
                    got: id.to_string(),
                    valid: IDS.to_vec(),
                })
            }
        })
    }

    fn stops(self) -> &'static [u32] {
        match self {
            Colormap::Viridis => VIRIDIS,
            Colormap::Plasma => PLASMA,
            Colormap::Inferno => INFERNO,
            Colormap::Magma => MAGMA,
            Colormap::Gray => GRAY,
            Colormap::Binary => BINARY,
            Colormap::Hot => HOT,
            Colormap::Blues => BLUES,
        }
    }

    /// The colour for `t` in `[0, 1]` (clamped; NaN maps to 0), linearly interpolated
    /// between the map's stops.
    pub fn map(self, t: f32) -> [u8; 3] {
        let stops = self.stops();
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let pos = t * (stops.len() - 1) as f32;
        let i = (pos.floor() as usize).min(stops.len() - 2);
        let f = pos - i as f32;
        let (a, b) = (stops[i], stops[i + 1]);
        let mut out = [0u8; 3];
        for (k, o) in out.iter_mut().enumerate() {
            let shift = 16 - 8 * k;
            let ca = ((a >> shift) & 0xff) as f32;
            let cb = ((b >> shift) & 0xff) as f32;
            *o = (ca + (cb - ca) * f).round() as u8;
        }
        out
    }

    /// A 256-entry lookup table, for mapping many pixels quickly.
    pub(crate) fn lut(self) -> Vec<[u8; 3]> {
        (0..256).map(|i| self.map(i as f32 / 255.0)).collect()
    }
}

/// A colormap given by id or by value, resolved when the figure is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmapSpec {
    /// By matplotlib id.
    Id(String),
    /// By value.
    Map(Colormap),
}

impl CmapSpec {
    pub(crate) fn resolve(&self) -> Result<Colormap> {
        match self {
            CmapSpec::Id(id) => Colormap::from_id(id),
            CmapSpec::Map(m) => Ok(*m),
        }
    }
}

impl From<&str> for CmapSpec {
    fn from(s: &str) -> Self {
        CmapSpec::Id(s.to_string())
    }
}

impl From<Colormap> for CmapSpec {
    fn from(m: Colormap) -> Self {
        CmapSpec::Map(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_midpoints() {
        assert_eq!(Colormap::Gray.map(0.5), [128, 128, 128]);
        assert_eq!(Colormap::Viridis.map(1.0), [253, 231, 37]);
        assert_eq!(Colormap::Viridis.map(0.5), [38, 130, 142]);
        assert_eq!(Colormap::Gray.map(f32::NAN), [0, 0, 0]);
        assert_eq!(Colormap::Gray.map(7.0), [255, 255, 255]);
        let lut = Colormap::Binary.lut();
        assert_eq!(lut[0], [255, 255, 255]);
        assert_eq!(lut[255], [0, 0, 0]);
        assert_eq!(Colormap::from_id("Greys").unwrap(), Colormap::Binary);
        assert!(matches!(
            Colormap::from_id("nope"),
            Err(Error::UnknownId {
                kind: "colormap",
                ..
            })
        ));
    }
}
