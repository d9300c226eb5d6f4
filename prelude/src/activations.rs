//! Keras's `keras.activations`.
