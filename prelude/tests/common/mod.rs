//! Helpers the integration tests share (`mod common;`); each test file uses some of them.
#![allow(dead_code)]

use ferrokeras::prelude::*;
use std::path::PathBuf;

/// `fit` options for `epochs` epochs without output, Keras's defaults otherwise; more fields
/// with `Fit { batch_size: 16, ..quiet(2) }`.
pub fn quiet<'a>(epochs: usize) -> Fit<'a> {
    Fit {
        epochs,
        verbose: 0,
        ..Default::default()
    }
}

/// Trains `model` on `(x, y)` for `epochs` epochs without output.
pub fn fit_quietly(model: &Model, x: &Tensor, y: &Tensor, epochs: usize) -> History {
    model.fit(x, y, quiet(epochs)).unwrap()
}

/// Whether two lists of weights are equal, tensor by tensor.
pub fn same(a: &[Tensor], b: &[Tensor]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equal(y))
}

/// The course data sets: `$FERROKERAS_SHARED_DATASETS`, else `shared/datasets` beside the
/// workspace.
pub fn datasets_dir() -> PathBuf {
    std::env::var_os("FERROKERAS_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))
        })
}

/// A made-up training history of `epochs` epochs with falling losses and rising accuracies
/// (train and validation), for drawing and timing plots.
pub fn history(epochs: usize) -> History {
    let mut h = History::default();
    for e in 0..epochs {
        let t = e as f64;
        h.push_epoch(&[
            ("loss", 1.0 / (1.0 + 0.3 * t)),
            ("accuracy", 1.0 - 0.5 / (1.0 + 0.3 * t)),
            ("val_loss", 1.1 / (1.0 + 0.2 * t) + 0.05),
            ("val_accuracy", 0.95 - 0.5 / (1.0 + 0.2 * t)),
        ]);
    }
    h
}
