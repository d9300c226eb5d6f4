//! Pictures of classification results: the confusion matrix and a 2-D scatter coloured by
//! class.

use super::figure::Figure;
use super::grids::class_indices;
use super::image_data::{tensor_values, PlotImage};
use crate::error::{Error, Result};
use tch::Tensor;

/// Counts `[true][predicted]` over `k` classes.
pub(crate) fn confusion_counts(
    truth: &[usize],
    pred: &[usize],
    k: usize,
) -> Result<Vec<Vec<usize>>> {
    if truth.len() != pred.len() {
        return Err(Error::InvalidArgument(format!(
            "plot_confusion_matrix: {} true labels but {} predictions",
            truth.len(),
            pred.len()
        )));
    }
    let mut m = vec![vec![0usize; k]; k];
    for (&t, &p) in truth.iter().zip(pred) {
        if t >= k || p >= k {
            return Err(Error::InvalidArgument(format!(
                "plot_confusion_matrix: class index {} but only {k} class names",
                t.max(p)
            )));
        }
        m[t][p] += 1;
    }
    Ok(m)
}

fn names_or_indices<S: AsRef<str>>(names: &[S], max_index: usize) -> Vec<String> {
    if names.is_empty() {
        (0..=max_index).map(|i| i.to_string()).collect()
    } else {
        names.iter().map(|s| s.as_ref().to_string()).collect()
    }
}

/// The confusion matrix as a picture: rows are true classes, columns predicted ones, each
/// cell coloured (Blues) and labelled with its count.
///
/// `y_true` / `y_pred`: class indices `(N,)` or scores / one-hot `(N, C)` (argmax is taken).
/// `class_names`: one per class, or none (`&[] as &[&str]`) to number them.
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::plot::plot_confusion_matrix;
/// let y_true = Tensor::from_slice(&[0i64, 0, 1, 2, 2, 2]);
/// let y_pred = Tensor::from_slice(&[0i64, 1, 1, 2, 2, 0]);
/// let fig = plot_confusion_matrix(&y_true, &y_pred, &["cat", "dog", "bird"]).unwrap();
/// assert_eq!(fig.axes()[0].get_title(), Some("Confusion matrix"));
/// ```
pub fn plot_confusion_matrix<S: AsRef<str>>(
    y_true: &Tensor,
    y_pred: &Tensor,
    class_names: &[S],
) -> Result<Figure> {
    let truth = class_indices(y_true, "plot_confusion_matrix y_true")?;
    let pred = class_indices(y_pred, "plot_confusion_matrix y_pred")?;
    let max_index = truth.iter().chain(&pred).copied().max().unwrap_or(0);
    let names = names_or_indices(class_names, max_index);
    let k = names.len();
    let m = confusion_counts(&truth, &pred, k)?;
    let max = m.iter().flatten().copied().max().unwrap_or(0).max(1);
    let values: Vec<f32> = m.iter().flatten().map(|&v| v as f32).collect();
    let side = (k as u32 * 60).clamp(300, 900);
    let mut fig = Figure::new(side + 140, side + 110);
    let ax = fig.ax(0);
    ax.imshow_data(PlotImage::gray(k, k, values)?)
        .cmap("Blues")
        .vmin(0.0)
        .vmax(max as f32);
    let pos: Vec<f64> = (0..k).map(|i| i as f64).collect();
    ax.xticks(&pos, &names)
        .yticks(&pos, &names)
        .xlabel("Predicted label")
        .ylabel("True label")
        .title("Confusion matrix");
    if k <= 30 {
        for (r, row) in m.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let color = if v * 2 > max { "white" } else { "black" };
                ax.text(c as f64, r as f64, v.to_string()).color(color);
            }
        }
    }
    Ok(fig)
}

/// 2-D points coloured by class with a legend of class names (e.g. two features of a data
/// set, or an autoencoder's 2-D codes).
///
/// `points`: `(N, 2)`; `labels`: class indices `(N,)` or one-hot `(N, C)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::plot::scatter_by_class;
/// let pts = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 1.0, 2.0, 0.5]).reshape([3, 2]);
/// let labels = Tensor::from_slice(&[0i64, 1, 1]);
/// let fig = scatter_by_class(&pts, &labels, &["setosa", "versicolor"]).unwrap();
/// assert!(fig.to_svg().unwrap().contains("versicolor"));
/// ```
pub fn scatter_by_class<S: AsRef<str>>(
    points: &Tensor,
    labels: &Tensor,
    class_names: &[S],
) -> Result<Figure> {
    let shape = points.size();
    if shape.len() != 2 || shape[1] != 2 {
        return Err(Error::InvalidArgument(format!(
            "scatter_by_class: expected points of shape (N, 2), got {shape:?}"
        )));
    }
    let classes = class_indices(labels, "scatter_by_class labels")?;
    if classes.len() != shape[0] as usize {
        return Err(Error::InvalidArgument(format!(
            "scatter_by_class: {} points but {} labels",
            shape[0],
            classes.len()
        )));
    }
    let max_index = classes.iter().copied().max().unwrap_or(0);
    let names = names_or_indices(class_names, max_index);
    if max_index >= names.len() {
        return Err(Error::InvalidArgument(format!(
            "scatter_by_class: class index {max_index} but only {} class names",
            names.len()
        )));
    }
    let v = tensor_values(points)?;
    let xs: Vec<f64> = v.iter().step_by(2).map(|&x| x as f64).collect();
    let ys: Vec<f64> = v.iter().skip(1).step_by(2).map(|&y| y as f64).collect();
    let mut fig = Figure::new(650, 500);
    let ax = fig.ax(0);
    ax.scatter(xs, ys).classes(&classes).class_names(&names);
    ax.legend();
    Ok(fig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_hand() {
        let m = confusion_counts(&[0, 0, 1, 2, 2, 2], &[0, 1, 1, 2, 2, 0], 3).unwrap();
        assert_eq!(m, vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 2]]);
        assert!(confusion_counts(&[0, 3], &[0, 0], 3).is_err());
        assert!(confusion_counts(&[0], &[0, 0], 3).is_err());
    }
}
