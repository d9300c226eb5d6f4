//! Keras's `keras.layers`.
