//! Everything a notebook cell needs, in one `use ferrokeras::prelude::*;`
//! (the kernel adds that line before the first cell).

pub use crate::error::{Error, Result};
pub use crate::runtime::{
    check_interrupt, display, input, interrupted, DisplayHandle, EvcxrDisplay, MimeBundle,
    ProgressBar, Render,
};

// libtorch, for the low-level cells (tensors, autograd, hand-written layers).
pub use tch::nn::{Module, ModuleT, OptimizerConfig};
// `tch` itself too, so a cell can follow tch's docs (`tch::Cuda::device_count()`).
pub use tch::{self, nn, no_grad, Device, IndexOp, Kind, Tensor};

pub use crate::activations::*;
pub use crate::autograd::*;
// `keras.applications`: the models, and each family's module (`mobilenet_v2::preprocess_input`).
pub use crate::applications::{
    imagenet_utils, mobilenet_v2, resnet, resnet50, style_transfer, vgg16, vgg19, MobileNetV2,
    Predictions, ResNet50, StyleTransfer, Weights, VGG16, VGG19,
};
pub use crate::backend::*;
pub use crate::callbacks::*;
pub use crate::data_adapter::Tensors;
pub use crate::layers::*;
pub use crate::losses::*;
pub use crate::metrics::*;
pub use crate::model_selection::*;
pub use crate::models::*;
pub use crate::optimizers::*;
pub use crate::trainers::*;

pub use crate::datasets::*;
pub use crate::preprocessing::*;
pub use crate::utils::*;

pub use crate::plot::*;
