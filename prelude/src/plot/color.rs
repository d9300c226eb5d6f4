//! Colours by matplotlib name (`"green"`, `"C1"`, `"r"`, `"#1f77b4"`) or as RGB values.

use crate::error::{Error, Result};
use plotters::style::RGBColor;

/// matplotlib's default colour cycle (`tab10`): `C0`..`C9`.
pub const TAB10: [(u8, u8, u8); 10] = [
    (0x1f, 0x77, 0xb4),
    (0xff, 0x7f, 0x0e),
    (0x2c, 0xa0, 0x2c),
    (0xd6, 0x27, 0x28),
    (0x94, 0x67, 0xbd),
    (0x8c, 0x56, 0x4b),
    (0xe3, 0x77, 0xc2),
    (0x7f, 0x7f, 0x7f),
    (0xbc, 0xbd, 0x22),
    (0x17, 0xbe, 0xcf),
];

/// Named colours (matplotlib's base and CSS names).
const NAMED: &[(&str, (u8, u8, u8))] = &[
    ("black", (0, 0, 0)),
    ("white", (255, 255, 255)),
    ("red", (255, 0, 0)),
    ("green", (0, 128, 0)),
    ("blue", (0, 0, 255)),
    ("orange", (255, 165, 0)),
    ("purple", (128, 0, 128)),
    ("brown", (165, 42, 42)),
    ("pink", (255, 192, 203)),
    ("gray", (128, 128, 128)),
    ("grey", (128, 128, 128)),
    ("olive", (128, 128, 0)),
    ("cyan", (0, 255, 255)),
    ("magenta", (255, 0, 255)),
    ("yellow", (255, 255, 0)),
    ("navy", (0, 0, 128)),
    ("teal", (0, 128, 128)),
    ("lime", (0, 255, 0)),
    ("darkgreen", (0, 100, 0)),
    ("darkred", (139, 0, 0)),
    ("darkblue", (0, 0, 139)),
    ("lightgray", (211, 211, 211)),
    ("b", (0, 0, 255)),
    ("g", (0, 128, 0)),
    ("r", (255, 0, 0)),
    ("c", (0, 191, 191)),
    ("m", (191, 0, 191)),
    ("y", (191, 191, 0)),
    ("k", (0, 0, 0)),
    ("w", (255, 255, 255)),
];

/// A colour: a matplotlib name, `C0`..`C9`, `#rrggbb`, or an RGB triple.
///
/// Names are checked when the figure is drawn; an unknown name makes the render return
/// `Error::UnknownId` listing the names.
///
/// ```
/// use ferrokeras::plot::Color;
/// assert_eq!(Color::from("green").rgb().unwrap(), (0, 128, 0));
/// assert_eq!(Color::from("C1").rgb().unwrap(), (255, 127, 14));
/// assert_eq!(Color::from("#0000ff").rgb().unwrap(), (0, 0, 255));
/// assert_eq!(Color::rgb_u8(1, 2, 3).rgb().unwrap(), (1, 2, 3));
/// assert!(Color::from("greenish").rgb().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Color {
    /// By name.
    Named(String),
    /// By value.
    Rgb(u8, u8, u8),
}

impl Color {
    /// An RGB colour.
    pub fn rgb_u8(r: u8, g: u8, b: u8) -> Self {
        Color::Rgb(r, g, b)
    }

    /// The n-th colour of the default cycle (`C{n % 10}`).
    pub fn cycle(n: usize) -> Self {
        let (r, g, b) = TAB10[n % TAB10.len()];
        Color::Rgb(r, g, b)
    }

    /// The RGB value, or `Error::UnknownId` for an unknown name.
    pub fn rgb(&self) -> Result<(u8, u8, u8)> {
        match self {
            Color::Rgb(r, g, b) => Ok((*r, *g, *b)),
            Color::Named(name) => parse(name),
        }
    }

    pub(crate) fn to_plotters(&self) -> Result<RGBColor> {
        let (r, g, b) = self.rgb()?;
        Ok(RGBColor(r, g, b))
    }
}

fn parse(name: &str) -> Result<(u8, u8, u8)> {
    let lower = name.trim().to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix('#') {
        if hex.len() == 6 {
            if let Ok(v) = u32::from_str_radix(hex, 16) {
                return Ok(((v >> 16) as u8, (v >> 8) as u8, v as u8));
            }
        }
    }
    if let Some(n) = lower
        .strip_prefix("c")
        .and_then(|d| d.parse::<usize>().ok())
    {
        if n < TAB10.len() {
            return Ok(TAB10[n]);
        }
    }
    if let Some(rest) = lower.strip_prefix("tab:") {
        let names = [
            "blue", "orange", "green", "red", "purple", "brown", "pink", "gray", "olive", "cyan",
        ];
        if let Some(i) = names.iter().position(|n| *n == rest) {
            return Ok(TAB10[i]);
        }
    }
    NAMED
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|(_, c)| *c)
        .ok_or_else(|| Error::UnknownId {
            kind: "color",
            got: name.to_string(),
            valid: {
                let mut v: Vec<&'static str> = NAMED.iter().map(|(n, _)| *n).collect();
                v.extend(["C0", "C1", "C2", "C9", "tab:blue", "#rrggbb"]);
                v
            },
        })
}

impl From<&str> for Color {
    fn from(s: &str) -> Self {
        Color::Named(s.to_string())
    }
}

impl From<String> for Color {
    fn from(s: String) -> Self {
        Color::Named(s)
    }
}

impl From<(u8, u8, u8)> for Color {
    fn from((r, g, b): (u8, u8, u8)) -> Self {
        Color::Rgb(r, g, b)
    }
}

impl From<&Color> for Color {
    fn from(c: &Color) -> Self {
        c.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_errors() {
        assert_eq!(Color::from("red").rgb().unwrap(), (255, 0, 0));
        assert_eq!(Color::from("Green").rgb().unwrap(), (0, 128, 0));
        assert_eq!(Color::from("tab:orange").rgb().unwrap(), TAB10[1]);
        assert_eq!(Color::cycle(11), Color::Rgb(0xff, 0x7f, 0x0e));
        match Color::from("C12").rgb() {
            Err(Error::UnknownId { kind, got, valid }) => {
                assert_eq!(kind, "color");
                assert_eq!(got, "C12");
                assert!(valid.contains(&"green"));
            }
            other => panic!("expected UnknownId, got {other:?}"),
        }
    }
}
