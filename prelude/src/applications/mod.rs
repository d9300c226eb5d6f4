//! Keras's `keras.applications`: ImageNet networks built from the prelude's own layers, with
//! Keras's layer names, order and parameter counts, loading Keras's own published weight
//! files (downloaded once into the cache, like the datasets).
//!
//! As in Keras, each family has its module with `preprocess_input` and `decode_predictions`:
//!
//! ```no_run
//! use ferrokeras::prelude::*;
//! # fn main() -> ferrokeras::Result<()> {
//! let base = MobileNetV2 {
//!     input_shape: Some([160, 160, 3]),
//!     include_top: false,
//!     weights: "imagenet".into(),
//!     ..Default::default()
//! }
//! .build()?;
//! base.set_trainable(false);
//! let images = Tensor::rand([2, 160, 160, 3], (Kind::Float, Device::Cpu)) * 255.0;
//! let features = base.predict(&mobilenet_v2::preprocess_input(&images), Predict::default())?; // (2, 5, 5, 1280)
//!
//! let resnet = ResNet50::default().build()?;
//! let preds = resnet.predict(&resnet50::preprocess_input(&(Tensor::rand([1, 224, 224, 3], (Kind::Float, Device::Cpu)) * 255.0)), Predict::default())?;
//! let top3 = resnet50::decode_predictions(&preds, 3)?; // rows of (wnid, name, score)
//! # Ok(())
//! # }
//! ```

pub mod imagenet_utils;
pub mod mobilenet_v2;
pub mod resnet;
mod style_transfer;
pub mod vgg16;
pub mod vgg19;
mod vgg_common;
mod weights;

pub use imagenet_utils::{Prediction, Predictions};
pub use mobilenet_v2::MobileNetV2;
pub use resnet::ResNet50;
pub use style_transfer::{style_transfer, StyleTransfer};
pub use vgg16::VGG16;
pub use vgg19::VGG19;
pub use weights::Weights;

/// Keras's `keras.applications.resnet50` (the same functions as [`resnet`]).
pub mod resnet50 {
    pub use super::resnet::{decode_predictions, preprocess_input};
}

use crate::error::{Error, Result};
use crate::layers::{Dense, GlobalAveragePooling2D, GlobalMaxPooling2D, KerasTensor};
use crate::models::Model;
use weights::Published;

/// The no-top ending Keras's `pooling=` asks for; `names` are the layers' names for `"avg"`
/// and `"max"` (ResNet names them, the others leave Keras's automatic names).
pub(crate) fn pool(
    x: &KerasTensor,
    pooling: Option<&str>,
    names: Option<(&str, &str)>,
) -> Result<KerasTensor> {
    match pooling {
        None | Some("") => Ok(x.clone()),
        Some("avg") => {
            let l = GlobalAveragePooling2D::new();
            match names {
                Some((avg, _)) => l.name(avg).call(x),
                None => l.call(x),
            }
        }
        Some("max") => {
            let l = GlobalMaxPooling2D::new();
            match names {
                Some((_, max)) => l.name(max).call(x),
                None => l.call(x),
            }
        }
        Some(other) => Err(Error::InvalidArgument(format!(
            "pooling must be None, \"avg\" or \"max\", got \"{other}\""
        ))),
    }
}

/// The `predictions` Dense layer; ImageNet weights need 1000 classes (as Keras checks).
pub(crate) fn classifier(
    x: &KerasTensor,
    classes: i64,
    activation: &str,
    weights: &Weights,
) -> Result<KerasTensor> {
    if *weights == Weights::Imagenet && classes != 1000 {
        return Err(Error::InvalidArgument(format!(
            "with weights \"imagenet\" and include_top, classes must be 1000, got {classes}"
        )));
    }
    let activation = if activation.is_empty() {
        "linear"
    } else {
        activation
    };
    Dense::new(classes)
        .activation(activation)
        .name("predictions")
        .call(x)
}

/// Makes the functional model and loads its weights: Keras's published file (from
/// `published`), a given file, or none.
pub(crate) fn finish(
    inputs: &KerasTensor,
    outputs: &KerasTensor,
    name: &str,
    weights: &Weights,
    published: impl FnOnce() -> Result<Published>,
) -> Result<Model> {
    let model = Model::new(inputs, outputs)?;
    model.set_name(name);
    match weights {
        Weights::Imagenet => model.load_weights(published()?.path()?)?,
        Weights::File(path) => model.load_weights(path)?,
        Weights::None => {}
    }
    Ok(model)
}
