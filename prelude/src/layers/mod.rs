//! Keras's `keras.layers`, channels-last like Keras.
//!
//! A layer is written as a builder (`Dense::new(512).activation("relu")`) and becomes a
//! [`Layer`] handle when added to a model or called. A `Layer` is cheap to clone and every
//! clone refers to the same weights, so one layer can sit in two models (the autoencoder →
//! encoder pattern).
//!
//! ```
//! use ferrokeras::prelude::*;
//! let dense: Layer = Dense::new(3).into();
//! let y = dense.call(&Tensor::ones([2, 4], (Kind::Float, Device::Cpu))).unwrap();
//! assert_eq!(y.size(), vec![2, 3]);
//! assert_eq!(dense.kernel().unwrap().size(), vec![4, 3]); // Keras layout (in, out)
//! assert_eq!(dense.count_params(), 15);
//! ```

mod activation;
mod average_pooling2d;
mod batch_normalization;
mod conv1d;
mod conv2d;
mod conv3d;
mod conv_common;
mod dense;
mod dropout;
mod embedding;
mod flatten;
mod functional;
mod global_average_pooling2d;
mod handle;
mod leaky_relu;
mod lstm;
mod max_pooling;
mod pooling_common;
mod registry;
mod rescaling;

pub use self::activation::Activation;
pub use self::average_pooling2d::AveragePooling2D;
pub use self::batch_normalization::BatchNormalization;
pub use self::conv1d::Conv1D;
pub use self::conv2d::Conv2D;
pub use self::conv3d::Conv3D;
pub use self::conv_common::SpatialDims;
pub use self::dense::Dense;
pub use self::dropout::Dropout;
pub use self::embedding::Embedding;
pub use self::flatten::Flatten;
pub use self::functional::{Input, KerasTensor};
pub use self::global_average_pooling2d::GlobalAveragePooling2D;
pub use self::handle::{CallArg, Layer, LayerKind, LayerOpts, Weight};
pub use self::leaky_relu::LeakyReLU;
pub use self::lstm::LSTM;
pub use self::max_pooling::{MaxPooling1D, MaxPooling2D, MaxPooling3D};
pub use self::rescaling::Rescaling;

pub(crate) use self::handle::{layer_builder, layer_shape_err, unique_name};
pub(crate) use self::registry::build_layer_from_config;
