//! Keras's `keras.utils.to_categorical`.

use crate::error::{Error, Result};
use tch::{Kind, Tensor};

/// One-hot encodes integer class labels (Keras's `to_categorical(y, num_classes)`).
///
/// * `y`: integer labels of any shape, e.g. `(N,)` or `(N, 1)` (a trailing axis of size 1
///   is dropped, as in Keras).
/// * `num_classes`: the number of classes; `None` takes `max(y) + 1`.
///
/// Output: `y`'s shape plus a last axis of `num_classes`, `Kind::Float` (float32).
///
/// ```
/// use ferrokeras::prelude::*;
/// let y = Tensor::from_slice(&[0i64, 2, 1]);
/// let one_hot = to_categorical(&y, Some(3))?;
/// assert_eq!(one_hot.size(), vec![3, 3]);
/// assert_eq!(Vec::<f32>::try_from(one_hot.reshape([-1])).unwrap(),
///            vec![1., 0., 0., 0., 0., 1., 0., 1., 0.]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn to_categorical(y: &Tensor, num_classes: Option<i64>) -> Result<Tensor> {
    if y.is_floating_point() {
        let rounded = y.round();
        if !rounded.equal(y) {
            return Err(Error::InvalidArgument(
                "to_categorical: labels must be whole numbers (class indices)".into(),
            ));
        }
    }
    let mut y = y.to_kind(Kind::Int64);
    let shape = y.size();
    if shape.len() > 1 && shape[shape.len() - 1] == 1 {
        y = y.squeeze_dim(-1);
    }
    if y.numel() == 0 {
        let n = num_classes.unwrap_or(0);
        let mut s = y.size();
        s.push(n);
        return Ok(Tensor::zeros(s, (Kind::Float, y.device())));
    }
    let min = y.min().int64_value(&[]);
    let max = y.max().int64_value(&[]);
    let n = num_classes.unwrap_or(max + 1);
    if min < 0 || max >= n {
        return Err(Error::InvalidArgument(format!(
            "to_categorical: labels must be in [0, {n}) for num_classes={n}, found values from {min} to {max}"
        )));
    }
    Ok(y.one_hot(n).to_kind(Kind::Float))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_labels_and_range_errors() {
        let y = Tensor::from_slice(&[1i64, 0]).reshape([2, 1]);
        let t = to_categorical(&y, None).unwrap();
        assert_eq!(t.size(), vec![2, 2]);
        assert_eq!(t.double_value(&[0, 1]), 1.0);
        let err = to_categorical(&Tensor::from_slice(&[4i64]), Some(4))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid argument: to_categorical: labels must be in [0, 4) for num_classes=4, found values from 4 to 4"
        );
        let f = to_categorical(&Tensor::from_slice(&[2.0f32, 0.0]), Some(3)).unwrap();
        assert_eq!(f.double_value(&[0, 2]), 1.0);
    }
}
