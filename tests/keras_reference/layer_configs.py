"""Keras's side of the layer-config test (issue 22 part 1): Keras 3's `get_config()` of a
few layers, each made with the same arguments as its twin in
prelude/tests/layers_keras_configs.rs, written as one JSON object {case: config}.

    KERAS_BACKEND=torch python tests/keras_reference/layer_configs.py OUT.json

No weights, no network: configs only. Made with keras 3.15.1 (the test venv).
"""

import json
import sys

import keras
from keras import layers as L

CASES = {
    "dense": L.Dense(64, activation="relu", name="dense_a"),
    "dense_no_bias": L.Dense(3, use_bias=False, name="dense_b"),
    "conv2d": L.Conv2D(8, 3, name="conv_a"),
    "conv2d_options": L.Conv2D(
        8, (3, 5), strides=2, padding="same", activation="relu", use_bias=False, name="conv_b"
    ),
    "conv1d": L.Conv1D(4, 5, name="conv_c"),
    "depthwise_conv2d": L.DepthwiseConv2D(3, depth_multiplier=2, name="dw"),
    "separable_conv2d": L.SeparableConv2D(4, 3, padding="same", name="sep"),
    "max_pooling2d": L.MaxPooling2D(name="pool_a"),
    "max_pooling2d_strides": L.MaxPooling2D((3, 3), strides=2, padding="same", name="pool_b"),
    "batch_normalization": L.BatchNormalization(momentum=0.9, epsilon=1e-5, name="bn"),
    "dropout": L.Dropout(0.25, name="drop"),
    "embedding": L.Embedding(10, 4, name="emb"),
    "lstm": L.LSTM(5, return_sequences=True, name="lstm_a"),
    "concatenate": L.Concatenate(name="cat"),
    "reshape": L.Reshape((2, 3), name="reshape_a"),
    "flatten": L.Flatten(name="flat"),
    "global_average_pooling2d": L.GlobalAveragePooling2D(name="gap"),
    "global_max_pooling2d_keepdims": L.GlobalMaxPooling2D(keepdims=True, name="gmp"),
    "zero_padding2d": L.ZeroPadding2D(((1, 2), (3, 4)), name="zp"),
    "cropping2d": L.Cropping2D(((1, 1), (2, 0)), name="crop"),
    "up_sampling2d": L.UpSampling2D((2, 3), interpolation="bilinear", name="up"),
    "activation": L.Activation("softmax", name="act"),
    "relu": L.ReLU(max_value=6.0, name="relu6"),
    "leaky_relu": L.LeakyReLU(negative_slope=0.2, name="lrelu"),
    "rescaling": L.Rescaling(1 / 255.0, name="rescale"),
    "repeat_vector": L.RepeatVector(3, name="repeat"),
    "permute": L.Permute((2, 1), name="perm"),
    "add": L.Add(name="add_a"),
}


def main(out):
    assert keras.__version__.startswith("3."), keras.__version__
    configs = {case: layer.get_config() for case, layer in CASES.items()}
    with open(out, "w") as f:
        json.dump(configs, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
