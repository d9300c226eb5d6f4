//! Keras's `keras.datasets` (and the scikit-learn / TFDS datasets the course loads), plus
//! [`Dataset`], the streaming input pipeline (`tf.data`).
//!
//! Every loader looks for its files in `$FERROKERAS_DATA_DIR/<dataset>/` (default: the
//! user's cache directory, see [`crate::utils::data_dir`]) or in a directory passed to its
//! `_from` variant, downloads them once when missing (not with `FERROKERAS_OFFLINE=1`), and
//! fails with [`crate::Error::MissingFile`] naming the file, the place searched and the URL.
//! `FERROKERAS_SAMPLE=n` makes every loader return at most `n` examples per split.

pub mod cifar10;
mod dataset;
mod dataset_ops;
pub mod fashion_mnist;
pub(crate) mod idx;
pub mod mnist;
mod parallel;
mod shakespeare;
mod sign_language;
mod tabular;
mod tfds;
mod tfds_sources;
#[cfg(test)]
mod tfds_tests;

pub(crate) use dataset::SharedTensor;
pub use dataset::{Dataset, DatasetIter, ElementIter};
pub(crate) use parallel::parallel_ordered;
pub use shakespeare::{load_shakespeare, load_shakespeare_from};
pub use sign_language::{load_sign_language_mnist, SIGN_LANGUAGE_LETTERS};
pub use tabular::{
    fetch_california_housing, fetch_california_housing_from, load_california_housing,
    load_california_housing_raw, load_california_housing_raw_from, load_car_evaluation,
    load_car_evaluation_from, load_iris, load_iris_from, Bunch, CAL_HOUSING_COLUMNS, CAR_COLUMNS,
};
pub use tfds::{
    tfds_class_names, tfds_load, tfds_load_from, tfds_load_with, TfdsMirror, TfdsOptions,
};

use tch::Tensor;

/// `((x_train, y_train), (x_test, y_test))`, as Keras's `load_data()` returns.
pub type TrainTest = ((Tensor, Tensor), (Tensor, Tensor));

/// A dataset split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training split.
    Train,
    /// The validation split (where a dataset has one, e.g. beans).
    Validation,
    /// The test split.
    Test,
}
