//! Keras's `keras.applications.resnet` (`ResNet50`, He et al. 2015), its `preprocess_input`
//! ("caffe": BGR, ImageNet means subtracted) and `decode_predictions`.

use super::imagenet_utils::{self, Mode, Predictions};
use super::weights::{Published, Weights};
use super::{classifier, finish, pool};
use crate::error::{Error, Result};
use crate::layers::{
    Activation, Add, BatchNormalization, Conv2D, GlobalAveragePooling2D, Input, KerasTensor,
    MaxPooling2D, ZeroPadding2D,
};
use crate::models::Model;
use tch::Tensor;

const BASE_WEIGHTS_PATH: &str =
    "https://storage.googleapis.com/tensorflow/keras-applications/resnet/";

/// ResNet50's options, as Keras's arguments; `build()` makes the model.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let model = ResNet50 { weights: "imagenet".into(), ..Default::default() }.build()?;
/// assert_eq!(model.count_params(), 25_636_712);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ResNet50 {
    /// One image's shape `[rows, cols, 3]` (at least 32×32); `None`: `[224, 224, 3]`.
    pub input_shape: Option<[i64; 3]>,
    /// Whether to end in the 1000-class classifier (`avg_pool` + `predictions`).
    pub include_top: bool,
    /// `"imagenet"` (default), `""` for random weights, or a weights file's path.
    pub weights: Weights,
    /// Without the top: `Some("avg")` or `Some("max")` pools the features to a vector.
    pub pooling: Option<&'static str>,
    /// With the top: how many classes (1000 for ImageNet weights).
    pub classes: i64,
    /// The classifier's activation (`"softmax"`, or `""` / `"linear"` for logits).
    pub classifier_activation: &'static str,
    /// The model's name; `None`: `resnet50`.
    pub name: Option<String>,
}

impl Default for ResNet50 {
    fn default() -> Self {
        ResNet50 {
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

fn bn(x: &KerasTensor, name: &str) -> Result<KerasTensor> {
    BatchNormalization::new()
        .epsilon(1.001e-5)
        .name(name)
        .call(x)
}

/// Keras's `residual_block_v1`: a bottleneck block, with a projection shortcut when
/// `conv_shortcut`.
fn block(
    x: &KerasTensor,
    filters: i64,
    stride: i64,
    conv_shortcut: bool,
    name: &str,
) -> Result<KerasTensor> {
    let shortcut = if conv_shortcut {
        let s = Conv2D::new(4 * filters, 1)
            .strides(stride)
            .name(format!("{name}_0_conv"))
            .call(x)?;
        bn(&s, &format!("{name}_0_bn"))?
    } else {
        x.clone()
    };
    let mut y = Conv2D::new(filters, 1)
        .strides(stride)
        .name(format!("{name}_1_conv"))
        .call(x)?;
    y = bn(&y, &format!("{name}_1_bn"))?;
    y = Activation::new("relu")
        .name(format!("{name}_1_relu"))
        .call(&y)?;
    y = Conv2D::new(filters, 3)
        .padding("same")
        .name(format!("{name}_2_conv"))
        .call(&y)?;
    y = bn(&y, &format!("{name}_2_bn"))?;
    y = Activation::new("relu")
        .name(format!("{name}_2_relu"))
        .call(&y)?;
    y = Conv2D::new(4 * filters, 1)
        .name(format!("{name}_3_conv"))
        .call(&y)?;
    y = bn(&y, &format!("{name}_3_bn"))?;
    let y = Add::new()
        .name(format!("{name}_add"))
        .call(&[&shortcut, &y])?;
    Activation::new("relu").name(format!("{name}_out")).call(&y)
}

/// Keras's `stack_residual_blocks_v1`.
fn stack(
    x: &KerasTensor,
    filters: i64,
    blocks: usize,
    stride1: i64,
    name: &str,
) -> Result<KerasTensor> {
    let mut x = block(x, filters, stride1, true, &format!("{name}_block1"))?;
    for i in 2..=blocks {
        x = block(&x, filters, 1, false, &format!("{name}_block{i}"))?;
    }
    Ok(x)
}

impl ResNet50 {
    /// Builds the model (Keras's layer names and order) and loads its weights.
    pub fn build(&self) -> Result<Model> {
        let [rows, cols, channels] = self.input_shape.unwrap_or([224, 224, 3]);
        if channels != 3 || rows < 32 || cols < 32 {
            return Err(Error::InvalidArgument(format!(
                "ResNet50: input_shape must be [rows, cols, 3] with rows and cols at least 32, got [{rows}, {cols}, {channels}]"
            )));
        }
        let inputs = Input::new([rows, cols, channels]);
        let mut x = ZeroPadding2D::new(((3, 3), (3, 3)))
            .name("conv1_pad")
            .call(&inputs)?;
        x = Conv2D::new(64, 7).strides(2).name("conv1_conv").call(&x)?;
        x = bn(&x, "conv1_bn")?;
        x = Activation::new("relu").name("conv1_relu").call(&x)?;
        x = ZeroPadding2D::new(((1, 1), (1, 1)))
            .name("pool1_pad")
            .call(&x)?;
        x = MaxPooling2D::new(3)
            .strides(2)
            .name("pool1_pool")
            .call(&x)?;
        x = stack(&x, 64, 3, 1, "conv2")?;
        x = stack(&x, 128, 4, 2, "conv3")?;
        x = stack(&x, 256, 6, 2, "conv4")?;
        x = stack(&x, 512, 3, 2, "conv5")?;
        let x = if self.include_top {
            let x = GlobalAveragePooling2D::new().name("avg_pool").call(&x)?;
            classifier(&x, self.classes, self.classifier_activation, &self.weights)?
        } else {
            pool(&x, self.pooling, Some(("avg_pool", "max_pool")))?
        };
        let name = self.name.clone().unwrap_or_else(|| "resnet50".into());
        finish(&inputs, &x, &name, &self.weights, || Ok(self.published()))
    }

    fn published(&self) -> Published {
        let (file, hash) = if self.include_top {
            (
                "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
                "2cb95161c43110f7111970584f804107",
            )
        } else {
            (
                "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "4d473c1dd8becc155b73f8504c6f6626",
            )
        };
        Published {
            what: "ResNet50 ImageNet weights".into(),
            file: file.into(),
            url: format!("{BASE_WEIGHTS_PATH}{file}"),
            hash: Some(hash),
        }
    }
}

/// Keras's `resnet50.preprocess_input` ("caffe"): RGB images in `[0, 255]` to BGR with the
/// ImageNet mean of each channel subtracted.
pub fn preprocess_input(x: &Tensor) -> Tensor {
    imagenet_utils::preprocess_input(x, Mode::Caffe)
}

/// Keras's `resnet50.decode_predictions` (see [`imagenet_utils::decode_predictions`]).
pub fn decode_predictions(preds: &Tensor, top: usize) -> Result<Predictions> {
    imagenet_utils::decode_predictions(preds, top)
}
