//! What a conv net sees: one layer's feature maps, every layer's maps side by side, and the
//! learned kernels.

use super::figure::Figure;
use super::image_data::{tensor_values, PlotImage};
use crate::error::{Error, Result};
use tch::Tensor;

/// `(H, W, C)` and the values of a layer output `(1, H, W, C)` / `(H, W, C)` (first sample).
fn maps_of(t: &Tensor, what: &str) -> Result<(usize, usize, usize, Vec<f32>)> {
    let shape = t.size();
    let (h, w, c) = match shape[..] {
        [_, h, w, c] => (h, w, c),
        [h, w, c] => (h, w, c),
        _ => {
            return Err(Error::InvalidArgument(format!(
            "{what}: expected a conv layer output (1, H, W, C) or (H, W, C), got shape {shape:?}"
        )))
        }
    };
    let first = if shape.len() == 4 {
        t.f_get(0)?
    } else {
        t.shallow_clone()
    };
    Ok((h as usize, w as usize, c as usize, tensor_values(&first)?))
}

/// Channel `k` of channels-last values, downsampled (nearest) to at most `max_side` pixels.
fn channel(values: &[f32], h: usize, w: usize, c: usize, k: usize, max_side: usize) -> PlotImage {
    let step = h.max(w).div_ceil(max_side.max(1)).max(1);
    let (oh, ow) = (h.div_ceil(step), w.div_ceil(step));
    let mut out = Vec::with_capacity(oh * ow);
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            out.push(values[(y * w + x) * c + k]);
        }
    }
    PlotImage::gray(oh, ow, out).expect("sizes match")
}

/// The feature maps of one layer's output, one `matshow` (viridis) per filter, at most
/// `max_filters`, 8 per row — the English notebook's `axs[0].matshow(activations[0,:,:,14])`
/// for every filter at once.
///
/// `activation`: the layer output for one input, `(1, H, W, C)` or `(H, W, C)`; more than one
/// sample shows the first.
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::plot::plot_feature_maps;
/// let act = Tensor::rand([1, 26, 26, 32], (Kind::Float, Device::Cpu));
/// let fig = plot_feature_maps(&act, 16).unwrap();
/// assert_eq!(fig.grid(), (2, 8));
/// assert_eq!(fig.axes()[14].get_title(), Some("filter 14"));
/// ```
pub fn plot_feature_maps(activation: &Tensor, max_filters: usize) -> Result<Figure> {
    let (h, w, c, values) = maps_of(activation, "plot_feature_maps")?;
    let n = c.min(max_filters.max(1));
    let cols = n.min(8);
    let rows = n.div_ceil(cols);
    let cell = 140u32;
    let mut fig = Figure::new(cell * cols as u32, (cell + 20) * rows as u32).subplots(rows, cols);
    for k in 0..n {
        let ax = fig.ax(k);
        ax.imshow_data(channel(&values, h, w, c, k, 256));
        ax.axis_off().title(format!("filter {k}")).title_size(12);
    }
    for k in n..rows * cols {
        fig.ax(k).axis_off();
    }
    Ok(fig)
}

/// Every layer's feature maps in one figure: a column per layer (named on top), a row per
/// filter (at most `max_filters`) — the ResNet50 figure of the English notebook.
///
/// `layers`: `(name, output)` pairs as `model.activations(&x)` returns them; outputs that are
/// not image-like `(1, H, W, C)` (dense layers, flattened outputs) are skipped, as the
/// notebook's `try/except` does.
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::plot::activation_panel;
/// let layers = vec![
///     ("conv1".to_string(), Tensor::rand([1, 26, 26, 8], (Kind::Float, Device::Cpu))),
///     ("pool1".to_string(), Tensor::rand([1, 13, 13, 8], (Kind::Float, Device::Cpu))),
///     ("flatten".to_string(), Tensor::rand([1, 1352], (Kind::Float, Device::Cpu))),
/// ];
/// let fig = activation_panel(&layers, 4).unwrap();
/// assert_eq!(fig.grid(), (4, 2));
/// assert_eq!(fig.axes()[1].get_title(), Some("pool1"));
/// ```
pub fn activation_panel(layers: &[(String, Tensor)], max_filters: usize) -> Result<Figure> {
    let image_like: Vec<&(String, Tensor)> = layers
        .iter()
        .filter(|(_, t)| {
            let shape = t.size();
            matches!(shape.len(), 3 | 4) && shape[shape.len() - 2] > 1
        })
        .collect();
    if image_like.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "activation_panel: none of the {} layer outputs is image-like (1, H, W, C)",
            layers.len()
        )));
    }
    let cols = image_like.len();
    let cell = (2400 / cols as u32).clamp(24, 120);
    let max_filters = max_filters.max(1);
    // Only the shown filters, shrunk to the cell size, are kept: a ResNet50 has ~170 layers.
    let mut columns = Vec::with_capacity(cols);
    for (name, t) in image_like {
        let c = *t.size().last().expect("3-D or 4-D");
        let shown = t.f_narrow(-1, 0, c.min(max_filters as i64))?;
        let (h, w, c, values) = maps_of(&shown, "activation_panel")?;
        let maps: Vec<PlotImage> = (0..c)
            .map(|k| channel(&values, h, w, c, k, cell as usize))
            .collect();
        columns.push((name, maps));
    }
    let rows = columns.iter().map(|(_, m)| m.len()).max().unwrap_or(1);
    let header = if cell >= 60 { 22 } else { 0 };
    let mut fig = Figure::new(cell * cols as u32, cell * rows as u32 + header).subplots(rows, cols);
    let max_chars = (cell / 7) as usize;
    for (col, (name, maps)) in columns.into_iter().enumerate() {
        for (row, map) in maps.into_iter().enumerate() {
            fig.subplot(row, col).imshow_data(map);
        }
        for row in 0..rows {
            let ax = fig.subplot(row, col);
            ax.axis_off();
            if row == 0 && header > 0 {
                let title: String = name.chars().take(max_chars).collect();
                ax.title(title).title_size(11);
            }
        }
    }
    Ok(fig)
}

/// The learned kernels of a conv layer, Keras layout `(kh, kw, in, out)`.
///
/// With 3 input channels each filter is one RGB image (scaled to its own min/max); otherwise
/// a row per filter (at most 16) and a column per input channel (at most 8), in gray.
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::plot::plot_filters;
/// let rgb = Tensor::randn([3, 3, 3, 32], (Kind::Float, Device::Cpu));
/// assert_eq!(plot_filters(&rgb).unwrap().grid(), (4, 8));
/// let deep = Tensor::randn([3, 3, 32, 64], (Kind::Float, Device::Cpu));
/// assert_eq!(plot_filters(&deep).unwrap().grid(), (16, 8));
/// ```
pub fn plot_filters(kernel: &Tensor) -> Result<Figure> {
    let shape = kernel.size();
    let [kh, kw, cin, cout] = shape[..] else {
        return Err(Error::InvalidArgument(format!(
            "plot_filters: expected a Conv2D kernel (kh, kw, in, out), got shape {shape:?}"
        )));
    };
    let (kh, kw, cin, cout) = (kh as usize, kw as usize, cin as usize, cout as usize);
    let v = tensor_values(kernel)?;
    let at = |y: usize, x: usize, i: usize, o: usize| v[((y * kw + x) * cin + i) * cout + o];
    if cin == 3 {
        let n = cout.min(64);
        let cols = n.min(8);
        let rows = n.div_ceil(cols);
        let mut fig = Figure::new(100 * cols as u32, 118 * rows as u32).subplots(rows, cols);
        for o in 0..n {
            let mut px = Vec::with_capacity(kh * kw * 3);
            for y in 0..kh {
                for x in 0..kw {
                    for i in 0..3 {
                        px.push(at(y, x, i, o));
                    }
                }
            }
            let (lo, hi) = px
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &p| {
                    (l.min(p), h.max(p))
                });
            let span = if hi > lo { hi - lo } else { 1.0 };
            let px = px.into_iter().map(|p| (p - lo) / span).collect();
            let ax = fig.ax(o);
            ax.imshow_data(PlotImage::rgb(kh, kw, px)?);
            ax.axis_off().title(format!("filter {o}")).title_size(11);
        }
        for k in n..rows * cols {
            fig.ax(k).axis_off();
        }
        return Ok(fig);
    }
    let rows = cout.min(16);
    let cols = cin.min(8);
    let mut fig = Figure::new(80 * cols as u32, 80 * rows as u32 + 20).subplots(rows, cols);
    for o in 0..rows {
        for i in 0..cols {
            let mut px = Vec::with_capacity(kh * kw);
            for y in 0..kh {
                for x in 0..kw {
                    px.push(at(y, x, i, o));
                }
            }
            let ax = fig.subplot(o, i);
            ax.imshow_data(PlotImage::gray(kh, kw, px)?).cmap("gray");
            ax.axis_off();
            if o == 0 {
                ax.title(format!("in {i}")).title_size(11);
            }
        }
    }
    Ok(fig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn channel_extracts_and_downsamples() {
        // 2×2 image with 2 channels: channel 1 is 10, 11, 12, 13.
        let v = vec![0.0, 10.0, 1.0, 11.0, 2.0, 12.0, 3.0, 13.0];
        let img = channel(&v, 2, 2, 2, 1, 10);
        assert_eq!(
            img,
            PlotImage::gray(2, 2, vec![10.0, 11.0, 12.0, 13.0]).unwrap()
        );
        let small = channel(&v, 2, 2, 2, 0, 1);
        assert_eq!(small, PlotImage::gray(1, 1, vec![0.0]).unwrap());
    }

    #[test]
    fn shapes_are_checked() {
        let flat = Tensor::zeros([1, 10], (Kind::Float, Device::Cpu));
        assert!(plot_feature_maps(&flat, 4).is_err());
        assert!(activation_panel(&[("dense".into(), flat.shallow_clone())], 4).is_err());
        assert!(plot_filters(&flat).is_err());
    }
}
