//! scikit-learn's `train_test_split`.

use crate::error::{Error, Result};
use rand::{seq::SliceRandom, SeedableRng};
use tch::Tensor;

/// `train_test_split`'s options, scikit-learn's keyword arguments with its defaults:
/// `TrainTestSplit { test_size: Some(0.2), random_state: Some(42), ..Default::default() }`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrainTestSplit {
    /// The test part's fraction in (0, 1): `ceil(n * test_size)` rows (default `None`: what
    /// `train_size` leaves, else 0.25).
    pub test_size: Option<f64>,
    /// The training part's fraction in (0, 1): `floor(n * train_size)` rows (default `None`:
    /// what `test_size` leaves).
    pub train_size: Option<f64>,
    /// Seeds the shuffle: the same seed, the same split (default `None`: the next seed of
    /// `set_random_seed`'s sequence, where scikit-learn draws one at random).
    pub random_state: Option<u64>,
}

/// Splits `x` and `y` into random train and test parts:
/// `(x_train, x_test, y_train, y_test)`, as scikit-learn returns them. The sizes are
/// scikit-learn's; the permutation is this library's own, not NumPy's.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::arange(20, (Kind::Float, Device::Cpu)).reshape([10, 2]);
/// let y = Tensor::arange(10, (Kind::Int64, Device::Cpu));
/// let split = TrainTestSplit { test_size: Some(0.2), random_state: Some(42), ..Default::default() };
/// let (x_train, x_test, y_train, y_test) = train_test_split(&x, &y, split)?;
/// assert_eq!(x_train.size(), vec![8, 2]);
/// assert_eq!(y_test.size(), vec![2]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn train_test_split(
    x: &Tensor,
    y: &Tensor,
    options: TrainTestSplit,
) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
    let n = x.size().first().copied().unwrap_or(0);
    let m = y.size().first().copied().unwrap_or(0);
    if n != m {
        return Err(Error::InvalidArgument(format!(
            "train_test_split: x has {n} rows but y has {m}"
        )));
    }
    for (what, size) in [
        ("test_size", options.test_size),
        ("train_size", options.train_size),
    ] {
        if let Some(size) = size.filter(|s| !(*s > 0.0 && *s < 1.0)) {
            return Err(Error::InvalidArgument(format!(
                "train_test_split: {what} must be in (0, 1), got {size}"
            )));
        }
    }
    let test_rows = |f: f64| ((n as f64) * f).ceil() as i64;
    let train_rows = |f: f64| ((n as f64) * f).floor() as i64;
    let (n_test, n_train) = match (options.test_size, options.train_size) {
        (Some(t), Some(r)) => (test_rows(t), train_rows(r)),
        (Some(t), None) => (test_rows(t), n - test_rows(t)),
        (None, Some(r)) => (n - train_rows(r), train_rows(r)),
        (None, None) => (test_rows(0.25), n - test_rows(0.25)),
    };
    if n_test <= 0 || n_train <= 0 || n_test + n_train > n {
        return Err(Error::InvalidArgument(format!(
            "train_test_split: {n_train} training and {n_test} test rows do not split {n} rows"
        )));
    }
    let seed = options
        .random_state
        .unwrap_or_else(crate::backend::next_seed);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut idx: Vec<i64> = (0..n).collect();
    idx.shuffle(&mut rng);
    let test_idx = Tensor::from_slice(&idx[..n_test as usize]);
    let train_idx = Tensor::from_slice(&idx[n_test as usize..(n_test + n_train) as usize]);
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

    fn split(test: Option<f64>, train: Option<f64>, seed: u64) -> TrainTestSplit {
        TrainTestSplit {
            test_size: test,
            train_size: train,
            random_state: Some(seed),
        }
    }

    #[test]
    fn reproducible_partition() {
        let x = Tensor::arange(50, (Kind::Int64, Device::Cpu));
        let (a_tr, a_te, ya_tr, _) = train_test_split(&x, &x, split(Some(0.2), None, 7)).unwrap();
        let (b_tr, b_te, _, _) = train_test_split(&x, &x, split(Some(0.2), None, 7)).unwrap();
        assert!(a_tr.equal(&b_tr) && a_te.equal(&b_te));
        assert!(a_tr.equal(&ya_tr));
        assert_eq!(a_te.size(), vec![10]);
        let mut all: Vec<i64> = Vec::try_from(&Tensor::cat(&[a_tr, a_te], 0)).unwrap();
        all.sort();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        let (c_tr, _, _, _) = train_test_split(&x, &x, split(Some(0.2), None, 8)).unwrap();
        assert!(!c_tr.equal(&b_tr));
        let err = train_test_split(&x, &x, split(Some(1.5), None, 0))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid argument: train_test_split: test_size must be in (0, 1), got 1.5"
        );
    }

    #[test]
    fn sizes_as_scikit_learn_counts_them() {
        let x = Tensor::arange(50, (Kind::Int64, Device::Cpu));
        let rows = |o: TrainTestSplit| {
            let (t, v, _, _) = train_test_split(&x, &x, o).unwrap();
            (t.size()[0], v.size()[0])
        };
        // train_size alone: floor(50 * 0.33) = 16 train rows, the test part the rest.
        assert_eq!(rows(split(None, Some(0.33), 1)), (16, 34));
        // Neither: a test part of 0.25, ceil(12.5) = 13 rows.
        assert_eq!(rows(split(None, None, 1)), (37, 13));
        // Both: each its own size, the remaining rows in neither.
        assert_eq!(rows(split(Some(0.1), Some(0.5), 1)), (25, 5));
        let err = train_test_split(&x, &x, split(Some(0.6), Some(0.6), 1)).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
}
