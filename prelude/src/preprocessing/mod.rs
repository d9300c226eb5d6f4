//! Keras's `keras.preprocessing`.
