//! Keras's `keras.plot`.
