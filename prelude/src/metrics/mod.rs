//! Keras's `keras.metrics`.
