//! Reading a saved layer configuration back into a layer's typed config, with errors that
//! name the class and the option (the loader adds the file).

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The typed config `T` of a `class` layer from its saved `config` (Keras's `get_config()`
/// or the prelude's own). Options `T` gives defaults for may be missing; the others are an
/// [`Error::LayerConfig`] naming the option. Unknown options (`name`, `dtype`, ones a newer
/// Keras adds) are left to the loader's checks.
pub(crate) fn read_config<T: DeserializeOwned>(class: &str, config: &Value) -> Result<T> {
    serde_json::from_value(config.clone()).map_err(|e| config_error(class, &e.to_string()))
}

/// The error for serde's message `m` about a `class` config: serde names a missing option
/// (``missing field `filters` ``), which becomes the error's `field`.
fn config_error(class: &str, m: &str) -> Error {
    let missing = m
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    Error::LayerConfig {
        class: class.to_string(),
        field: missing.map(str::to_string),
        problem: if missing.is_some() {
            "missing (it has no default)".to_string()
        } else {
            m.to_string()
        },
    }
}

/// The option `name` of a saved `config` of a `class` layer, with an error that names both
/// (for layers whose options are read one by one).
pub(crate) fn field<T: DeserializeOwned>(class: &str, config: &Value, name: &str) -> Result<T> {
    serde_json::from_value(config[name].clone()).map_err(|e| Error::LayerConfig {
        class: class.to_string(),
        field: Some(name.to_string()),
        problem: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_option_names_the_class_and_the_option() {
        let c = serde_json::json!({"units": 3});
        assert_eq!(field::<i64>("Dense", &c, "units").unwrap(), 3);
        let err = field::<i64>("Dense", &c, "rate").unwrap_err().to_string();
        assert!(err.contains("Dense") && err.contains("'rate'"), "{err}");
    }

    #[test]
    fn a_missing_required_field_of_a_typed_config_is_named() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct C {
            filters: i64,
        }
        let err =
            read_config::<C>("Conv2D", &serde_json::json!({"kernel_size": [3, 3]})).unwrap_err();
        assert!(
            matches!(&err, Error::LayerConfig { class, field: Some(f), .. } if class == "Conv2D" && f == "filters"),
            "{err:?}"
        );
    }
}
