//! Reading Keras's saved model configs: Keras 3's `config.json` (in a `.keras` archive, in
//! `model.to_json()`, and in the `model_config` of `.h5` files Keras 3 writes) and Keras 2's
//! `model_config` (nodes as nested lists), turned into the prelude's own architecture JSON
//! (`Model::architecture`, format 2), which `deserialize` rebuilds. One translation keeps a
//! single rebuilder: the prelude's own files and Keras's files take the same path.
//!
//! Errors are plain strings here; the loader wraps them with the file's path.

use serde_json::{json, Value};
use std::collections::HashMap;

type Res<T> = std::result::Result<T, String>;

/// The prelude's architecture for a Keras model config (`{"class_name", "config", …}`).
pub(crate) fn architecture_from_keras(model: &Value) -> Res<Value> {
    let class = model["class_name"]
        .as_str()
        .ok_or("the model config has no class_name")?;
    let c = &model["config"];
    let mut arch = match class {
        "Sequential" => sequential(c)?,
        "Functional" | "Model" => functional(c)?,
        other => {
            return Err(format!(
                "a model of class '{other}' (the prelude rebuilds Sequential and functional models)"
            ))
        }
    };
    arch["format"] = json!(2);
    arch["name"] = c["name"].clone();
    Ok(arch)
}

/// Whether `v` is a Keras config (rather than the prelude's own architecture JSON).
pub(crate) fn is_keras_config(v: &Value) -> bool {
    v["config"].is_object() && v["format"].is_null()
}

fn layers_of(c: &Value) -> Res<&Vec<Value>> {
    c["layers"]
        .as_array()
        .ok_or_else(|| "the model config has no 'layers' list".to_string())
}

/// The shape of one example from a `batch_shape` (Keras 3) or `batch_input_shape` (Keras 2).
fn example_shape(c: &Value) -> Option<Value> {
    let batch = c["batch_shape"]
        .as_array()
        .or_else(|| c["batch_input_shape"].as_array())?;
    Some(Value::Array(batch.get(1..)?.to_vec()))
}

fn sequential(c: &Value) -> Res<Value> {
    let mut layers = layers_of(c)?.as_slice();
    let mut input_shape = Value::Null;
    if let Some(first) = layers.first() {
        if first["class_name"] == "InputLayer" {
            input_shape = example_shape(&first["config"]).ok_or("an InputLayer without a shape")?;
            layers = &layers[1..];
        } else if let Some(s) = example_shape(&first["config"]) {
            // Keras 2: the first layer carries the input's shape itself.
            input_shape = s;
        }
    }
    if input_shape.is_null() {
        if let Some(s) = c["build_input_shape"].as_array().and_then(|b| b.get(1..)) {
            input_shape = Value::Array(s.to_vec());
        }
    }
    let layers = layers.iter().map(layer).collect::<Res<Vec<_>>>()?;
    Ok(json!({"class_name": "Sequential", "input_shape": input_shape, "layers": layers}))
}

/// One layer's entry: class, name, trainability and the config its `from_config` reads.
fn layer(v: &Value) -> Res<Value> {
    let class = v["class_name"]
        .as_str()
        .ok_or("a layer config without class_name")?;
    let c = &v["config"];
    let name = c["name"]
        .as_str()
        .or(v["name"].as_str())
        .map(str::to_string);
    let trainable = c["trainable"].as_bool().unwrap_or(true);
    let config = match class {
        "Sequential" | "Functional" | "Model" => {
            let arch = architecture_from_keras(v)?;
            let class = arch["class_name"].clone();
            return Ok(
                json!({"class_name": class, "name": name, "trainable": trainable, "config": arch}),
            );
        }
        "InputLayer" => {
            let shape = example_shape(c)
                .or_else(|| Some(c["shape"].clone()).filter(|s| s.is_array()))
                .ok_or_else(|| {
                    format!(
                        "InputLayer '{}' has no shape",
                        name.clone().unwrap_or_default()
                    )
                })?;
            json!({"shape": shape})
        }
        _ => {
            check_supported(class, c)?;
            let mut c = c.clone();
            // Keras 2 spelled LeakyReLU's slope `alpha`.
            if class == "LeakyReLU" && c["negative_slope"].is_null() {
                c["negative_slope"] = c["alpha"].clone();
            }
            c
        }
    };
    Ok(json!({"class_name": class, "name": name, "trainable": trainable, "config": config}))
}

/// Options Keras may have saved that the prelude's layers do not implement: refused with a
/// message that names them, rather than rebuilt into a model that computes something else.
fn check_supported(class: &str, c: &Value) -> Res<()> {
    let refuse = |what: &str| {
        Err(format!(
            "layer {class} '{}' uses {what}, which the prelude does not support",
            c["name"].as_str().unwrap_or("?")
        ))
    };
    if c["data_format"] == "channels_first" {
        return refuse("data_format='channels_first'");
    }
    for flag in ["return_state", "go_backwards", "stateful", "unroll"] {
        if c[flag] == true {
            return refuse(flag);
        }
    }
    if class == "BatchNormalization" {
        let axis_last = matches!(c["axis"].as_i64(), None | Some(-1))
            || c["axis"].as_array().is_some_and(|a| a.len() == 1);
        if !axis_last || c["center"] == false || c["scale"] == false {
            return refuse("an axis other than the last, center=False or scale=False");
        }
    }
    if !c["noise_shape"].is_null() {
        return refuse("noise_shape");
    }
    let ones = |v: &Value| match v {
        Value::Null => true,
        Value::Number(n) => n.as_i64() == Some(1),
        Value::Array(a) => a.iter().all(|x| x.as_i64() == Some(1)),
        _ => false,
    };
    if !ones(&c["dilation_rate"]) || !ones(&c["groups"]) {
        return refuse("dilation_rate or groups other than 1");
    }
    if class == "LSTM" {
        let is = |key: &str, want: &str| c[key].is_null() || c[key] == want;
        if !is("activation", "tanh") || !is("recurrent_activation", "sigmoid") {
            return refuse("activations other than tanh and sigmoid");
        }
    }
    Ok(())
}

/// A reference to a layer's output: `(layer name, node index, tensor index)`.
type History = (String, usize, usize);

fn history(v: &Value) -> Res<History> {
    let bad = || format!("an unreadable node reference {v}");
    let a = v.as_array().ok_or_else(bad)?;
    let name = a.first().and_then(Value::as_str).ok_or_else(bad)?;
    let num = |i: usize| a.get(i).and_then(Value::as_u64).map(|n| n as usize);
    Ok((name.to_string(), num(1).unwrap_or(0), num(2).unwrap_or(0)))
}

/// The tensors one inbound node reads, in order. Keras 3: `{"args": [...], "kwargs": {...}}`
/// holding `__keras_tensor__` entries (a merge layer's list among them); Keras 2: a list of
/// `[layer, node, tensor, kwargs]`.
fn node_inputs(node: &Value) -> Res<Vec<History>> {
    fn walk(v: &Value, out: &mut Vec<History>) -> Res<()> {
        match v {
            Value::Object(o) if o.get("class_name") == Some(&json!("__keras_tensor__")) => {
                out.push(history(&v["config"]["keras_history"])?)
            }
            Value::Array(a) => {
                for x in a {
                    walk(x, out)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut out = Vec::new();
    if node.is_object() {
        walk(&node["args"], &mut out)?;
    } else {
        for entry in node
            .as_array()
            .ok_or("an inbound node that is neither a dict nor a list")?
        {
            out.push(history(entry)?);
        }
    }
    Ok(out)
}

/// `input_layers` / `output_layers`: one `[name, node, tensor]`, or a list of them.
fn endpoints(v: &Value) -> Res<Vec<History>> {
    match v.as_array() {
        Some(a) if a.first().is_some_and(Value::is_string) => Ok(vec![history(v)?]),
        Some(a) => a.iter().map(history).collect(),
        None => Err("a functional model config without input_layers/output_layers".into()),
    }
}

fn functional(c: &Value) -> Res<Value> {
    let raw = layers_of(c)?;
    let layers = raw.iter().map(layer).collect::<Res<Vec<_>>>()?;
    let names: Vec<String> = raw
        .iter()
        .zip(&layers)
        .map(|(r, l)| {
            r["name"]
                .as_str()
                .or(l["name"].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    // Each layer's calls, in its own order (Keras's node index counts them).
    let mut pending: Vec<Vec<Vec<History>>> = Vec::with_capacity(raw.len());
    for (r, l) in raw.iter().zip(&layers) {
        let calls = match r["inbound_nodes"].as_array() {
            Some(ns) if !ns.is_empty() => ns.iter().map(node_inputs).collect::<Res<Vec<_>>>()?,
            // An InputLayer: one node that reads nothing.
            _ if l["class_name"] == "InputLayer" => vec![Vec::new()],
            _ => Vec::new(),
        };
        pending.push(calls);
    }
    // Our node list, each node after its inputs: repeatedly take every call whose inputs
    // exist (Keras's `from_config` does the same with its queue of unprocessed nodes).
    let mut made: HashMap<(String, usize), usize> = HashMap::new();
    let mut next = vec![0usize; raw.len()];
    let mut nodes: Vec<Value> = Vec::new();
    loop {
        let mut progress = false;
        for i in 0..raw.len() {
            while let Some(call) = pending[i].get(next[i]) {
                let mut inputs = Vec::new();
                for (name, node, tensor) in call {
                    if *tensor != 0 {
                        return Err(format!("layer '{}' reads output {tensor} of '{name}' (the prelude's layers have one output)", names[i]));
                    }
                    match made.get(&(name.clone(), *node)) {
                        Some(&k) => inputs.push(k),
                        None => break,
                    }
                }
                if inputs.len() != call.len() {
                    break;
                }
                made.insert((names[i].clone(), next[i]), nodes.len());
                nodes.push(json!({"layer": i, "inputs": inputs}));
                next[i] += 1;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    if let Some(i) = (0..raw.len()).find(|&i| next[i] < pending[i].len()) {
        return Err(format!(
            "layer '{}' reads a layer output the config never makes",
            names[i]
        ));
    }
    let pick = |key: &str| -> Res<Vec<usize>> {
        endpoints(&c[key])?
            .into_iter()
            .map(|(name, node, _)| {
                made.get(&(name.clone(), node))
                    .copied()
                    .ok_or_else(|| format!("{key} names '{name}', which the config does not make"))
            })
            .collect()
    };
    Ok(json!({
        "class_name": "Functional",
        "layers": layers,
        "nodes": nodes,
        "inputs": pick("input_layers")?,
        "outputs": pick("output_layers")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keras 2's spelling: `batch_input_shape`, nodes as nested lists, nested endpoints.
    #[test]
    fn reads_a_keras2_functional_config() {
        let cfg = json!({"class_name": "Functional", "config": {
            "name": "model",
            "layers": [
                {"class_name": "InputLayer", "name": "input_1",
                 "config": {"batch_input_shape": [null, 4], "name": "input_1"}, "inbound_nodes": []},
                {"class_name": "Dense", "name": "dense",
                 "config": {"name": "dense", "units": 2, "activation": "relu", "use_bias": true},
                 "inbound_nodes": [[["input_1", 0, 0, {}]]]},
                {"class_name": "Add", "name": "add", "config": {"name": "add"},
                 "inbound_nodes": [[["dense", 0, 0, {}], ["dense", 0, 0, {}]]]}
            ],
            "input_layers": [["input_1", 0, 0]],
            "output_layers": [["add", 0, 0]]}});
        let arch = architecture_from_keras(&cfg).unwrap();
        assert_eq!(
            arch["nodes"],
            json!([{"layer": 0, "inputs": []}, {"layer": 1, "inputs": [0]}, {"layer": 2, "inputs": [1, 1]}])
        );
        assert_eq!(arch["layers"][0]["config"]["shape"], json!([4]));
        assert_eq!(
            (arch["inputs"].clone(), arch["outputs"].clone()),
            (json!([0]), json!([2]))
        );
    }

    #[test]
    fn refuses_options_the_prelude_lacks() {
        let cfg = json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [null, 3, 2]}},
            {"class_name": "LSTM", "config": {"name": "l", "units": 2, "return_state": true}}]}});
        let err = architecture_from_keras(&cfg).unwrap_err();
        assert!(err.contains("return_state") && err.contains("'l'"), "{err}");
    }
}
