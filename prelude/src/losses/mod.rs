//! Keras's `keras.losses`.
