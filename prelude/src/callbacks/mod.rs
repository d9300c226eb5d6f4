//! Keras's `keras.callbacks`: hooks into `fit`, and the `History` it returns.

pub mod history;

pub use history::History;
