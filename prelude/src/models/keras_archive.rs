//! Keras's whole-model files: the Keras 3 `.keras` archive (a zip of `config.json`,
//! `metadata.json` and `model.weights.h5`) and the legacy whole-model `.h5` (Keras 2 and
//! tf.keras; Keras 3 still writes it): a `model_config` JSON attribute, a `training_config`
//! and the weights under `model_weights`. Both directions: what Keras writes loads here, and
//! what is written here Keras's `keras.saving.load_model` loads.

use super::deserialize::model_from_architecture;
use super::h5_writer::{keras3_weights, legacy_layout, H5Tree, KERAS_VERSION};
use super::hdf5_file::H5;
use super::keras_compile::{compile_config, compiled_from_keras, training_config};
use super::keras_config::architecture_from_keras;
use super::keras_config_write::keras_from_architecture;
use super::model::Model;
use super::{keras_weights_h5, legacy_h5, optimizer_vars};
use crate::error::{Error, Result};
use crate::utils::write_atomic;
use serde_json::{json, Value};
use std::io::{Cursor, Read, Write};
use std::path::Path;

/// Whether `path` starts as a zip file does (a `.keras` archive).
pub(crate) fn is_zip(path: &Path) -> bool {
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| &head == b"PK\x03\x04")
}

fn corrupt(path: &Path, expected: impl Into<String>) -> Error {
    Error::CorruptFile {
        path: path.to_path_buf(),
        expected: expected.into(),
    }
}

/// Rebuilds a model (fresh weights) from a Keras model config.
pub(crate) fn model_from_keras_config(path: &Path, config: &Value) -> Result<Model> {
    let unsupported = |detail: String| Error::UnsupportedModel {
        path: path.to_path_buf(),
        detail,
    };
    let arch = architecture_from_keras(config).map_err(unsupported)?;
    let model = model_from_architecture(&arch).map_err(|e| unsupported(e.to_string()))?;
    model.build()?;
    Ok(model)
}

/// Restores the compile settings Keras stored, when the prelude has them all; otherwise the
/// model loads uncompiled and says why (as Keras warns when it cannot compile a loaded model).
fn restore_compile(model: &Model, path: &Path, config: &Value) {
    if config.is_null() || config.as_object().is_some_and(|o| o.is_empty()) {
        return;
    }
    let outputs: Vec<String> = model
        .outputs()
        .map(|o| o.iter().map(|t| t.layer().name()).collect())
        .unwrap_or_default();
    match compiled_from_keras(config, &outputs) {
        Ok(Some(c)) => model.0.borrow_mut().compiled = Some(c),
        Ok(None) => {}
        Err(e) => eprintln!(
            "{}: the model loads uncompiled: its compile settings use {e}, which the prelude lacks; call compile before fit",
            path.display()
        ),
    }
}

/// The members of a `.keras` archive that the prelude reads.
struct Archive {
    config: Value,
    weights: H5,
}

fn open_archive(path: &Path) -> Result<Archive> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| corrupt(path, format!("a .keras archive (a zip file): {e}")))?;
    let mut member = |name: &str| -> Result<Vec<u8>> {
        let mut f = zip
            .by_name(name)
            .map_err(|e| corrupt(path, format!("a .keras archive with '{name}' ({e})")))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .map_err(|e| corrupt(path, format!("a readable '{name}' in the archive ({e})")))?;
        Ok(bytes)
    };
    let config: Value = serde_json::from_slice(&member("config.json")?)
        .map_err(|e| corrupt(path, format!("'config.json' to be JSON ({e})")))?;
    let weights = H5::from_bytes(member("model.weights.h5")?, path.join("model.weights.h5"))?;
    Ok(Archive { config, weights })
}

/// Loads a `.keras` archive.
pub(crate) fn load_keras(path: &Path) -> Result<Model> {
    let archive = open_archive(path)?;
    let model = model_from_keras_config(path, &archive.config)?;
    keras_weights_h5::load(&model, &archive.weights)?.apply();
    restore_compile(&model, path, &archive.config["compile_config"]);
    optimizer_vars::restore_keras3(&model, &archive.weights)?;
    Ok(model)
}

/// Loads only the weights of a `.keras` archive into `model` (Keras's
/// `model.load_weights("x.keras")`), and the optimizer's variables into a compiled model.
pub(crate) fn load_weights_keras(model: &Model, path: &Path) -> Result<()> {
    let weights = open_archive(path)?.weights;
    keras_weights_h5::load(model, &weights)?.apply();
    optimizer_vars::restore_keras3(model, &weights)
}

/// Keras 3's config of `model`, with its compile settings when it is compiled.
fn full_config(model: &Model) -> Value {
    let mut config = keras_from_architecture(&model.architecture());
    if let Some(c) = &model.0.borrow().compiled {
        config["compile_config"] = compile_config(c);
    }
    config
}

/// Saves `model` as a `.keras` archive, atomically.
pub(crate) fn save_keras(model: &Model, path: &Path) -> Result<()> {
    model.build()?;
    let config = full_config(model);
    let metadata = json!({"keras_version": KERAS_VERSION, "date_saved": date_saved(),
                          "saved_by": format!("ferrokeras {}", env!("CARGO_PKG_VERSION"))});
    let mut tree = keras3_weights(model);
    optimizer_vars::write_keras3(&mut tree, model)?;
    let weights = tree.into_bytes(path)?;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let fail = |e: String| {
        corrupt(
            path,
            format!("a .keras archive the writer could make ({e})"),
        )
    };
    for (name, bytes) in [
        ("metadata.json", metadata.to_string().into_bytes()),
        ("config.json", config.to_string().into_bytes()),
        ("model.weights.h5", weights),
    ] {
        zip.start_file(name, opts)
            .map_err(|e| fail(e.to_string()))?;
        zip.write_all(&bytes).map_err(|e| fail(e.to_string()))?;
    }
    let bytes = zip.finish().map_err(|e| fail(e.to_string()))?.into_inner();
    write_atomic(path, &bytes)
}

/// Keras's `date_saved` spelling (`2024-05-01@12:00:00`), in UTC.
fn date_saved() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}@{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Loads a legacy whole-model `.h5` (`model_config` attribute + `model_weights`).
pub(crate) fn load_legacy_h5(path: &Path) -> Result<Model> {
    let h5 = H5::open(path)?;
    let root = h5.group("/")?;
    let text = h5
        .string_attr(&root, "model_config")?
        .ok_or_else(|| corrupt(path, "a whole-model .h5 (this file has no 'model_config' attribute: it holds weights only; build the model and use load_weights)"))?;
    let config: Value = serde_json::from_str(&text)
        .map_err(|e| corrupt(path, format!("'model_config' to be JSON ({e})")))?;
    let model = model_from_keras_config(path, &config)?;
    legacy_h5::load(&model, &h5)?.apply();
    if let Some(t) = h5.string_attr(&root, "training_config")? {
        let training: Value = serde_json::from_str(&t)
            .map_err(|e| corrupt(path, format!("'training_config' to be JSON ({e})")))?;
        restore_compile(&model, path, &training);
        optimizer_vars::restore_legacy(&model, &h5)?;
    }
    Ok(model)
}

/// Saves `model` as a legacy whole-model `.h5`, atomically.
pub(crate) fn save_legacy_h5(model: &Model, path: &Path) -> Result<()> {
    model.build()?;
    let mut root = H5Tree::default();
    let config = keras_from_architecture(&model.architecture());
    root.attr_str("model_config", &config.to_string());
    root.attr_str("backend", "torch");
    root.attr_str("keras_version", KERAS_VERSION);
    if let Some(c) = &model.0.borrow().compiled {
        root.attr_str("training_config", &training_config(c).to_string());
    }
    legacy_layout(root.group("model_weights"), model);
    optimizer_vars::write_legacy(&mut root, model)?;
    write_atomic(path, &root.into_bytes(path)?)
}

/// Saves only the weights in Keras's HDF5 layouts: Keras 3's for `x.weights.h5`, the legacy
/// one for any other `.h5`.
pub(crate) fn save_weights_h5(model: &Model, path: &Path) -> Result<()> {
    model.build()?;
    let tree = if is_keras3_weights_name(path) {
        // As Keras 3: with the compiled optimizer's variables.
        let mut tree = keras3_weights(model);
        optimizer_vars::write_keras3(&mut tree, model)?;
        tree
    } else {
        let mut root = H5Tree::default();
        legacy_layout(&mut root, model);
        root
    };
    write_atomic(path, &tree.into_bytes(path)?)
}

fn is_keras3_weights_name(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".weights.h5")
}

/// Keras 3's model config as JSON text (`model.to_json()`).
pub(crate) fn to_json(model: &Model) -> String {
    keras_from_architecture(&model.architecture()).to_string()
}
