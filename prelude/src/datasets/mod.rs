//! Keras's `keras.datasets`.
