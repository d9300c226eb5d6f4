//! Helpers the integration tests share (`mod common;`); each test file uses some of them.
#![allow(dead_code)]

pub mod keras_reference;

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

/// Runs a script of tests/keras_reference/ with Keras 3 (torch backend) and returns what it
/// printed: `$FERROKERAS_KERAS_PYTHON`, else the project venv's Python (`$FERROKERAS_VENV`),
/// else `python3`. No network: the scripts make their data or read ../shared/datasets.
pub fn run_keras(script: &str, args: &[&str]) -> String {
    let python = keras_reference::python();
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/keras_reference"
    ))
    .join(script);
    let out = std::process::Command::new(&python)
        .arg(&path)
        .args(args)
        .env("KERAS_BACKEND", "torch")
        .env("PYTHONHASHSEED", "0")
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "{} failed under {}:\n{}",
        path.display(),
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the script prints UTF-8")
}

/// What a tests/keras_reference/ script that takes an output folder gave: the JSON it
/// printed, and the arrays of the `.npz` file it wrote there.
pub struct KerasOutput {
    /// The printed JSON.
    pub printed: serde_json::Value,
    arrays: Vec<(String, Tensor)>,
}

impl KerasOutput {
    /// Runs `script DIR` (see [`run_keras`]) and reads `DIR/npz`.
    pub fn of(script: &str, npz: &str) -> KerasOutput {
        let dir = tempfile::tempdir().unwrap();
        let out = run_keras(script, &[dir.path().to_str().unwrap()]);
        KerasOutput {
            printed: serde_json::from_str(&out).unwrap(),
            arrays: load_npz(dir.path().join(npz)).unwrap(),
        }
    }

    /// The array `name`.
    pub fn get(&self, name: &str) -> Tensor {
        let found = self.arrays.iter().find(|(n, _)| n == name);
        found
            .unwrap_or_else(|| panic!("{name} not in Keras's file"))
            .1
            .shallow_clone()
    }

    /// The arrays `{prefix}0` … `{prefix}{n-1}` (a model's weights, in Keras's order).
    pub fn numbered(&self, prefix: &str, n: usize) -> Vec<Tensor> {
        (0..n).map(|i| self.get(&format!("{prefix}{i}"))).collect()
    }
}
