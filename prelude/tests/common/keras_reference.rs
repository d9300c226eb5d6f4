//! Running the Keras reference scripts (`tests/keras_reference/*.py`) from a test: Keras 3 on
//! the torch backend, from `$FERROKERAS_KERAS_PYTHON`, else the project venv's Python (Keras
//! and h5py come from kernel/scripts/requirements-test.txt).

use std::path::{Path, PathBuf};
use tch::Tensor;

/// The Python that has Keras.
pub fn python() -> PathBuf {
    std::env::var_os("FERROKERAS_KERAS_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("FERROKERAS_VENV").map(|v| PathBuf::from(v).join("bin/python"))
        })
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// Runs `script mode dir`; a failure names the script and what it needs.
pub fn run_script(script: &str, mode: &str, dir: &Path) {
    let status = std::process::Command::new(python())
        .arg(script)
        .arg(mode)
        .arg(dir)
        .env("KERAS_BACKEND", "torch")
        .status()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", python().display()));
    assert!(
        status.success(),
        "{script} {mode} failed (it needs keras and h5py: pip install -r kernel/scripts/requirements-test.txt)"
    );
}

/// The files `script make DIR` writes into `folder` of the target's temporary folder, made
/// again when `marker` (a file it always writes) is missing or the script changed since (it
/// leaves a copy of itself there).
pub fn files_made_by(script: &str, folder: &str, marker: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(folder);
    let source = std::fs::read(script).unwrap();
    let copy = dir.join(Path::new(script).file_name().unwrap());
    if !dir.join(marker).is_file() || std::fs::read(&copy).ok().as_ref() != Some(&source) {
        run_script(script, "make", &dir);
        std::fs::write(copy, source).unwrap();
    }
    dir
}

/// The arrays named `{prefix}0`, `{prefix}1`, … of an npz the scripts write, in order.
pub fn arrays(all: &[(String, Tensor)], prefix: &str) -> Vec<Tensor> {
    (0..)
        .map_while(|i| {
            let key = format!("{prefix}{i}");
            all.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, t)| t.shallow_clone())
        })
        .collect()
}
