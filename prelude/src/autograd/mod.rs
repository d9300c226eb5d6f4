//! Automatic differentiation for hand-written training: TensorFlow's `tf.GradientTape`, on
//! libtorch's autograd. With it and `Optimizer::apply_gradients` a notebook writes Keras's
//! "training loop from scratch".

mod gradient_tape;

pub use gradient_tape::{GradientSources, GradientTape};
