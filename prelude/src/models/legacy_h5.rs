//! Keras's legacy HDF5 weights layout (`model.save_weights("x.h5")` in Keras 2, and every
//! published `keras.applications` file): the root (or a whole-model file's `model_weights`
//! group) lists `layer_names`; each layer's group lists its `weight_names` (e.g.
//! `Conv1/kernel:0`), and each names a dataset under that group, in Keras layout.
//!
//! As Keras's `load_weights_from_hdf5_group`, layers are matched by order: the file's layers
//! that have weights against the model's layers that have weights (a nested model counts as
//! one layer holding all its weights).

use super::hdf5_file::H5;
use super::model::Model;
use super::weight_copies::WeightCopies;
use crate::error::Result;
use crate::layers::Layer;

/// Reads the legacy layout of `h5` into the weights of `model` (checked, then copied).
pub(crate) fn load(model: &Model, h5: &H5) -> Result<WeightCopies> {
    let root = h5.group("/")?;
    let (base, layer_names) = match h5.strings_attr(&root, "layer_names")? {
        Some(names) => (String::new(), names),
        None if h5.has_group(&root, "model_weights") => {
            let g = h5.group("/model_weights")?;
            let names = h5.strings_attr(&g, "layer_names")?.ok_or_else(|| {
                h5.corrupt("a 'layer_names' attribute on the group 'model_weights'")
            })?;
            ("/model_weights".to_string(), names)
        }
        None => {
            return Err(h5.corrupt(
                "a Keras weights file: the legacy layout's 'layer_names' attribute, or Keras 3's 'layers' group",
            ))
        }
    };
    // The file's layers that hold weights, with their weight names.
    let mut file_layers = Vec::new();
    for name in layer_names {
        let g = h5.group(&format!("{base}/{name}"))?;
        let weight_names = h5.strings_attr(&g, "weight_names")?.unwrap_or_default();
        if !weight_names.is_empty() {
            file_layers.push((name, weight_names));
        }
    }
    let model_layers: Vec<Layer> = model
        .weight_layers()
        .into_iter()
        .filter(|l| !l.named_weights().is_empty())
        .collect();
    let mut copies = WeightCopies::new(&h5.path);
    if file_layers.len() != model_layers.len() {
        let names = |v: Vec<String>| v.join(", ");
        return Err(copies.mismatch(format!(
            "the file has {} layers with weights ({}), the model has {} ({})",
            file_layers.len(),
            names(file_layers.into_iter().map(|(n, _)| n).collect()),
            model_layers.len(),
            names(model_layers.iter().map(Layer::name).collect()),
        )));
    }
    for (layer, (name, weight_names)) in model_layers.iter().zip(file_layers) {
        let values = weight_names
            .iter()
            .map(|w| h5.tensor(&format!("{base}/{name}/{w}")))
            .collect::<Result<Vec<_>>>()?;
        // A nested model's weights are listed as Keras's `model.weights` gives them: the
        // trainable ones first, then the others (BatchNormalization's moving statistics).
        let mut weights = layer.named_weights();
        if layer.sublayers().is_some() {
            weights.sort_by_key(|w| !w.trainable);
        }
        copies.add_weights(layer, weights, &format!("{base}/{name}"), values)?;
    }
    Ok(copies)
}
