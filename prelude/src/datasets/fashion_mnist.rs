//! Keras's `keras.datasets.fashion_mnist`: 70,000 Zalando clothing images, 28×28 grey.
//!
//! Same IDX gzip files and shapes as [`mnist`](super::mnist), in
//! `$FERROKERAS_DATA_DIR/fashion_mnist/`. Labels `(N,)` `Kind::Int64`, 0–9 in the order of
//! [`CLASS_NAMES`].

use super::idx::IdxSpec;
use super::{Split, TrainTest};
use crate::error::Result;
use std::path::Path;
use tch::Tensor;

/// The ten classes, by label.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

pub(crate) const SPEC: IdxSpec = IdxSpec {
    name: "Fashion-MNIST",
    subdir: "fashion_mnist",
    base_url: "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    files: [
        (
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            None,
            Some("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
            None,
            Some("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        ),
    ],
    npz: None,
};

/// `((x_train, y_train), (x_test, y_test))`: images `(N, 28, 28)` `Uint8`, labels `(N,)` `Int64`.
pub fn load_data() -> Result<TrainTest> {
    SPEC.load_data(None)
}

/// [`load_data`] from the IDX files in `dir`.
pub fn load_data_from(dir: impl AsRef<Path>) -> Result<TrainTest> {
    SPEC.load_data(Some(dir.as_ref()))
}

/// One split only: `(images, labels)`.
pub fn load_split(split: Split) -> Result<(Tensor, Tensor)> {
    SPEC.load_split(None, split)
}

/// [`load_split`] from the IDX files in `dir`.
pub fn load_split_from(dir: impl AsRef<Path>, split: Split) -> Result<(Tensor, Tensor)> {
    SPEC.load_split(Some(dir.as_ref()), split)
}
