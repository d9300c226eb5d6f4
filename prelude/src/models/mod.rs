//! Keras's `keras.models`.
