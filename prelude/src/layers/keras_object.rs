//! The pieces layer configs share, spelled as Keras 3's `get_config()` writes them: nested
//! `{"module", "class_name", "config", "registered_name"}` objects (initializers,
//! regularizers, constraints, the dtype policy) and sizes given as one number or one per
//! axis. Serde defaults here are Keras's defaults, so a config that leaves an option out
//! reads as Keras would read it.

use crate::error::{Error, Result};
use crate::initializers::Initializer;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A serialized Keras object: an initializer, regularizer, constraint or dtype policy.
///
/// Its `config` stays JSON: the prelude reads the few initializers it has (see
/// [`KerasObject::initializer`]) and writes every object back exactly as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KerasObject {
    /// The Python module, e.g. `keras.initializers`.
    pub module: String,
    /// The class, e.g. `GlorotUniform`.
    pub class_name: String,
    /// The object's own options.
    #[serde(default)]
    pub config: Map<String, Value>,
    /// Set for custom objects Keras registered; `None` for Keras's own.
    #[serde(default)]
    pub registered_name: Option<String>,
}

impl KerasObject {
    fn new(module: &str, class_name: &str, config: Value) -> Self {
        let Value::Object(config) = config else {
            unreachable!("callers pass JSON objects")
        };
        KerasObject {
            module: module.to_string(),
            class_name: class_name.to_string(),
            config,
            registered_name: None,
        }
    }

    fn initializer_of(class_name: &str, config: Value) -> Self {
        KerasObject::new("keras.initializers", class_name, config)
    }

    /// Keras's default kernel initializer.
    pub fn glorot_uniform() -> Self {
        Self::initializer_of(
            "GlorotUniform",
            json!({"seed": null, "input_axes": null, "output_axes": null}),
        )
    }

    /// Keras's default bias initializer.
    pub fn zeros() -> Self {
        Self::initializer_of("Zeros", json!({}))
    }

    /// Keras's default `gamma` and moving-variance initializer.
    pub fn ones() -> Self {
        Self::initializer_of("Ones", json!({}))
    }

    /// Keras's default recurrent kernel initializer.
    pub fn orthogonal() -> Self {
        Self::initializer_of("Orthogonal", json!({"seed": null, "gain": 1.0}))
    }

    /// Keras's default embeddings initializer: uniform in ±0.05.
    pub fn embedding_uniform() -> Self {
        Self::initializer_of(
            "RandomUniform",
            json!({"seed": null, "minval": -0.05, "maxval": 0.05}),
        )
    }

    /// Keras's dtype policy of a float32 layer.
    pub fn float32_policy() -> Self {
        KerasObject::new("keras", "DTypePolicy", json!({"name": "float32"}))
    }

    /// The prelude's initializer for this Keras initializer. An initializer the prelude
    /// lacks (a model loaded from Keras) draws with `fallback`, the layer's Keras default:
    /// its weights are loaded over it, and the config keeps the object for saving.
    pub fn initializer(&self, fallback: Initializer) -> Initializer {
        let num = |k: &str, d: f64| self.config.get(k).and_then(Value::as_f64).unwrap_or(d);
        match self.class_name.as_str() {
            "Zeros" => Initializer::Zeros,
            "Ones" => Initializer::Ones,
            "GlorotUniform" => Initializer::GlorotUniform,
            "HeUniform" => Initializer::HeUniform,
            "Orthogonal" => Initializer::Orthogonal,
            "RandomUniform" => Initializer::Uniform(num("minval", -0.05), num("maxval", 0.05)),
            _ => fallback,
        }
    }
}

/// A size per spatial axis as Keras accepts it: one number for every axis, or a list.
/// Keras's `get_config()` always writes the list ([`Dims::expand`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Dims {
    /// One number for every axis.
    One(i64),
    /// One number per axis.
    PerAxis(Vec<i64>),
}

impl Dims {
    /// One number per axis for `n` axes; an error naming `class` and `field` when a list has
    /// another length.
    pub fn expand(&self, class: &str, field: &str, n: usize) -> Result<Vec<i64>> {
        match self {
            Dims::One(v) => Ok(vec![*v; n]),
            Dims::PerAxis(v) if v.len() == n => Ok(v.clone()),
            Dims::PerAxis(v) => Err(Error::LayerConfig {
                class: class.to_string(),
                field: Some(field.to_string()),
                problem: format!("{} values for {n} spatial axes", v.len()),
            }),
        }
    }
}

// Serde's `default = "…"` takes function paths: Keras's defaults, by value.

pub(crate) fn yes() -> bool {
    true
}
pub(crate) fn linear() -> String {
    "linear".to_string()
}
pub(crate) fn valid() -> String {
    "valid".to_string()
}
pub(crate) fn channels_last() -> String {
    "channels_last".to_string()
}
pub(crate) fn one() -> Dims {
    Dims::One(1)
}
pub(crate) fn last_axis() -> i64 {
    -1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initializers_read_back_as_written() {
        let v = serde_json::to_value(KerasObject::embedding_uniform()).unwrap();
        assert_eq!(v["config"]["minval"], json!(-0.05));
        let back: KerasObject = serde_json::from_value(v).unwrap();
        assert_eq!(
            back.initializer(Initializer::Zeros),
            Initializer::Uniform(-0.05, 0.05)
        );
        let he_normal = KerasObject::initializer_of("HeNormal", json!({"seed": null}));
        assert_eq!(
            he_normal.initializer(Initializer::GlorotUniform),
            Initializer::GlorotUniform
        );
    }

    #[test]
    fn dims_take_one_number_or_a_list() {
        let d: Dims = serde_json::from_value(json!(3)).unwrap();
        assert_eq!(d.expand("Conv2D", "kernel_size", 2).unwrap(), vec![3, 3]);
        let d: Dims = serde_json::from_value(json!([3, 5])).unwrap();
        assert_eq!(d.expand("Conv2D", "kernel_size", 2).unwrap(), vec![3, 5]);
        let err = d
            .expand("Conv3D", "kernel_size", 3)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Conv3D") && err.contains("'kernel_size'"),
            "{err}"
        );
    }
}
