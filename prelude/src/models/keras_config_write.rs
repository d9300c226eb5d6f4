//! Writing Keras 3's model config (`config.json` of a `.keras` archive, `model.to_json()`,
//! the `model_config` of a legacy `.h5`) from the prelude's own architecture JSON. The
//! prelude's layer configs use Keras's option names, so each becomes Keras's layer config
//! with `name`, `trainable` and `dtype` added (Keras fills the options left out with its
//! defaults, which are the prelude's); the graph's nodes become Keras's `inbound_nodes`.

use serde_json::{json, Value};

/// Keras's merge layers: called on a list of tensors even when the list has one.
const MERGES: &[&str] = &[
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
];

/// Keras 3's config of a model, from [`super::Model::architecture`].
pub(crate) fn keras_from_architecture(arch: &Value) -> Value {
    let name = arch["name"].clone();
    let config = match arch["class_name"].as_str() {
        Some("Sequential") => {
            let mut layers = Vec::new();
            let mut build = Value::Null;
            if let Some(shape) = arch["input_shape"].as_array() {
                let batch: Vec<Value> = std::iter::once(Value::Null)
                    .chain(shape.iter().cloned())
                    .collect();
                layers.push(input_layer(&Value::Null, &json!(batch)));
                build = json!({"input_shape": batch});
            }
            layers.extend(arch["layers"].as_array().into_iter().flatten().map(layer));
            let mut c =
                json!({"name": name, "trainable": true, "dtype": "float32", "layers": layers});
            if !build.is_null() {
                c["build_input_shape"] = build["input_shape"].clone();
            }
            return json!({"module": "keras", "class_name": "Sequential", "config": c,
                          "registered_name": null, "build_config": build});
        }
        _ => functional(arch),
    };
    json!({"module": "keras.src.models.functional", "class_name": "Functional",
           "config": config, "registered_name": null})
}

fn input_layer(name: &Value, batch_shape: &Value) -> Value {
    let mut c =
        json!({"batch_shape": batch_shape, "dtype": "float32", "sparse": false, "ragged": false});
    if !name.is_null() {
        c["name"] = name.clone();
    }
    json!({"module": "keras.layers", "class_name": "InputLayer", "config": c, "registered_name": null})
}

/// One layer's Keras config, from its entry in the prelude's architecture.
fn layer(l: &Value) -> Value {
    let class = l["class_name"].as_str().unwrap_or_default();
    match class {
        "Sequential" | "Functional" => {
            let mut m = keras_from_architecture(&l["config"]);
            m["config"]["name"] = l["name"].clone();
            m["config"]["trainable"] = l["trainable"].clone();
            m
        }
        "InputLayer" => {
            let shape = l["config"]["shape"].as_array().cloned().unwrap_or_default();
            let batch: Vec<Value> = std::iter::once(Value::Null).chain(shape).collect();
            input_layer(&l["name"], &json!(batch))
        }
        _ => {
            let mut c = l["config"].clone();
            if !c.is_object() {
                c = json!({});
            }
            c["name"] = l["name"].clone();
            c["trainable"] = l["trainable"].clone();
            c["dtype"] = json!("float32");
            let mut v = json!({"module": "keras.layers", "class_name": class, "config": c, "registered_name": null});
            // A Sequential's first layer declared with `input_shape` (no Input): Keras builds
            // it from the Sequential's `build_input_shape`, so nothing more is needed here.
            if let Some(shape) = l["input_shape"].as_array() {
                let batch: Vec<Value> = std::iter::once(Value::Null)
                    .chain(shape.iter().cloned())
                    .collect();
                v["build_config"] = json!({"input_shape": batch});
            }
            v
        }
    }
}

/// A reference to a layer's output; Keras's reader wants its batch shape and dtype too.
fn keras_tensor(layer: &Value, node: usize, shape: &Value) -> Value {
    let batch: Vec<Value> = std::iter::once(Value::Null)
        .chain(shape.as_array().into_iter().flatten().cloned())
        .collect();
    json!({"class_name": "__keras_tensor__",
           "config": {"shape": batch, "dtype": "float32", "keras_history": [layer, node, 0]}})
}

fn functional(arch: &Value) -> Value {
    let layers = arch["layers"].as_array().cloned().unwrap_or_default();
    let nodes = arch["nodes"].as_array().cloned().unwrap_or_default();
    let idx = |v: &Value| v.as_u64().unwrap_or(0) as usize;
    // Each node's (layer, index among that layer's calls), as Keras's keras_history has it.
    let mut calls = vec![0usize; layers.len()];
    let mut at: Vec<(usize, usize)> = Vec::with_capacity(nodes.len());
    let mut inbound: Vec<Vec<Value>> = vec![Vec::new(); layers.len()];
    for n in &nodes {
        let li = idx(&n["layer"]);
        at.push((li, calls.get(li).copied().unwrap_or(0)));
        if let Some(c) = calls.get_mut(li) {
            *c += 1;
        }
        let inputs: Vec<Value> = n["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                let (l, k) = at.get(idx(i)).copied().unwrap_or((0, 0));
                keras_tensor(&layers[l]["name"], k, &nodes[idx(i)]["shape"])
            })
            .collect();
        if inputs.is_empty() {
            continue; // an input layer's own node
        }
        let class = layers[li]["class_name"].as_str().unwrap_or_default();
        let args = if inputs.len() == 1 && !MERGES.contains(&class) {
            json!([inputs[0]])
        } else {
            json!([inputs])
        };
        if let Some(list) = inbound.get_mut(li) {
            list.push(json!({"args": args, "kwargs": {}}));
        }
    }
    let keras_layers: Vec<Value> = layers
        .iter()
        .zip(inbound)
        .map(|(l, nodes)| {
            let mut k = layer(l);
            k["name"] = l["name"].clone();
            k["inbound_nodes"] = json!(nodes);
            k
        })
        .collect();
    let ends = |key: &str| -> Value {
        let list: Vec<Value> = arch[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                let (l, k) = at.get(idx(i)).copied().unwrap_or((0, 0));
                json!([layers[l]["name"], k, 0])
            })
            .collect();
        // One input (output): Keras's single `[name, node, tensor]`, so the model takes
        // (gives) one array rather than a list of one.
        match list.as_slice() {
            [one] => one.clone(),
            _ => json!(list),
        }
    };
    json!({"name": arch["name"], "trainable": true, "layers": keras_layers,
           "input_layers": ends("inputs"), "output_layers": ends("outputs")})
}
