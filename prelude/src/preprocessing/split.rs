//! scikit-learn's `train_test_split`.

use crate::error::{Error, Result};
use rand::{seq::SliceRandom, SeedableRng};
use tch::Tensor;

/// Splits `x` and `y` into random train and test parts:
/// `(x_train, x_test, y_train, y_test)`, as scikit-learn returns them.
///
/// `test_size` is a fraction in (0, 1); the test part has `ceil(n * test_size)` rows, as in
/// scikit-learn. `random_state` seeds the shuffle, so the same seed gives the same split
/// (the permutation is this library's own, not NumPy's).
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::arange(20, (Kind::Float, Device::Cpu)).reshape([10, 2]);
/// let y = Tensor::arange(10, (Kind::Int64, Device::Cpu));
/// let (x_train, x_test, y_train, y_test) = train_test_split(&x, &y, 0.2, 42)?;
/// assert_eq!(x_train.size(), vec![8, 2]);
/// assert_eq!(y_test.size(), vec![2]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn train_test_split(
    x: &Tensor,
    y: &Tensor,
    test_size: f64,
    random_state: u64,
) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
    split(x, y, test_size, false, random_state)
}

/// [`train_test_split`] given the *training* fraction (scikit-learn's `train_size=`): the
/// training part has `floor(n * train_size)` rows, the test part the rest.
pub fn train_test_split_train_size(
    x: &Tensor,
    y: &Tensor,
    train_size: f64,
    random_state: u64,
) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
    split(x, y, train_size, true, random_state)
}

fn split(
    x: &Tensor,
    y: &Tensor,
    size: f64,
    is_train: bool,
    random_state: u64,
) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
    let n = x.size().first().copied().unwrap_or(0);
    let m = y.size().first().copied().unwrap_or(0);
    if n != m {
        return Err(Error::InvalidArgument(format!(
            "train_test_split: x has {n} rows but y has {m}"
        )));
    }
    let what = if is_train { "train_size" } else { "test_size" };
    if !(size > 0.0 && size < 1.0) {
        return Err(Error::InvalidArgument(format!(
            "train_test_split: {what} must be in (0, 1), got {size}"
        )));
    }
    let n_test = if is_train {
        n - ((n as f64) * size).floor() as i64
    } else {
        ((n as f64) * size).ceil() as i64
    };
    let n_train = n - n_test;
    if n_test <= 0 || n_train <= 0 {
        return Err(Error::InvalidArgument(format!(
            "train_test_split: {what} {size} of {n} rows leaves an empty split"
        )));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(random_state);
    let mut idx: Vec<i64> = (0..n).collect();
    idx.shuffle(&mut rng);
    let test_idx = Tensor::from_slice(&idx[..n_test as usize]);
    let train_idx = Tensor::from_slice(&idx[n_test as usize..]);
    let pick = |t: &Tensor, i: &Tensor| t.index_select(0, &i.to_device(t.device()));
    Ok((
        pick(x, &train_idx),
        pick(x, &test_idx),
        pick(y, &train_idx),
        pick(y, &test_idx),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn reproducible_partition() {
        let x = Tensor::arange(50, (Kind::Int64, Device::Cpu));
        let (a_tr, a_te, ya_tr, _) = train_test_split(&x, &x, 0.2, 7).unwrap();
        let (b_tr, b_te, _, _) = train_test_split(&x, &x, 0.2, 7).unwrap();
        assert!(a_tr.equal(&b_tr) && a_te.equal(&b_te));
        assert!(a_tr.equal(&ya_tr));
        assert_eq!(a_te.size(), vec![10]);
        let mut all: Vec<i64> = Vec::try_from(&Tensor::cat(&[a_tr, a_te], 0)).unwrap();
        all.sort();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        let (c_tr, _, _, _) = train_test_split(&x, &x, 0.2, 8).unwrap();
        assert!(!c_tr.equal(&b_tr));
        let (t, v, _, _) = train_test_split_train_size(&x, &x, 0.33, 1).unwrap();
        assert_eq!((t.size()[0], v.size()[0]), (16, 34));
        let err = train_test_split(&x, &x, 1.5, 0).unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid argument: train_test_split: test_size must be in (0, 1), got 1.5"
        );
    }
}
