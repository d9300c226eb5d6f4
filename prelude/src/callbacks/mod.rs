//! Keras's `keras.callbacks`.
