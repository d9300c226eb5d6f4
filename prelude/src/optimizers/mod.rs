//! Keras's `keras.optimizers`.
