//! Reading a saved layer configuration back: the helper every layer's `from_config` uses
//! (each layer reads its own options in its own file, beside `LayerKind::config`).

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The option `name` of a saved `config` of a `class` layer, with an error that names both.
pub(crate) fn field<T: DeserializeOwned>(class: &str, config: &Value, name: &str) -> Result<T> {
    serde_json::from_value(config[name].clone()).map_err(|e| {
        Error::InvalidArgument(format!(
            "saved layer config of {class}: option '{name}': {e}"
        ))
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
}
