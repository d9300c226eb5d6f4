//! The one registry of layer classes the loaders rebuild: per Keras class name, how its layer
//! is made from a saved config (Keras's or the prelude's) and how Keras calls it. Loading
//! (`deserialize`) and writing Keras's configs (`keras_config_write`) both read it, so a
//! class is added in one place. It lives with the models, not the layers, because it names
//! every layer kind, the preprocessing layers included.

use crate::error::{Error, Result};
use crate::layers::*;
use crate::preprocessing::random_layers::{RandomFlip, RandomRotation, RandomZoom};
use serde_json::Value;

/// One layer class, or a family of classes sharing one implementation.
pub(crate) struct LayerClass {
    /// Keras's class names.
    pub names: &'static [&'static str],
    /// Makes the layer, not built yet, from the class name and its saved config.
    pub make: fn(&str, &Value) -> Result<Stage>,
    /// Whether Keras calls it on a list of tensors even when the list has one (merge
    /// layers).
    pub takes_a_list: bool,
}

/// A class whose builder is its own built kind (no weights).
macro_rules! kind {
    ($ty:ty) => {
        |_, c| <$ty>::from_config(c).map(|k| Stage::Built(Box::new(k)))
    };
}
/// A class whose builder is a typed config; its weights are made on the first build.
macro_rules! spec {
    ($ty:ty) => {
        |_, c| <$ty>::from_config(c).map(|k| Stage::Spec(Box::new(k)))
    };
}

const fn one(
    names: &'static [&'static str],
    make: fn(&str, &Value) -> Result<Stage>,
) -> LayerClass {
    LayerClass {
        names,
        make,
        takes_a_list: false,
    }
}

const fn merge(
    name: &'static [&'static str],
    make: fn(&str, &Value) -> Result<Stage>,
) -> LayerClass {
    LayerClass {
        names: name,
        make,
        takes_a_list: true,
    }
}

/// Every layer class the prelude rebuilds (nested `Sequential`/`Functional` models are the
/// loader's own business).
pub(crate) const LAYER_CLASSES: &[LayerClass] = &[
    one(&["InputLayer"], kind!(InputLayer)),
    one(&["Dense"], spec!(Dense)),
    merge(&["Add"], kind!(Add)),
    merge(&["Subtract"], kind!(Subtract)),
    merge(&["Multiply"], kind!(Multiply)),
    merge(&["Average"], kind!(Average)),
    merge(&["Maximum"], kind!(Maximum)),
    merge(&["Minimum"], kind!(Minimum)),
    merge(&["Concatenate"], kind!(Concatenate)),
    one(&["Activation"], kind!(Activation)),
    one(&["Flatten"], kind!(Flatten)),
    one(&["Dropout"], kind!(Dropout)),
    one(&["Rescaling"], kind!(Rescaling)),
    one(&["LeakyReLU"], kind!(LeakyReLU)),
    one(&["Conv1D", "Conv2D", "Conv3D"], |class, c| {
        ConvSpec::from_config(class, c).map(|k| Stage::Spec(Box::new(k)))
    }),
    one(
        &[
            "MaxPooling1D",
            "MaxPooling2D",
            "MaxPooling3D",
            "AveragePooling2D",
        ],
        |class, c| PoolN::from_config(class, c).map(|k| Stage::Built(Box::new(k))),
    ),
    one(&["GlobalAveragePooling2D"], kind!(GlobalAveragePooling2D)),
    one(&["GlobalMaxPooling2D"], kind!(GlobalMaxPooling2D)),
    one(&["DepthwiseConv2D"], spec!(DepthwiseConv2D)),
    one(&["SeparableConv2D"], spec!(SeparableConv2D)),
    one(&["ZeroPadding2D"], kind!(ZeroPadding2D)),
    one(&["Cropping2D"], kind!(Cropping2D)),
    one(&["UpSampling2D"], kind!(UpSampling2D)),
    one(&["Reshape"], kind!(Reshape)),
    one(&["Permute"], kind!(Permute)),
    one(&["RepeatVector"], kind!(RepeatVector)),
    one(&["ReLU"], kind!(ReLU)),
    one(&["BatchNormalization"], spec!(BatchNormalization)),
    one(&["Embedding"], spec!(Embedding)),
    one(&["LSTM"], spec!(LSTM)),
    one(&["RandomFlip"], kind!(RandomFlip)),
    one(&["RandomRotation"], kind!(RandomRotation)),
    one(&["RandomZoom"], kind!(RandomZoom)),
];

/// The registered class called `name`.
pub(crate) fn layer_class(name: &str) -> Option<&'static LayerClass> {
    LAYER_CLASSES.iter().find(|c| c.names.contains(&name))
}

/// Makes the layer of a saved `config` of class `name`; an unknown class is an error naming
/// it.
pub(crate) fn make_layer(name: &str, config: &Value) -> Result<Stage> {
    match layer_class(name) {
        Some(class) => (class.make)(name, config),
        None => Err(Error::LayerConfig {
            class: name.to_string(),
            field: None,
            problem: "no layer of this class in the prelude".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_is_registered_once() {
        let mut names: Vec<&str> = LAYER_CLASSES
            .iter()
            .flat_map(|c| c.names)
            .copied()
            .collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "a class registered twice");
    }

    #[test]
    fn an_unknown_class_is_named() {
        let Err(err) = make_layer("Conv9D", &serde_json::json!({})) else {
            panic!("an unknown class made a layer")
        };
        assert!(err.to_string().contains("Conv9D"), "{err}");
        assert!(layer_class("Concatenate").unwrap().takes_a_list);
    }
}
