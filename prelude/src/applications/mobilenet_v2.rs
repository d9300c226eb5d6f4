//! Keras's `keras.applications.mobilenet_v2`: MobileNetV2 (Sandler et al. 2018), its
//! `preprocess_input` (scale to `[-1, 1]`) and `decode_predictions`.

use super::imagenet_utils::{self, Mode, Predictions};
use super::weights::{no_published, Published, Weights};
use super::{classifier, finish, pool};
use crate::error::{Error, Result};
use crate::layers::{
    Add, BatchNormalization, Conv2D, DepthwiseConv2D, GlobalAveragePooling2D, Input, KerasTensor,
    ReLU, ZeroPadding2D,
};
use crate::models::Model;
use tch::Tensor;

const BASE_WEIGHT_PATH: &str =
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/";

/// MobileNetV2's options, as Keras's arguments; `build()` makes the model.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let base = MobileNetV2 {
///     input_shape: Some([160, 160, 3]),
///     include_top: false,
///     weights: "imagenet".into(), // Keras's mobilenet_v2_…_1.0_160_no_top.h5
///     ..Default::default()
/// }
/// .build()?;
/// assert_eq!(base.layers().len(), 154);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MobileNetV2 {
    /// One image's shape `[rows, cols, 3]`; `None`: `[224, 224, 3]`.
    pub input_shape: Option<[i64; 3]>,
    /// The width multiplier: 0.35, 0.5, 0.75, 1.0 (default), 1.3 or 1.4 have ImageNet weights.
    pub alpha: f64,
    /// Whether to end in the 1000-class classifier (`GlobalAveragePooling2D` + `Dense`).
    pub include_top: bool,
    /// `"imagenet"` (default), `""` for random weights, or a weights file's path.
    pub weights: Weights,
    /// Without the top: `Some("avg")` or `Some("max")` pools the features to a vector.
    pub pooling: Option<&'static str>,
    /// With the top: how many classes (1000 for ImageNet weights).
    pub classes: i64,
    /// The classifier's activation (`"softmax"`, or `""` / `"linear"` for logits).
    pub classifier_activation: &'static str,
    /// The model's name; `None`: Keras's `mobilenetv2_1.00_224`.
    pub name: Option<String>,
}

impl Default for MobileNetV2 {
    fn default() -> Self {
        MobileNetV2 {
            input_shape: None,
            alpha: 1.0,
            include_top: true,
            weights: Weights::Imagenet,
            pooling: None,
            classes: 1000,
            classifier_activation: "softmax",
            name: None,
        }
    }
}

/// Keras's `_make_divisible`: `v` rounded to a multiple of `divisor`, never below 90 % of it.
fn make_divisible(v: f64, divisor: i64) -> i64 {
    let new_v = divisor.max((v + divisor as f64 / 2.0) as i64 / divisor * divisor);
    if (new_v as f64) < 0.9 * v {
        new_v + divisor
    } else {
        new_v
    }
}

/// Keras's `correct_pad` for a 3×3 kernel: pads so a stride-2 convolution sees TF's "same".
fn correct_pad(x: &KerasTensor) -> ((i64, i64), (i64, i64)) {
    let s = x.shape();
    let adjust = |d: i64| if d > 0 { 1 - d % 2 } else { 1 };
    ((1 - adjust(s[0]), 1), (1 - adjust(s[1]), 1))
}

fn bn(x: &KerasTensor, name: &str) -> Result<KerasTensor> {
    BatchNormalization::new()
        .epsilon(1e-3)
        .momentum(0.999)
        .name(name)
        .call(x)
}

fn relu6(x: &KerasTensor, name: &str) -> Result<KerasTensor> {
    ReLU::new().max_value(6.0).name(name).call(x)
}

fn inverted_res_block(
    inputs: &KerasTensor,
    expansion: i64,
    stride: i64,
    alpha: f64,
    filters: i64,
    block_id: usize,
) -> Result<KerasTensor> {
    let in_channels = *inputs.shape().last().expect("an image tensor");
    let pointwise_filters = make_divisible((filters as f64 * alpha) as i64 as f64, 8);
    let mut x = inputs.clone();
    let prefix = if block_id > 0 {
        let prefix = format!("block_{block_id}_");
        x = Conv2D::new(expansion * in_channels, 1)
            .padding("same")
            .use_bias(false)
            .name(format!("{prefix}expand"))
            .call(&x)?;
        x = bn(&x, &format!("{prefix}expand_BN"))?;
        x = relu6(&x, &format!("{prefix}expand_relu"))?;
        prefix
    } else {
        "expanded_conv_".to_string()
    };
    if stride == 2 {
        x = ZeroPadding2D::new(correct_pad(&x))
            .name(format!("{prefix}pad"))
            .call(&x)?;
    }
    x = DepthwiseConv2D::new(3)
        .strides(stride)
        .use_bias(false)
        .padding(if stride == 1 { "same" } else { "valid" })
        .name(format!("{prefix}depthwise"))
        .call(&x)?;
    x = bn(&x, &format!("{prefix}depthwise_BN"))?;
    x = relu6(&x, &format!("{prefix}depthwise_relu"))?;
    x = Conv2D::new(pointwise_filters, 1)
        .padding("same")
        .use_bias(false)
        .name(format!("{prefix}project"))
        .call(&x)?;
    x = bn(&x, &format!("{prefix}project_BN"))?;
    if in_channels == pointwise_filters && stride == 1 {
        return Add::new().name(format!("{prefix}add")).call(&[inputs, &x]);
    }
    Ok(x)
}

/// The blocks after the stem: (filters, stride, expansion) for block ids 0–16.
const BLOCKS: [(i64, i64, i64); 17] = [
    (16, 1, 1),
    (24, 2, 6),
    (24, 1, 6),
    (32, 2, 6),
    (32, 1, 6),
    (32, 1, 6),
    (64, 2, 6),
    (64, 1, 6),
    (64, 1, 6),
    (64, 1, 6),
    (96, 1, 6),
    (96, 1, 6),
    (96, 1, 6),
    (160, 2, 6),
    (160, 1, 6),
    (160, 1, 6),
    (320, 1, 6),
];

impl MobileNetV2 {
    /// Builds the model (Keras's layer names and order) and loads its weights.
    pub fn build(&self) -> Result<Model> {
        let [rows, cols, channels] = self.input_shape.unwrap_or([224, 224, 3]);
        if channels != 3 || rows < 32 || cols < 32 {
            return Err(Error::InvalidArgument(format!(
                "MobileNetV2: input_shape must be [rows, cols, 3] with rows and cols at least 32, got [{rows}, {cols}, {channels}]"
            )));
        }
        let alpha = self.alpha;
        let inputs = Input::new([rows, cols, channels]);
        let mut x = Conv2D::new(make_divisible(32.0 * alpha, 8), 3)
            .strides(2)
            .padding("same")
            .use_bias(false)
            .name("Conv1")
            .call(&inputs)?;
        x = bn(&x, "bn_Conv1")?;
        x = relu6(&x, "Conv1_relu")?;
        for (id, &(filters, stride, expansion)) in BLOCKS.iter().enumerate() {
            x = inverted_res_block(&x, expansion, stride, alpha, filters, id)?;
        }
        let last = if alpha > 1.0 {
            make_divisible(1280.0 * alpha, 8)
        } else {
            1280
        };
        x = Conv2D::new(last, 1)
            .use_bias(false)
            .name("Conv_1")
            .call(&x)?;
        x = bn(&x, "Conv_1_bn")?;
        x = relu6(&x, "out_relu")?;
        let x = if self.include_top {
            let x = GlobalAveragePooling2D::new().call(&x)?;
            classifier(&x, self.classes, self.classifier_activation, &self.weights)?
        } else {
            pool(&x, self.pooling, None)?
        };
        // As Keras: with ImageNet weights, a size without its own file is named (and loads) 224.
        let named_rows = match self.weights {
            Weights::Imagenet => published_size(rows, cols),
            _ => rows,
        };
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| format!("mobilenetv2_{alpha:.2}_{named_rows}"));
        finish(&inputs, &x, &name, &self.weights, || {
            self.published(rows, cols)
        })
    }

    fn published(&self, rows: i64, cols: i64) -> Result<Published> {
        if ![0.35, 0.5, 0.75, 1.0, 1.3, 1.4].contains(&self.alpha) {
            return Err(no_published(
                "MobileNetV2",
                &format!("alpha {}", self.alpha),
            ));
        }
        let size = published_size(rows, cols);
        let alpha = format!("{:?}", self.alpha);
        let file = if self.include_top {
            format!("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{size}.h5")
        } else {
            format!("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{size}_no_top.h5")
        };
        Ok(Published {
            what: format!("MobileNetV2 ImageNet weights (alpha {alpha}, {size}×{size})"),
            url: format!("{BASE_WEIGHT_PATH}{file}"),
            file,
            hash: None,
        })
    }
}

/// The size of the published file for an input: its own, or 224 (as Keras: the
/// convolutions fit any size).
fn published_size(rows: i64, cols: i64) -> i64 {
    if rows == cols && [96, 128, 160, 192, 224].contains(&rows) {
        rows
    } else {
        224
    }
}

/// Keras's `mobilenet_v2.preprocess_input`: images in `[0, 255]` scaled to `[-1, 1]`.
pub fn preprocess_input(x: &Tensor) -> Tensor {
    imagenet_utils::preprocess_input(x, Mode::Tf)
}

/// Keras's `mobilenet_v2.decode_predictions` (see [`imagenet_utils::decode_predictions`]).
pub fn decode_predictions(preds: &Tensor, top: usize) -> Result<Predictions> {
    imagenet_utils::decode_predictions(preds, top)
}
