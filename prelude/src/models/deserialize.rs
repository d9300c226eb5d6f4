//! Rebuilding models from a saved architecture: each layer from its class name and config
//! (the layer's own `from_config`, beside its `config`), nested models, and the graph's nodes.
//! Lives with the models, not the layers, because the table names every layer kind, the
//! preprocessing layers included.

use super::model::Model;
use super::sequential::Sequential;
use crate::error::{Error, Result};
use crate::layers::{Input, KerasTensor, Layer, LayerKind, LayerOpts};
use serde_json::Value;

/// Builds a layer kind from its saved class name and `config`, by asking the layer's own
/// `from_config`. `None` for a class this table does not know (the model loader handles
/// nested `Sequential`/`Functional` models itself).
fn layer_kind_from_config(class: &str, c: &Value) -> Option<Result<Box<dyn LayerKind>>> {
    use crate::layers::*;
    use crate::preprocessing::random_layers::{RandomFlip, RandomRotation, RandomZoom};
    fn boxed<K: LayerKind + 'static>(k: Result<K>) -> Result<Box<dyn LayerKind>> {
        k.map(|k| Box::new(k) as Box<dyn LayerKind>)
    }
    Some(match class {
        "InputLayer" => boxed(InputLayer::from_config(c)),
        "Dense" => boxed(Dense::from_config(c)),
        "Add" => boxed(Add::from_config(c)),
        "Subtract" => boxed(Subtract::from_config(c)),
        "Multiply" => boxed(Multiply::from_config(c)),
        "Average" => boxed(Average::from_config(c)),
        "Maximum" => boxed(Maximum::from_config(c)),
        "Minimum" => boxed(Minimum::from_config(c)),
        "Concatenate" => boxed(Concatenate::from_config(c)),
        "Activation" => boxed(Activation::from_config(c)),
        "Flatten" => boxed(Flatten::from_config(c)),
        "Dropout" => boxed(Dropout::from_config(c)),
        "Rescaling" => boxed(Rescaling::from_config(c)),
        "LeakyReLU" => boxed(LeakyReLU::from_config(c)),
        "Conv1D" | "Conv2D" | "Conv3D" => boxed(ConvN::from_config(class, c)),
        "MaxPooling1D" | "MaxPooling2D" | "MaxPooling3D" | "AveragePooling2D" => {
            boxed(PoolN::from_config(class, c))
        }
        "GlobalAveragePooling2D" => boxed(GlobalAveragePooling2D::from_config(c)),
        "GlobalMaxPooling2D" => boxed(GlobalMaxPooling2D::from_config(c)),
        "DepthwiseConv2D" => boxed(DepthwiseConv2D::from_config(c)),
        "SeparableConv2D" => boxed(SeparableConv2D::from_config(c)),
        "ZeroPadding2D" => boxed(ZeroPadding2D::from_config(c)),
        "Cropping2D" => boxed(Cropping2D::from_config(c)),
        "UpSampling2D" => boxed(UpSampling2D::from_config(c)),
        "Reshape" => boxed(Reshape::from_config(c)),
        "Permute" => boxed(Permute::from_config(c)),
        "RepeatVector" => boxed(RepeatVector::from_config(c)),
        "ReLU" => boxed(ReLU::from_config(c)),
        "BatchNormalization" => boxed(BatchNormalization::from_config(c)),
        "Embedding" => boxed(Embedding::from_config(c)),
        "LSTM" => boxed(LSTM::from_config(c)),
        "RandomFlip" => boxed(RandomFlip::from_config(c)),
        "RandomRotation" => boxed(RandomRotation::from_config(c)),
        "RandomZoom" => boxed(RandomZoom::from_config(c)),
        _ => return None,
    })
}

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
    if let Some(kind) = layer_kind_from_config(class, &v["config"]) {
        return Ok(Layer::from_kind(kind?, opts));
    }
    match class {
        "Sequential" | "Functional" => {
            let layer = Layer::from(model_from_architecture(&v["config"])?);
            if opts.trainable == Some(false) {
                layer.set_trainable(false);
            }
            Ok(layer)
        }
        _ => Err(Error::InvalidArgument(format!(
            "saved layer config of {class}: unknown layer class"
        ))),
    }
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
