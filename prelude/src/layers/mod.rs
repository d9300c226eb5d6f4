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
mod add;
mod average;
mod average_pooling2d;
mod batch_normalization;
mod builder;
mod call;
mod concatenate;
mod config;
mod conv1d;
mod conv2d;
mod conv3d;
mod conv_common;
mod conv_config;
mod cropping2d;
mod dense;
mod depthwise_common;
mod depthwise_config;
mod depthwise_conv2d;
#[cfg(test)]
mod device_placement_tests;
mod dropout;
mod embedding;
mod flatten;
mod global_average_pooling2d;
mod global_max_pooling2d;
mod handle;
mod image_common;
mod input_layer;
mod keras_object;
mod kind;
mod leaky_relu;
mod lookup;
mod lstm;
mod max_pooling;
mod maximum;
mod merge_common;
mod minimum;
mod multiply;
mod node;
mod padding;
mod permute;
mod pooling_common;
mod relu;
mod repeat_vector;
mod rescaling;
mod reshape;
mod separable_conv2d;
mod shape_error;
mod subtract;
mod up_sampling2d;
mod weight;
mod weight_access;
mod zero_padding2d;

pub use self::activation::Activation;
pub use self::add::Add;
pub use self::average::Average;
pub use self::average_pooling2d::AveragePooling2D;
pub use self::batch_normalization::{BatchNormalization, BatchNormalizationConfig};
pub use self::builder::LayerOpts;
pub use self::call::CallArg;
pub use self::concatenate::Concatenate;
pub use self::conv1d::Conv1D;
pub use self::conv2d::Conv2D;
pub use self::conv3d::Conv3D;
pub use self::conv_common::SpatialDims;
pub use self::conv_config::ConvConfig;
pub use self::cropping2d::{Cropping2D, Cropping2DConfig};
pub use self::dense::{Dense, DenseConfig};
pub use self::depthwise_config::{DepthwiseConfig, PointwiseConfig};
pub use self::depthwise_conv2d::DepthwiseConv2D;
pub use self::dropout::{Dropout, DropoutConfig};
pub use self::embedding::{Embedding, EmbeddingConfig};
pub use self::flatten::{Flatten, FlattenConfig};
pub use self::global_average_pooling2d::GlobalAveragePooling2D;
pub use self::global_max_pooling2d::GlobalMaxPooling2D;
pub use self::image_common::{GlobalPoolingConfig, Margins2D};
pub use self::input_layer::Input;
pub use self::keras_object::{Dims, KerasObject};
pub use self::kind::{Layer, LayerKind, LayerSpec};
pub use self::leaky_relu::LeakyReLU;
pub use self::lookup::Lookup;
pub use self::lstm::{LSTMConfig, LSTM};
pub use self::max_pooling::{MaxPooling1D, MaxPooling2D, MaxPooling3D};
pub use self::maximum::Maximum;
pub use self::minimum::Minimum;
pub use self::multiply::Multiply;
pub use self::node::KerasTensor;
pub use self::permute::Permute;
pub use self::relu::ReLU;
pub use self::repeat_vector::RepeatVector;
pub use self::rescaling::Rescaling;
pub use self::reshape::Reshape;
pub use self::separable_conv2d::SeparableConv2D;
pub use self::subtract::Subtract;
pub use self::up_sampling2d::{UpSampling2D, UpSampling2DConfig};
pub use self::weight::Weight;
pub use self::zero_padding2d::{ZeroPadding2D, ZeroPadding2DConfig};

pub(crate) use self::builder::{delegate_layer_kind, delegate_layer_spec, layer_builder};
pub(crate) use self::conv_config::ConvSpec;
pub(crate) use self::handle::unique_name;
pub(crate) use self::input_layer::{shape_fits, InputLayer};
pub(crate) use self::kind::{Stage, WeakLayer};
pub use self::pooling_common::PoolConfig;
pub(crate) use self::pooling_common::PoolN;
pub(crate) use self::shape_error::layer_shape_err;
