//! Image grids: `image_grid` (samples with their class names) and `prediction_grid`
//! (predicted vs true class, green when right and red when wrong).

use super::figure::Figure;
use super::image_data::{batch_images, tensor_values, PlotImage};
use crate::error::{Error, Result};
use tch::Tensor;

/// Class indices from labels `(N,)`, `(N, 1)` or one-hot / probabilities `(N, C)` (argmax).
pub(crate) fn class_indices(t: &Tensor, what: &str) -> Result<Vec<usize>> {
    let shape = t.size();
    let flat = match shape[..] {
        [_] => t.shallow_clone(),
        [_, 1] => t.reshape([-1]),
        [_, c] if c > 1 => t.f_argmax(-1, false)?,
        _ => {
            return Err(Error::InvalidArgument(format!(
                "{what}: expected class indices (N,) or scores (N, C), got shape {shape:?}"
            )))
        }
    };
    let mut values = tensor_values(&flat)?;
    // Sigmoid outputs of a binary classifier: threshold at 0.5, as Keras users do.
    if values.iter().any(|v| v.fract() != 0.0) && values.iter().all(|v| (0.0..=1.0).contains(v)) {
        for v in &mut values {
            *v = if *v >= 0.5 { 1.0 } else { 0.0 };
        }
    }
    values
        .into_iter()
        .map(|v| {
            if v >= 0.0 && v.fract() == 0.0 {
                Ok(v as usize)
            } else {
                Err(Error::InvalidArgument(format!(
                    "{what}: class indices must be whole numbers ≥ 0, got {v}"
                )))
            }
        })
        .collect()
}

/// Pixel size of one grid cell for images of width `w`.
fn cell_size(w: usize) -> u32 {
    ((w as f64 * 1.5).round() as u32).clamp(110, 200)
}

fn grid_figure(
    images: Vec<PlotImage>,
    titles: &[(String, Option<&'static str>)],
    cols: usize,
    title_lines: u32,
) -> Figure {
    let n = images.len().max(1);
    let cols = cols.min(n).max(1);
    let rows = n.div_ceil(cols);
    let cell = cell_size(images.first().map_or(28, PlotImage::width));
    let title_h = if titles.is_empty() {
        0
    } else {
        title_lines * 17 + 8
    };
    let mut fig =
        Figure::new(cell * cols as u32, (cell + title_h) * rows as u32).subplots(rows, cols);
    for (i, img) in images.into_iter().enumerate() {
        let ax = fig.ax(i);
        ax.imshow_data(img).cmap("gray");
        ax.axis_off().title_size(14);
        if let Some((t, color)) = titles.get(i) {
            ax.title(t.as_str());
            if let Some(c) = color {
                ax.title_color(*c);
            }
        }
    }
    for i in n..rows * cols {
        fig.ax(i).axis_off();
    }
    fig
}

/// A grid of images with a title each (class names), `cols` per row, axes off — the
/// notebooks' "show some examples" cell.
///
/// `images`: `(N, H, W)` or `(N, H, W, C)`, u8 0–255 or float 0–1; grayscale is shown with
/// the `gray` colormap. `titles`: one per image, or none (`&[] as &[&str]`).
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::plot::image_grid;
/// let images = Tensor::rand([6, 28, 28], (Kind::Float, Device::Cpu));
/// let fig = image_grid(&images, &["A", "B", "C", "D", "E", "F"], 6).unwrap();
/// assert_eq!(fig.grid(), (1, 6));
/// ```
pub fn image_grid<S: AsRef<str>>(images: &Tensor, titles: &[S], cols: usize) -> Result<Figure> {
    if cols == 0 {
        return Err(Error::InvalidArgument(
            "image_grid: cols must be ≥ 1".into(),
        ));
    }
    let imgs = batch_images(images, "image_grid")?;
    if !titles.is_empty() && titles.len() != imgs.len() {
        return Err(Error::InvalidArgument(format!(
            "image_grid: {} titles for {} images; give one per image or none",
            titles.len(),
            imgs.len()
        )));
    }
    let titles: Vec<(String, Option<&'static str>)> = titles
        .iter()
        .map(|t| (t.as_ref().to_string(), None))
        .collect();
    let lines = titles
        .iter()
        .map(|(t, _)| t.lines().count() as u32)
        .max()
        .unwrap_or(1);
    Ok(grid_figure(imgs, &titles, cols, lines))
}

/// Images with `Pred: <predicted>` / `True: <label>` titles, green when the prediction is
/// right and red when wrong — the Rock-Paper-Scissors and Sign-Language figures.
///
/// * `images`: `(N, H, W)` or `(N, H, W, C)`, u8 0–255 or float 0–1.
/// * `predictions`: class scores `(N, C)` (argmax is taken) or class indices `(N,)`.
/// * `labels`: class indices `(N,)` / `(N, 1)` or one-hot `(N, C)`.
/// * `class_names`: the name of every class index.
///
/// Columns: all images in a row up to 6, two rows up to 16, then 8 per row.
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::plot::prediction_grid;
/// let images = Tensor::rand([8, 100, 100, 3], (Kind::Float, Device::Cpu));
/// let preds = Tensor::from_slice(&[0i64, 1, 2, 0, 1, 2, 0, 1]);
/// let labels = Tensor::from_slice(&[0i64, 1, 2, 1, 1, 2, 0, 0]);
/// let fig = prediction_grid(&images, &preds, &labels, &["rock", "paper", "scissors"]).unwrap();
/// assert_eq!(fig.grid(), (2, 4));
/// assert_eq!(fig.axes()[3].get_title(), Some("Pred: rock\nTrue: paper"));
/// ```
pub fn prediction_grid<S: AsRef<str>>(
    images: &Tensor,
    predictions: &Tensor,
    labels: &Tensor,
    class_names: &[S],
) -> Result<Figure> {
    let imgs = batch_images(images, "prediction_grid")?;
    let pred = class_indices(predictions, "prediction_grid predictions")?;
    let truth = class_indices(labels, "prediction_grid labels")?;
    if pred.len() != imgs.len() || truth.len() != imgs.len() {
        return Err(Error::InvalidArgument(format!(
            "prediction_grid: {} images, {} predictions and {} labels; they must match",
            imgs.len(),
            pred.len(),
            truth.len()
        )));
    }
    let name = |i: usize| -> Result<&str> {
        class_names.get(i).map(AsRef::as_ref).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "prediction_grid: class index {i} but only {} class names",
                class_names.len()
            ))
        })
    };
    let mut titles = Vec::with_capacity(imgs.len());
    for (&p, &t) in pred.iter().zip(&truth) {
        let color = if p == t { "green" } else { "red" };
        titles.push((
            format!("Pred: {}\nTrue: {}", name(p)?, name(t)?),
            Some(color),
        ));
    }
    let n = imgs.len();
    let cols = if n <= 6 {
        n
    } else if n <= 16 {
        n.div_ceil(2)
    } else {
        8
    };
    Ok(grid_figure(imgs, &titles, cols, 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn class_indices_from_all_label_forms() {
        let idx = Tensor::from_slice(&[2i64, 0, 1]);
        assert_eq!(class_indices(&idx, "t").unwrap(), vec![2, 0, 1]);
        let col = idx.reshape([3, 1]);
        assert_eq!(class_indices(&col, "t").unwrap(), vec![2, 0, 1]);
        let scores = Tensor::from_slice(&[0.1f32, 0.2, 0.7, 0.9, 0.05, 0.05]).reshape([2, 3]);
        assert_eq!(class_indices(&scores, "t").unwrap(), vec![2, 0]);
        let sigmoid = Tensor::from_slice(&[0.2f32, 0.8, 0.5]).reshape([3, 1]);
        assert_eq!(class_indices(&sigmoid, "t").unwrap(), vec![0, 1, 1]);
        let bad = Tensor::from_slice(&[-1i64]);
        assert!(class_indices(&bad, "t").is_err());
    }

    #[test]
    fn grid_errors_name_the_problem() {
        let images = Tensor::zeros([3, 8, 8], (Kind::Float, Device::Cpu));
        let e = image_grid(&images, &["a"], 3).unwrap_err().to_string();
        assert!(e.contains("1 titles for 3 images"), "{e}");
        let p = Tensor::from_slice(&[0i64, 5, 1]);
        let e = prediction_grid(&images, &p, &p, &["a", "b"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("class index 5"), "{e}");
    }
}
