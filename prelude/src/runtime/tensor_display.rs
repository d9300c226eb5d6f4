//! Showing a `Tensor` the way numpy shows an array: shape, dtype and device, then the values
//! (summarised with `...` past 1000 elements, like numpy's print options).

use super::display::{MimeBundle, Render};
use super::progress::html_escape;
use tch::{Kind, Tensor};

/// Above this many elements only the first and last [`EDGE_ITEMS`] of each axis are shown.
const SUMMARY_THRESHOLD: i64 = 1000;
const EDGE_ITEMS: i64 = 3;

/// numpy's name for a libtorch dtype.
pub fn dtype_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Uint8 => "uint8",
        Kind::Int8 => "int8",
        Kind::Int16 => "int16",
        Kind::Int => "int32",
        Kind::Int64 => "int64",
        Kind::Half => "float16",
        Kind::Float => "float32",
        Kind::Double => "float64",
        Kind::Bool => "bool",
        Kind::BFloat16 => "bfloat16",
        _ => "other",
    }
}

/// A one-line description: `shape=(2, 3), dtype=float32, device=cpu`.
pub fn describe(t: &Tensor) -> String {
    let shape = t.size();
    let shape = match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let device = match t.device() {
        tch::Device::Cpu => "cpu".to_string(),
        tch::Device::Cuda(i) => format!("cuda:{i}"),
        d => format!("{d:?}").to_lowercase(),
    };
    format!(
        "shape={shape}, dtype={}, device={device}",
        dtype_name(t.kind())
    )
}

/// The values, numpy-style: `[[1., 2.],\n [3., 4.]]`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let t = Tensor::from_slice(&[1.0f32, 2.5, 3.0]);
/// assert_eq!(ferrokeras::runtime::tensor_display::format_values(&t), "[1. , 2.5, 3. ]");
/// ```
pub fn format_values(t: &Tensor) -> String {
    let t = t.detach().to_device(tch::Device::Cpu);
    let is_float = t.is_floating_point();
    let is_bool = t.kind() == Kind::Bool;
    let summarise = t.numel() as i64 > SUMMARY_THRESHOLD;
    let flat = if is_float {
        t.to_kind(Kind::Double)
    } else {
        t.to_kind(Kind::Int64)
    };
    let cells = collect_cells(&flat, summarise, is_float, is_bool);
    let width = cells.iter().map(|c| c.len()).max().unwrap_or(0);
    let mut out = String::new();
    write_nested(&flat, &mut cells.iter(), width, summarise, 0, &mut out);
    out
}

fn float_cell(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if v == v.trunc() && v.abs() < 1e16 {
        format!("{v:.0}.")
    } else if v.abs() >= 1e8 || v.abs() < 1e-4 {
        format!("{v:.4e}")
    } else {
        let s = format!("{v:.8}");
        s.trim_end_matches('0').to_string()
    }
}

/// The printed values in the order they appear, skipping summarised elements.
fn collect_cells(t: &Tensor, summarise: bool, is_float: bool, is_bool: bool) -> Vec<String> {
    let shown = shown_tensor(t, summarise);
    let flat = shown.flatten(0, -1);
    let n = flat.size()[0];
    let mut cells = Vec::with_capacity(n as usize);
    for i in 0..n {
        let cell = if is_float {
            float_cell(flat.double_value(&[i]))
        } else if is_bool {
            (if flat.int64_value(&[i]) != 0 {
                "True"
            } else {
                "False"
            })
            .to_string()
        } else {
            flat.int64_value(&[i]).to_string()
        };
        cells.push(cell);
    }
    // numpy pads floats after the point: 1. and 2.5 print as "1. " and "2.5".
    if is_float {
        let decimals = cells
            .iter()
            .filter(|c| !c.contains('e') && c.contains('.'))
            .map(|c| c.len() - c.find('.').unwrap_or(0) - 1)
            .max()
            .unwrap_or(0);
        for c in cells.iter_mut() {
            if let Some(p) = c.find('.') {
                if !c.contains('e') {
                    let have = c.len() - p - 1;
                    c.push_str(&" ".repeat(decimals.saturating_sub(have)));
                }
            }
        }
    }
    cells
}

/// The tensor with the middle of each long axis cut out (when summarising).
fn shown_tensor(t: &Tensor, summarise: bool) -> Tensor {
    let mut shown = t.shallow_clone();
    if !summarise {
        return shown;
    }
    for (axis, &len) in t.size().iter().enumerate() {
        if len > 2 * EDGE_ITEMS {
            let head = shown.narrow(axis as i64, 0, EDGE_ITEMS);
            let tail = shown.narrow(axis as i64, len - EDGE_ITEMS, EDGE_ITEMS);
            shown = Tensor::cat(&[head, tail], axis as i64);
        }
    }
    shown
}

fn write_nested<'a>(
    t: &Tensor,
    cells: &mut impl Iterator<Item = &'a String>,
    width: usize,
    summarise: bool,
    depth: usize,
    out: &mut String,
) {
    let shape = t.size();
    if shape.is_empty() {
        if let Some(c) = cells.next() {
            out.push_str(c.trim_end());
        }
        return;
    }
    let len = shape[0];
    let indices: Vec<Option<i64>> = if summarise && len > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((len - EDGE_ITEMS..len).map(Some))
            .collect()
    } else {
        (0..len).map(Some).collect()
    };
    out.push('[');
    let last_axis = shape.len() == 1;
    for (k, idx) in indices.iter().enumerate() {
        if k > 0 {
            if last_axis {
                out.push_str(", ");
            } else {
                out.push(',');
                out.push_str(&"\n".repeat(shape.len() - 1));
                out.push_str(&" ".repeat(depth + 1));
            }
        }
        match idx {
            None => out.push_str("..."),
            Some(i) if last_axis => {
                if let Some(c) = cells.next() {
                    let _ = i;
                    out.push_str(&format!("{c:>width$}"));
                }
            }
            Some(i) => write_nested(&t.get(*i), cells, width, summarise, depth + 1, out),
        }
    }
    out.push(']');
}

impl Render for Tensor {
    fn mime_bundle(&self) -> MimeBundle {
        let text = format!("Tensor({})\n{}", describe(self), format_values(self));
        let html = format!("<pre>{}</pre>", html_escape(&text));
        MimeBundle::text(text).with_html(html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_shape_dtype_device() {
        let t = Tensor::zeros([2, 3], (Kind::Float, tch::Device::Cpu));
        assert_eq!(describe(&t), "shape=(2, 3), dtype=float32, device=cpu");
        assert_eq!(
            describe(&Tensor::from(3i64)),
            "shape=(), dtype=int64, device=cpu"
        );
    }

    #[test]
    fn matrix_prints_like_numpy() {
        let t = Tensor::from_slice(&[1i64, 2, 30, 4]).reshape([2, 2]);
        assert_eq!(format_values(&t), "[[ 1,  2],\n [30,  4]]");
    }

    #[test]
    fn long_vector_is_summarised() {
        let t = Tensor::arange(2000, (Kind::Int64, tch::Device::Cpu));
        assert_eq!(
            format_values(&t),
            "[   0,    1,    2, ..., 1997, 1998, 1999]"
        );
    }

    #[test]
    fn bundle_has_text_and_html() {
        let b = Tensor::from_slice(&[1.0f32, 2.0, 3.0]).mime_bundle();
        assert_eq!(
            b.get("text/plain").unwrap(),
            "Tensor(shape=(3,), dtype=float32, device=cpu)\n[1., 2., 3.]"
        );
        assert!(b.get("text/html").unwrap().starts_with("<pre>"));
    }
}
