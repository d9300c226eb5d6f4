//! Keras's `keras.backend`.
