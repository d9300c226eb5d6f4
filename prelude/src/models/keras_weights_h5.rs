//! Keras 3's `.weights.h5` layout (`model.save_weights("x.weights.h5")`): under `layers/`,
//! one group per layer named after its class in snake case, numbered in the model's layer
//! order as Keras numbers them (`conv2d`, `conv2d_1`, …, `batch_normalization`, …); a layer's
//! weights are the datasets `vars/0`, `vars/1`, … in Keras order; a nested model's layers
//! are under its own group's `layers/`, numbered afresh.

use super::hdf5_file::H5;
use super::model::Model;
use super::weight_copies::WeightCopies;
use crate::error::Result;
use crate::layers::Layer;
use std::collections::HashMap;

/// Reads the Keras 3 layout of `h5` into the weights of `model` (checked, then copied).
pub(crate) fn load(model: &Model, h5: &H5) -> Result<WeightCopies> {
    let mut copies = WeightCopies::new(&h5.path);
    load_layers(h5, "/layers", &model.layers(), &mut copies)?;
    Ok(copies)
}

fn load_layers(h5: &H5, at: &str, layers: &[Layer], copies: &mut WeightCopies) -> Result<()> {
    let mut used: HashMap<String, usize> = HashMap::new();
    for layer in layers {
        let key = unique_key(&mut used, &snake_case(layer.class_name()));
        let here = format!("{at}/{key}");
        if let Some(inner) = layer.sublayers() {
            load_layers(h5, &format!("{here}/layers"), &inner, copies)?;
            continue;
        }
        let n = layer.named_weights().len();
        if n == 0 {
            continue;
        }
        let vars = format!("{here}/{}", vars_group(layer.class_name()));
        let group = h5.group(&vars).map_err(|_| {
            copies.mismatch(format!(
                "layer {} has {n} weights, the file has no group '{vars}' (Keras numbers layers by class and order: do the model's layers come in the same order as the saved model's?)",
                layer.label()
            ))
        })?;
        let (_, datasets) = h5.members(&group)?;
        let values = (0..datasets.len())
            .map(|i| h5.tensor(&format!("{vars}/{i}")))
            .collect::<Result<Vec<_>>>()?;
        copies.add(layer, &vars, values)?;
    }
    Ok(())
}

/// Where a layer's weights are below its group: `vars`, but a recurrent layer keeps them in
/// its cell (`lstm/cell/vars`), as Keras 3 saves the cell as a layer of its own.
pub(crate) fn vars_group(class: &str) -> &'static str {
    match class {
        "LSTM" | "GRU" | "SimpleRNN" => "cell/vars",
        _ => "vars",
    }
}

/// Keras's name for a class's group: `BatchNormalization` → `batch_normalization`,
/// `Conv2D` → `conv2d`, `ReLU` → `re_lu` (Keras's `naming.to_snake_case`).
pub(crate) fn snake_case(class: &str) -> String {
    // Step 1: an underscore before each capital that starts a capitalised word
    // (`(.)([A-Z][a-z]+)`), step 2: between a lower-case letter and a capital
    // (`([a-z])([A-Z])`).
    let c: Vec<char> = class.chars().collect();
    let mut step1 = String::new();
    for (i, &ch) in c.iter().enumerate() {
        let word = ch.is_ascii_uppercase() && c.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
        if i > 0 && word && !step1.ends_with('_') {
            step1.push('_');
        }
        step1.push(ch);
    }
    let c: Vec<char> = step1.chars().collect();
    let mut out = String::new();
    for (i, &ch) in c.iter().enumerate() {
        if i > 0 && ch.is_ascii_uppercase() && c[i - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.push(ch);
    }
    out.to_lowercase()
}

pub(crate) fn unique_key(used: &mut HashMap<String, usize>, base: &str) -> String {
    match used.get_mut(base) {
        Some(n) => {
            *n += 1;
            format!("{base}_{n}")
        }
        None => {
            used.insert(base.to_string(), 0);
            base.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn class_names_become_keras_group_names() {
        for (class, key) in [
            ("BatchNormalization", "batch_normalization"),
            ("Conv2D", "conv2d"),
            ("DepthwiseConv2D", "depthwise_conv2d"),
            ("ReLU", "re_lu"),
            ("ZeroPadding2D", "zero_padding2d"),
            ("GlobalAveragePooling2D", "global_average_pooling2d"),
            ("Dense", "dense"),
            ("Functional", "functional"),
            ("InputLayer", "input_layer"),
            ("LSTM", "lstm"),
        ] {
            assert_eq!(snake_case(class), key, "{class}");
        }
    }
}
