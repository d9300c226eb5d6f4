//! Writing Keras's HDF5 layouts: Keras 3's weights (`model.weights.h5` in a `.keras` archive,
//! `save_weights("x.weights.h5")`) and the legacy layout (`model_weights` of a whole-model
//! `.h5`, or a legacy weights `.h5`). The bytes come from the pure-Rust `hdf5-pure` crate
//! (MIT/Apache-2.0): nothing to install, as with reading (`hdf5_file.rs`). Its builders want
//! each group finished before it is added to its parent, so the file is first gathered in an
//! [`H5Tree`] and then written depth first.

use super::keras_weights_h5::{snake_case, unique_key, vars_group};
use super::model::Model;
use crate::error::{Error, Result};
use crate::layers::{Layer, Weight};
use hdf5_pure::{AttrValue, FileBuilder, GroupBuilder};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// A group being gathered: attributes, sub-groups and datasets.
#[derive(Default)]
pub(crate) struct H5Tree {
    attrs: Vec<(String, AttrValue)>,
    groups: BTreeMap<String, H5Tree>,
    datasets: Vec<(String, Data, Vec<u64>)>,
}

/// A dataset's values: float32 (weights) or int32 (an optimizer's `iteration`, as Keras's
/// torch backend stores it).
enum Data {
    F32(Vec<f32>),
    I32(Vec<i32>),
}

impl H5Tree {
    /// The group at `path` below this one (`a/b/c`), made as needed.
    pub fn group(&mut self, path: &str) -> &mut H5Tree {
        path.split('/')
            .filter(|p| !p.is_empty())
            .fold(self, |g, part| {
                g.groups.entry(part.to_string()).or_default()
            })
    }

    /// A float32 dataset at `path` (groups on the way made as needed).
    pub fn dataset(&mut self, path: &str, t: &Tensor) {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let t = t
            .detach()
            .to_device(Device::Cpu)
            .to_kind(Kind::Float)
            .contiguous();
        let shape: Vec<u64> = t.size().iter().map(|&d| d as u64).collect();
        let mut values = vec![0f32; t.numel()];
        t.copy_data(&mut values, t.numel());
        self.group(dir)
            .datasets
            .push((name.to_string(), Data::F32(values), shape));
    }

    /// An int32 scalar dataset at `path` (groups on the way made as needed).
    pub fn scalar_i32(&mut self, path: &str, value: i32) {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        self.group(dir)
            .datasets
            .push((name.to_string(), Data::I32(vec![value]), Vec::new()));
    }

    /// A variable-length UTF-8 string attribute (how h5py stores a Python `str`).
    pub fn attr_str(&mut self, name: &str, value: &str) {
        self.attrs
            .push((name.into(), AttrValue::VarLenString(value.into())));
    }

    /// A list-of-strings attribute (`layer_names`, `weight_names`). An empty list is an empty
    /// float64 array, as Keras writes it.
    pub fn attr_strings(&mut self, name: &str, values: Vec<String>) {
        let v = if values.is_empty() {
            AttrValue::F64Array(Vec::new())
        } else {
            AttrValue::VarLenStringArray(values)
        };
        self.attrs.push((name.into(), v));
    }

    fn fill(self, g: &mut GroupBuilder) {
        for (name, v) in self.attrs {
            g.set_attr(&name, v);
        }
        for (name, values, shape) in self.datasets {
            let d = g.create_dataset(&name);
            match &values {
                Data::F32(v) => d.with_f32_data(v),
                Data::I32(v) => d.with_i32_data(v),
            }
            .with_shape(&shape);
        }
        for (name, sub) in self.groups {
            let mut b = g.create_group(&name);
            sub.fill(&mut b);
            g.add_group(b.finish());
        }
    }

    /// The file's bytes; `path` is for the error.
    pub fn into_bytes(self, path: &Path) -> Result<Vec<u8>> {
        let mut file = FileBuilder::new();
        for (name, v) in self.attrs {
            file.set_attr(&name, v);
        }
        for (name, values, shape) in self.datasets {
            let d = file.create_dataset(&name);
            match &values {
                Data::F32(v) => d.with_f32_data(v),
                Data::I32(v) => d.with_i32_data(v),
            }
            .with_shape(&shape);
        }
        for (name, sub) in self.groups {
            let mut b = file.create_group(&name);
            sub.fill(&mut b);
            file.add_group(b.finish());
        }
        file.finish().map_err(|e| Error::CorruptFile {
            path: path.to_path_buf(),
            expected: format!("an HDF5 file the writer could make ({e})"),
        })
    }
}

/// Keras 3's weights layout for `model` (what `keras_weights_h5::load` reads): under
/// `layers/`, a group per layer named by class and numbered as Keras numbers them, with the
/// weights as `vars/0`, `vars/1`, …; a nested model's layers under its own `layers/`.
pub(crate) fn keras3_weights(model: &Model) -> H5Tree {
    let mut root = H5Tree::default();
    root.group("vars").attr_str("name", &model.name());
    write_layers(root.group("layers"), &model.layers());
    root
}

fn write_layers(at: &mut H5Tree, layers: &[Layer]) {
    let mut used: HashMap<String, usize> = HashMap::new();
    for layer in layers {
        let key = unique_key(&mut used, &snake_case(layer.class_name()));
        let g = at.group(&key);
        if let Some(inner) = layer.sublayers() {
            write_layers(g.group("layers"), &inner);
        }
        g.group("vars").attr_str("name", &layer.name());
        if layer.sublayers().is_none() {
            let vars = g.group(vars_group(layer.class_name()));
            for (i, w) in layer.named_weights().iter().enumerate() {
                vars.dataset(&i.to_string(), &w.value);
            }
        }
    }
}

/// A layer's weights with the names the legacy layout gives them: `dense/kernel`, and for a
/// nested model `inner/dense/kernel`, trainable ones first (Keras's `model.weights` order).
fn legacy_weights(layer: &Layer) -> Vec<(String, Weight)> {
    fn walk(prefix: &str, layer: &Layer, out: &mut Vec<(String, Weight)>) {
        let here = format!("{prefix}{}", layer.name());
        match layer.sublayers() {
            Some(inner) => inner.iter().for_each(|l| walk(&format!("{here}/"), l, out)),
            None => out.extend(
                layer
                    .named_weights()
                    .into_iter()
                    .map(|w| (format!("{here}/{}", w.name), w)),
            ),
        }
    }
    let mut out = Vec::new();
    walk("", layer, &mut out);
    if layer.sublayers().is_some() {
        out.sort_by_key(|(_, w)| !w.trainable);
    }
    out
}

/// The legacy layout of `model`'s weights into `g` (the root of a weights `.h5`, or a whole
/// model's `model_weights`): `layer_names`, and per layer its `weight_names` and datasets.
pub(crate) fn legacy_layout(g: &mut H5Tree, model: &Model) {
    let layers = model.layers();
    g.attr_strings("layer_names", layers.iter().map(Layer::name).collect());
    g.attr_str("backend", "torch");
    g.attr_str("keras_version", KERAS_VERSION);
    for layer in &layers {
        let weights = legacy_weights(layer);
        let lg = g.group(&layer.name());
        lg.attr_strings(
            "weight_names",
            weights.iter().map(|(n, _)| n.clone()).collect(),
        );
        for (name, w) in weights {
            lg.dataset(&name, &w.value);
        }
    }
}

/// The Keras version whose formats the prelude writes (recorded in the files, as Keras does).
pub(crate) const KERAS_VERSION: &str = "3.15.1";
