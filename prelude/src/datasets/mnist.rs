//! Keras's `keras.datasets.mnist`: 70,000 handwritten digits, 28×28 grey levels.
//!
//! Read from the four IDX gzip files (`train-images-idx3-ubyte.gz`,
//! `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`)
//! in `$FERROKERAS_DATA_DIR/mnist/` (or a directory you pass), or else from Keras's
//! `mnist.npz` (there, or in Keras's own cache `~/.keras/datasets/`), which is what gets
//! downloaded (once) when neither is present, as Keras does.
//!
//! Shapes and dtypes: images `(N, 28, 28)` `Kind::Uint8` (0–255) as in Keras; labels `(N,)`
//! `Kind::Int64` (Keras gives `uint8`; `Int64` is what losses and indexing take).

use super::idx::IdxSpec;
use super::{Split, TrainTest};
use crate::error::Result;
use std::path::Path;
use tch::Tensor;

pub(crate) const SPEC: IdxSpec = IdxSpec {
    name: "MNIST",
    subdir: "mnist",
    base_url: "https://storage.googleapis.com/cvdf-datasets/mnist/",
    files: [
        (
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            None,
            Some("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
            Some("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            Some("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        ),
    ],
    npz: Some((
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    )),
};

/// `((x_train, y_train), (x_test, y_test))`: 60,000 training and 10,000 test digits.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let ((x_train, y_train), (x_test, y_test)) = mnist::load_data()?;
/// assert_eq!(x_train.size(), vec![60000, 28, 28]);
/// assert_eq!(x_train.kind(), Kind::Uint8);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn load_data() -> Result<TrainTest> {
    SPEC.load_data(None)
}

/// [`load_data`] from the IDX files in `dir`.
pub fn load_data_from(dir: impl AsRef<Path>) -> Result<TrainTest> {
    SPEC.load_data(Some(dir.as_ref()))
}

/// One split only: `(images, labels)`; `Split::Test` needs just the two `t10k` files.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let (x, y) = mnist::load_split(Split::Test)?;
/// assert_eq!(x.size(), vec![10000, 28, 28]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn load_split(split: Split) -> Result<(Tensor, Tensor)> {
    SPEC.load_split(None, split)
}

/// [`load_split`] from the IDX files in `dir`.
pub fn load_split_from(dir: impl AsRef<Path>, split: Split) -> Result<(Tensor, Tensor)> {
    SPEC.load_split(Some(dir.as_ref()), split)
}
