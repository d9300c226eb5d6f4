//! Keras's `keras.utils`.
