//! Saving and loading, by file name as Keras 3 does: `.keras` archives and legacy `.h5`
//! whole-model files (keras_archive.rs), Keras's HDF5 weights (`x.weights.h5`, legacy `x.h5`),
//! and the prelude's own safetensors files (architecture JSON + weights in one file) under
//! any other name. Every file is written atomically (temp file + rename).

use super::deserialize::model_from_architecture;
use super::hdf5_file::{is_hdf5, H5};
use super::keras_config::is_keras_config;
use super::model::{Model, Structure};
use super::{keras_archive, keras_weights_h5, legacy_h5, optimizer_vars};
use crate::error::{Error, Result};
use crate::layers::{KerasTensor, Layer};
use crate::utils::write_atomic;
use safetensors::tensor::{Dtype, TensorView};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use tch::{Device, Kind, Tensor};

const ARCH_KEY: &str = "ferrokeras_architecture";

fn weight_entries(model: &Model) -> Vec<(String, String, Tensor)> {
    let mut out = Vec::new();
    // Input layers hold no weights and are left out of the numbering, so files saved before
    // functional models listed their input layers still load.
    for (i, l) in model.weight_layers().iter().enumerate() {
        // Nested models repeat names (kernel, bias, …): later ones get `_1`, `_2`, …
        let mut seen: HashMap<&'static str, usize> = HashMap::new();
        for w in l.named_weights() {
            let n = seen.entry(w.name).or_insert(0);
            let key = if *n == 0 {
                format!("layers.{i}.{}", w.name)
            } else {
                format!("layers.{i}.{}_{n}", w.name)
            };
            *n += 1;
            out.push((key, l.name(), w.value));
        }
    }
    out
}

fn save_file(model: &Model, path: &Path, meta: Option<HashMap<String, String>>) -> Result<()> {
    model.build()?;
    let entries = weight_entries(model);
    let data: Vec<(String, Vec<u8>, Vec<usize>)> = entries
        .iter()
        .map(|(k, _, t)| {
            let t = t
                .detach()
                .to_device(Device::Cpu)
                .to_kind(Kind::Float)
                .contiguous();
            let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
            let mut bytes = vec![0u8; t.numel() * 4];
            t.copy_data_u8(&mut bytes, t.numel());
            (k.clone(), bytes, shape)
        })
        .collect();
    let views = data
        .iter()
        .map(|(k, b, s)| {
            TensorView::new(Dtype::F32, s.clone(), b)
                .map(|v| (k.clone(), v))
                .map_err(|e| Error::InvalidData(format!("safetensors: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let bytes = safetensors::serialize(views, meta)
        .map_err(|e| Error::InvalidData(format!("safetensors: {e}")))?;
    write_atomic(path, &bytes)
}

impl Model {
    /// Saves the weights, atomically, in the layout the file name says: Keras 3's for
    /// `x.weights.h5` (with a compiled model's optimizer variables, as Keras 3 writes them),
    /// Keras's legacy HDF5 layout for another `x.h5`, else safetensors.
    pub fn save_weights(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if has_extension(path, &["h5", "hdf5"]) {
            return keras_archive::save_weights_h5(self, path);
        }
        if has_extension(path, &["keras"]) {
            // As Keras: a `.keras` file is a whole model, and weights alone under that name
            // would be a file Keras cannot open.
            return Err(Error::InvalidArgument(format!(
                "save_weights({}): a .keras file holds a whole model; use model.save for it, or name the weights file x.weights.h5",
                path.display()
            )));
        }
        save_file(self, path, None)
    }

    /// Keras 3's model config as JSON (`model.to_json()`), which Keras's
    /// `keras.models.model_from_json` and the prelude's [`model_from_json`] read.
    pub fn to_json(&self) -> String {
        keras_archive::to_json(self)
    }

    /// Loads weights: a file of `save_weights` or `save` (safetensors), a Keras HDF5
    /// file — Keras 3's `x.weights.h5` or the legacy `x.h5` layout of Keras 2 and of the
    /// published `keras.applications` files — or the weights of a `.keras` archive, told
    /// apart by their contents. A Keras file
    /// fits when the model's layers come in the same order as the saved model's (legacy
    /// files: the layers that have weights; `.weights.h5`: every layer, numbered by class).
    /// A file of another architecture is an error naming the layer or tensor and both
    /// shapes; nothing is changed then. A compiled model also takes the optimizer's variables
    /// a Keras 3 file holds (as Keras 3 does), so that `fit` continues from them.
    ///
    /// ```no_run
    /// # use ferrokeras::prelude::*;
    /// # fn main() -> ferrokeras::Result<()> {
    /// let inputs = Input::new([4]);
    /// let out = Dense::new(2).name("out").call(&inputs)?;
    /// let model = Model::new(&inputs, &out)?;
    /// model.load_weights("trained_with_keras.weights.h5")?; // or a legacy "x.h5"
    /// # Ok(())
    /// # }
    /// ```
    pub fn load_weights(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        self.build()?;
        if keras_archive::is_zip(path) {
            return keras_archive::load_weights_keras(self, path);
        }
        if is_hdf5(path) {
            let h5 = H5::open(path)?;
            let root = h5.group("/")?;
            if h5.has_group(&root, "layers") {
                keras_weights_h5::load(self, &h5)?.apply();
                // As Keras 3: a compiled model takes the optimizer's variables too.
                return optimizer_vars::restore_keras3(self, &h5);
            }
            legacy_h5::load(self, &h5)?.apply();
            return Ok(());
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| Error::CorruptFile {
            path: path.to_path_buf(),
            expected: format!("a safetensors weights file ({e})"),
        })?;
        let mismatch = |detail: String| Error::WeightsMismatch {
            path: path.to_path_buf(),
            detail,
        };
        let entries = weight_entries(self);
        let mut loaded = Vec::with_capacity(entries.len());
        for (key, layer, t) in &entries {
            let view = st.tensor(key).map_err(|_| {
                mismatch(format!(
                    "tensor '{key}' (layer '{layer}', shape {:?}) is missing from the file",
                    t.size()
                ))
            })?;
            let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
            if shape != t.size() || view.dtype() != Dtype::F32 {
                return Err(mismatch(format!(
                    "tensor '{key}' (layer '{layer}') has shape {shape:?} in the file, the model needs {:?}",
                    t.size()
                )));
            }
            let v = Tensor::from_data_size(view.data(), &shape, Kind::Float);
            loaded.push(v);
        }
        if st.len() != entries.len() {
            let known: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
            let extra: Vec<String> = st
                .names()
                .into_iter()
                .filter(|n| !known.contains(n))
                .map(str::to_string)
                .collect();
            return Err(mismatch(format!(
                "the file has tensors the model lacks: {}",
                extra.join(", ")
            )));
        }
        tch::no_grad(|| {
            for ((_, _, t), v) in entries.iter().zip(&loaded) {
                let mut dst = t.shallow_clone();
                dst.copy_(&v.to_device(dst.device()));
            }
        });
        Ok(())
    }

    /// The architecture as JSON: class, name and each layer's config; for a functional
    /// model also its nodes (which layer is called on which earlier nodes), its inputs and
    /// its outputs, as Keras's `get_config` records the graph.
    pub fn architecture(&self) -> Value {
        let _ = self.build();
        let s = self.0.borrow();
        let layers: Vec<Value>;
        let mut arch = match (&s.structure, &s.graph) {
            (Structure::Sequential { layers: ls, .. }, g) => {
                layers = ls.iter().map(Layer::config).collect();
                json!({
                    "class_name": "Sequential",
                    "input_shape": g.as_ref().map(|g| g.inputs[0].shape()),
                })
            }
            (Structure::Functional, Some(g)) => {
                let unique = g.layers();
                layers = unique.iter().map(Layer::config).collect();
                let nodes = g.nodes();
                let at = |t: &KerasTensor| nodes.iter().position(|n| n.same(t)).expect("in graph");
                let node_list: Vec<Value> = nodes
                    .iter()
                    .map(|n| {
                        let layer = unique.iter().position(|l| l.same(&n.layer())).expect("listed");
                        json!({"layer": layer, "inputs": n.inputs().iter().map(at).collect::<Vec<_>>(), "shape": n.shape()})
                    })
                    .collect();
                json!({
                    "class_name": "Functional",
                    "nodes": node_list,
                    "inputs": g.inputs.iter().map(at).collect::<Vec<_>>(),
                    "outputs": g.outputs.iter().map(at).collect::<Vec<_>>(),
                })
            }
            (Structure::Functional, None) => {
                layers = Vec::new();
                json!({"class_name": "Functional"})
            }
        };
        arch["format"] = json!(2);
        arch["name"] = json!(s.name);
        arch["layers"] = json!(layers);
        arch
    }

    /// Saves the whole model, by file name as Keras 3's `model.save`: `x.keras` is Keras 3's
    /// archive (config, compile settings and weights), `x.h5` Keras's legacy whole-model HDF5
    /// file; both load in Keras. Any other name (`x.safetensors`) is the prelude's own file:
    /// architecture JSON in the metadata of a safetensors weights file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if has_extension(path, &["keras"]) {
            return keras_archive::save_keras(self, path);
        }
        if has_extension(path, &["h5", "hdf5"]) {
            return keras_archive::save_legacy_h5(self, path);
        }
        self.build()?;
        let arch = self.architecture();
        let mut meta = HashMap::new();
        meta.insert(ARCH_KEY.to_string(), arch.to_string());
        save_file(self, path, Some(meta))
    }
}

fn has_extension(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Rebuilds a model (fresh weights) from `model.to_json()`'s text: Keras 3's model config, a
/// legacy Keras 2 one, or the prelude's own architecture JSON.
pub fn model_from_json(json: &str) -> Result<Model> {
    let here = Path::new("<model_from_json>");
    let v: Value = serde_json::from_str(json).map_err(|e| Error::CorruptFile {
        path: here.to_path_buf(),
        expected: format!("model JSON ({e})"),
    })?;
    if is_keras_config(&v) {
        return keras_archive::model_from_keras_config(here, &v);
    }
    model_from_architecture(&v)
}

/// Loads a whole model, told apart by its contents: a Keras 3 `.keras` archive, a legacy
/// whole-model `.h5` (Keras 2, tf.keras, Keras 3), or the prelude's own safetensors file.
/// Keras's files come back compiled as they were saved when the prelude has their optimizer,
/// loss and metrics, with the optimizer's variables (step count, momentums, …) as saved, so
/// that `fit` continues where it stopped; the prelude's own files must be compiled again
/// before training. A file that is cut short or damaged is
/// [`Error::CorruptFile`]; one with a layer or option the prelude lacks is
/// [`Error::UnsupportedModel`]; both name the file and what is wrong.
pub fn load_model(path: impl AsRef<Path>) -> Result<Model> {
    let path = path.as_ref();
    if !path.is_file() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such model file"),
        ));
    }
    if keras_archive::is_zip(path) {
        return keras_archive::load_keras(path);
    }
    if is_hdf5(path) {
        return keras_archive::load_legacy_h5(path);
    }
    if path.extension().is_some_and(|e| e == "keras") {
        // Told apart by contents, a damaged `.keras` would be reported as a bad safetensors
        // file; its name says what it should have been.
        return Err(Error::CorruptFile {
            path: path.to_path_buf(),
            expected: "a .keras archive (a zip file), but it does not start as a zip file does"
                .into(),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (_, meta) =
        safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| Error::CorruptFile {
            path: path.to_path_buf(),
            expected: format!("a safetensors model file ({e})"),
        })?;
    let arch = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(ARCH_KEY))
        .ok_or_else(|| Error::CorruptFile {
            path: path.to_path_buf(),
            expected: "a whole-model file (this one holds weights only; build the model and use load_weights)".into(),
        })?;
    let arch: serde_json::Value = serde_json::from_str(arch).map_err(|e| Error::CorruptFile {
        path: path.to_path_buf(),
        expected: format!("valid architecture JSON ({e})"),
    })?;
    let model = model_from_architecture(&arch).map_err(|e| Error::CorruptFile {
        path: path.to_path_buf(),
        expected: format!("a loadable architecture ({e})"),
    })?;
    model.build()?;
    model.load_weights(path)?;
    Ok(model)
}
