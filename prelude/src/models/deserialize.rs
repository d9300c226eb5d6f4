//! Rebuilding models from a saved architecture: each layer from its class name and config
//! (through the registry of layer classes), nested models, and the graph's nodes.

use super::model::Model;
use super::registry::make_layer;
use super::sequential::Sequential;
use crate::error::{Error, Result};
use crate::layers::{Input, KerasTensor, Layer, LayerOpts};
use serde_json::Value;

/// Rebuilds a layer from [`Layer::config`]: the layer's own `from_config`, or a nested model.
pub(crate) fn layer_from_config(v: &Value) -> Result<Layer> {
    let class = v["class_name"].as_str().unwrap_or_default();
    let opts = LayerOpts {
        name: v["name"].as_str().map(str::to_string),
        input_shape: serde_json::from_value(v["input_shape"].clone())
            .ok()
            .flatten(),
        trainable: v["trainable"].as_bool(),
    };
    match class {
        "Sequential" | "Functional" => {
            let layer = Layer::from(model_from_architecture(&v["config"])?);
            if opts.trainable == Some(false) {
                layer.set_trainable(false);
            }
            Ok(layer)
        }
        _ => Ok(Layer::from_stage(make_layer(class, &v["config"])?, opts)),
    }
}

/// A layer from Keras 3's serialized layer (`{"class_name", "config"}`, as
/// `keras.layers.serialize` writes it and model configs hold them), as Keras's
/// `keras.layers.deserialize`: unbuilt, its options Keras's.
///
/// ```
/// use ferrokeras::prelude::*;
/// let keras = serde_json::json!({"class_name": "Dense", "config": {"name": "d", "units": 3}});
/// let layer = layer_from_keras_config(&keras).unwrap();
/// assert_eq!(layer.keras_config()["kernel_initializer"]["class_name"], "GlorotUniform");
/// let err = layer_from_keras_config(&serde_json::json!({"class_name": "Conv2D",
///     "config": {"kernel_size": [3, 3]}})).unwrap_err();
/// assert!(err.to_string().contains("Conv2D") && err.to_string().contains("'filters'"));
/// ```
pub fn layer_from_keras_config(v: &Value) -> Result<Layer> {
    let class = v["class_name"].as_str().unwrap_or("?");
    let entry = super::keras_config::layer(v).map_err(|problem| Error::LayerConfig {
        class: class.to_string(),
        field: None,
        problem,
    })?;
    layer_from_config(&entry)
}

/// Rebuilds a model (new weights) from [`Model::architecture`]. Files written before graphs
/// (no `format`) hold a chain of layers from one input; they load as that chain.
pub(crate) fn model_from_architecture(arch: &Value) -> Result<Model> {
    let layers = arch["layers"]
        .as_array()
        .map(|ls| ls.iter().map(layer_from_config).collect::<Result<Vec<_>>>())
        .transpose()?
        .unwrap_or_default();
    let model: Model = match (arch["class_name"].as_str(), arch["format"].as_i64()) {
        (Some("Functional"), Some(2)) => graph_from_architecture(arch, &layers)?,
        (Some("Functional"), _) => {
            let inputs = Input::new(input_shape(arch)?);
            let mut x = inputs.clone();
            for l in &layers {
                x = l.call(&x)?;
            }
            Model::new(&inputs, &x)?
        }
        _ => {
            let seq = Sequential::new();
            if !arch["input_shape"].is_null() {
                seq.add(Input::new(input_shape(arch)?));
            }
            for l in layers {
                seq.add(l);
            }
            seq.model()
        }
    };
    if let Some(name) = arch["name"].as_str() {
        model.set_name(name);
    }
    Ok(model)
}

fn input_shape(arch: &Value) -> Result<Vec<i64>> {
    serde_json::from_value(arch["input_shape"].clone())
        .map_err(|e| Error::InvalidArgument(format!("architecture input shape: {e}")))
}

/// Calls the saved layers on each other as the saved nodes say.
fn graph_from_architecture(arch: &Value, layers: &[Layer]) -> Result<Model> {
    let bad = |what: &str| Error::InvalidArgument(format!("saved functional graph: {what}"));
    let index = |v: &Value| {
        v.as_u64()
            .map(|i| i as usize)
            .ok_or_else(|| bad("an index is not a number"))
    };
    let mut nodes: Vec<KerasTensor> = Vec::new();
    for n in arch["nodes"].as_array().ok_or_else(|| bad("no nodes"))? {
        let layer = layers
            .get(index(&n["layer"])?)
            .ok_or_else(|| bad("a node names no layer"))?;
        let inputs = n["inputs"]
            .as_array()
            .ok_or_else(|| bad("a node has no inputs list"))?
            .iter()
            .map(|i| {
                nodes
                    .get(index(i)?)
                    .cloned()
                    .ok_or_else(|| bad("a node reads a later node"))
            })
            .collect::<Result<Vec<_>>>()?;
        let node = if inputs.is_empty() {
            let shape = layer.config()["config"]["shape"].clone();
            let shape: Vec<i64> =
                serde_json::from_value(shape).map_err(|_| bad("an input without a shape"))?;
            KerasTensor::from_call(layer, Vec::new(), shape)
        } else {
            layer.call(&inputs)?
        };
        nodes.push(node);
    }
    let pick = |key: &str| -> Result<Vec<KerasTensor>> {
        arch[key]
            .as_array()
            .ok_or_else(|| bad(key))?
            .iter()
            .map(|i| nodes.get(index(i)?).cloned().ok_or_else(|| bad(key)))
            .collect()
    };
    Model::new(pick("inputs")?, pick("outputs")?)
}
