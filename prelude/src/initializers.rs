//! Keras's `keras.initializers`.
