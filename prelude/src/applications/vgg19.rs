//! Keras's `keras.applications.vgg19` (`VGG19`, Simonyan & Zisserman 2014), its
//! `preprocess_input` ("caffe") and `decode_predictions`.

use super::imagenet_utils::{self, Mode, Predictions};
use super::vgg_common::{build, VggSpec};
use super::weights::Weights;
use crate::error::Result;
use crate::models::Model;
use tch::Tensor;

/// VGG19's options, as Keras's arguments; `build()` makes the model.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let model = VGG19::default().build()?; // ImageNet weights, 224×224, with the top
/// assert_eq!(model.count_params(), 143_667_240);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct VGG19 {
    /// One image's shape `[rows, cols, 3]` (at least 32×32; 224×224 with the top);
    /// `None`: `[224, 224, 3]`.
    pub input_shape: Option<[i64; 3]>,
    /// Whether to end in `flatten`, `fc1`, `fc2` and the 1000-class `predictions`.
    pub include_top: bool,
    /// `"imagenet"` (default), `""` for random weights, or a weights file's path.
    pub weights: Weights,
    /// Without the top: `Some("avg")` or `Some("max")` pools the features to a vector.
    pub pooling: Option<&'static str>,
    /// With the top: how many classes (1000 for ImageNet weights).
    pub classes: i64,
    /// The classifier's activation (`"softmax"`, or `""` / `"linear"` for logits).
    pub classifier_activation: &'static str,
    /// The model's name; `None`: `vgg19`.
    pub name: Option<String>,
}

impl Default for VGG19 {
    fn default() -> Self {
        VGG19 {
            input_shape: None,
            include_top: true,
            weights: Weights::Imagenet,
            pooling: None,
            classes: 1000,
            classifier_activation: "softmax",
            name: None,
        }
    }
}

impl VGG19 {
    /// Builds the model (Keras's layer names and order) and loads its weights.
    pub fn build(&self) -> Result<Model> {
        build(VggSpec {
            family: "vgg19",
            convs_per_block: [2, 2, 4, 4, 4],
            input_shape: self.input_shape,
            include_top: self.include_top,
            weights: &self.weights,
            pooling: self.pooling,
            classes: self.classes,
            classifier_activation: self.classifier_activation,
            name: self.name.clone(),
            hashes: (
                "cbe5617147190e668d6c5d5026f83318",
                "253f8cb515780f3b799900260a226db6",
            ),
        })
    }
}

/// Keras's `vgg19.preprocess_input` ("caffe"): RGB images in `[0, 255]` to BGR with the
/// ImageNet mean of each channel subtracted.
pub fn preprocess_input(x: &Tensor) -> Tensor {
    imagenet_utils::preprocess_input(x, Mode::Caffe)
}

/// Keras's `vgg19.decode_predictions` (see [`imagenet_utils::decode_predictions`]).
pub fn decode_predictions(preds: &Tensor, top: usize) -> Result<Predictions> {
    imagenet_utils::decode_predictions(preds, top)
}
