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

mod conv;
mod core;
mod embedding;
mod functional;
mod handle;
mod normalization;
mod pooling;
mod recurrent;
mod registry;

pub use self::conv::{Conv1D, Conv2D, Conv3D, SpatialDims};
pub use self::core::{Activation, Dense, Dropout, Flatten, LeakyReLU, Rescaling};
pub use self::embedding::Embedding;
pub use self::functional::{Input, KerasTensor};
pub use self::handle::{CallArg, Layer, LayerKind, LayerOpts, Weight};
pub use self::normalization::BatchNormalization;
pub use self::pooling::{
    AveragePooling2D, GlobalAveragePooling2D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
};
pub use self::recurrent::LSTM;

pub(crate) use self::handle::{layer_builder, layer_shape_err, unique_name};
pub(crate) use self::registry::build_layer_from_config;
