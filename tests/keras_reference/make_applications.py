"""Keras ground truth for the prelude's `keras.applications` (issue 14), made without the network.

For each case, builds Keras's own application with random weights (`weights=None`, then every
weight drawn from a fixed seed, BatchNormalization statistics included, so a misplaced weight
shows), and writes into OUTDIR:

- `models/<published file name>`: the weights in the legacy HDF5 layout of Keras's published
  ImageNet files (as Keras 2 wrote them: fixed-length byte-string `layer_names` and
  `weight_names` attributes, `<layer>/<weight>:0` datasets), under the very name Keras
  downloads, so the Rust side's `weights: "imagenet"` finds it in its cache;
- `<case>.weights.h5`: the same weights as Keras 3's `model.save_weights` writes them;
- `<case>.npz`: a fixed input batch `x` (pixels in [0, 255]) and Keras's output `y` for
  `model(preprocess_input(x))`;
- `reference.json`: per case, the options, the published file name, `count_params()`,
  `len(model.layers)` and the layer names; parameter and layer counts of the full-size
  configurations (built, not run); and `decode_predictions` of a fixture class index;
- `models/imagenet_class_index.json`: that fixture, in Keras's format (made-up wnids and names:
  the real index needs the network).

It also writes `keras3_legacy.h5`: one case in the legacy layout as Keras 3 writes it
(variable-length strings), and a transfer model (MobileNetV2 base in a Sequential with a head)
in both layouts, to check nested models.

Environment: Keras 3 on its torch backend with h5py (tests/run.sh installs `keras` and `h5py`
from kernel/scripts/requirements-test.txt into the project venv, whose torch Keras uses):

    KERAS_BACKEND=torch python tests/keras_reference/make_applications.py OUTDIR

Made with keras 3.15.1, h5py 3.16 and torch 2.13.0 (recorded in reference.json).
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from keras.src.applications import imagenet_utils  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

APPS = keras.applications

# name: (constructor, preprocess_input, kwargs, published file name)
CASES = {
    "mobilenet_v2_1.0_96_no_top": (
        APPS.MobileNetV2,
        APPS.mobilenet_v2.preprocess_input,
        dict(input_shape=(96, 96, 3), alpha=1.0, include_top=False),
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5",
    ),
    "mobilenet_v2_0.35_96_no_top": (
        APPS.MobileNetV2,
        APPS.mobilenet_v2.preprocess_input,
        dict(input_shape=(96, 96, 3), alpha=0.35, include_top=False),
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5",
    ),
    "mobilenet_v2_1.0_96": (
        APPS.MobileNetV2,
        APPS.mobilenet_v2.preprocess_input,
        dict(input_shape=(96, 96, 3), alpha=1.0, include_top=True),
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96.h5",
    ),
    "mobilenet_v2_0.35_96": (
        APPS.MobileNetV2,
        APPS.mobilenet_v2.preprocess_input,
        dict(input_shape=(96, 96, 3), alpha=0.35, include_top=True),
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5",
    ),
    "resnet50_64_no_top": (
        APPS.ResNet50,
        APPS.resnet50.preprocess_input,
        dict(input_shape=(64, 64, 3), include_top=False),
        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ),
    "vgg16_64_no_top": (
        APPS.VGG16,
        APPS.vgg16.preprocess_input,
        dict(input_shape=(64, 64, 3), include_top=False),
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ),
}

# Built only (not run, no files): parameter and layer counts of the sizes the course uses.
COUNTS = {
    "MobileNetV2_224": (APPS.MobileNetV2, dict()),
    "MobileNetV2_160_no_top": (APPS.MobileNetV2, dict(input_shape=(160, 160, 3), include_top=False)),
    "MobileNetV2_0.35_224": (APPS.MobileNetV2, dict(alpha=0.35)),
    "MobileNetV2_1.4_224": (APPS.MobileNetV2, dict(alpha=1.4)),
    "ResNet50": (APPS.ResNet50, dict()),
    "ResNet50_no_top": (APPS.ResNet50, dict(include_top=False, input_shape=(224, 224, 3))),
    "VGG16": (APPS.VGG16, dict()),
    "VGG16_no_top": (APPS.VGG16, dict(include_top=False, input_shape=(224, 224, 3))),
    "VGG19": (APPS.VGG19, dict()),
    "VGG19_no_top": (APPS.VGG19, dict(include_top=False, input_shape=(224, 224, 3))),
}


# BatchNormalization scales per case: ResNet50's sums of 16 residual blocks grow to features
# in the thousands with gammas around 1, where float32 rounding alone exceeds the 1e-4 the
# comparison allows; gammas in [0.2, 0.5] keep its features near 1, as trained weights do.
GAMMA = {"resnet50_64_no_top": (0.2, 0.5)}


def randomize(layer_list, rng, gamma=(0.5, 1.5)):
    """Every weight drawn afresh: kernels at Keras's initial scale, biases and BatchNormalization
    statistics away from their trivial initial values."""
    for layer in layer_list:
        for w in layer.weights:
            shape = tuple(w.shape)
            name = w.name
            if name == "kernel" or name == "depthwise_kernel":
                fan_in = int(np.prod(shape[:-1])) if name == "kernel" else int(np.prod(shape[:2]))
                v = rng.normal(0.0, np.sqrt(1.0 / max(fan_in, 1)), shape)
            elif name == "gamma":
                v = rng.uniform(*gamma, shape)
            elif name == "moving_variance":
                v = rng.uniform(0.5, 1.5, shape)
            else:  # bias, beta, moving_mean
                v = rng.normal(0.0, 0.1, shape)
            w.assign(v.astype("float32"))


def write_keras2_legacy(model, path):
    """The layout of Keras's published files (Keras 2's `save_weights_to_hdf5_group`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([l.name.encode() for l in model.layers], dtype="S")
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in model.layers:
            g = f.create_group(layer.name)
            names = [f"{layer.name}/{w.name}:0" for w in layer.weights]
            if names:
                g.attrs["weight_names"] = np.array([n.encode() for n in names], dtype="S")
            else:
                g.attrs["weight_names"] = np.zeros((0,), dtype="float64")
            for n, w in zip(names, layer.weights):
                g.create_dataset(n, data=np.asarray(keras.ops.convert_to_numpy(w)))


def describe(model):
    return {
        "count_params": int(model.count_params()),
        "num_layers": len(model.layers),
        "layer_names": [l.name for l in model.layers],
        "model_name": model.name,
    }


def main(out):
    out = Path(out)
    (out / "models").mkdir(parents=True, exist_ok=True)
    ref = {
        "versions": {"keras": keras.__version__, "h5py": h5py.__version__, "numpy": np.__version__},
        "cases": {},
        "counts": {},
    }
    rng = np.random.default_rng(14)
    for case, (ctor, pre, kwargs, published) in CASES.items():
        keras.backend.clear_session()
        model = ctor(weights=None, **kwargs)
        randomize(model.layers, rng, GAMMA.get(case, (0.5, 1.5)))
        write_keras2_legacy(model, out / "models" / published)
        model.save_weights(out / f"{case}.weights.h5")
        shape = kwargs["input_shape"]
        x = rng.uniform(0.0, 255.0, (2, *shape)).astype("float32")
        y = keras.ops.convert_to_numpy(model(pre(x.copy()), training=False))
        np.savez(out / f"{case}.npz", x=x, y=y.astype("float32"))
        entry = describe(model)
        entry.update(options={k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()})
        entry["published"] = published
        ref["cases"][case] = entry
        if case == "mobilenet_v2_0.35_96_no_top":
            with h5py.File(out / "keras3_legacy.h5", "w") as f:
                legacy_h5_format.save_weights_to_hdf5_group(f, model)
            # A transfer model: the base nested in a Sequential under a new head.
            head = layers.Dense(1, activation="sigmoid", name="head")
            transfer = keras.Sequential(
                [keras.Input(shape), model, layers.GlobalAveragePooling2D(name="gap"), head]
            )
            randomize([head], rng)
            transfer.save_weights(out / "transfer.weights.h5")
            with h5py.File(out / "transfer.h5", "w") as f:
                legacy_h5_format.save_weights_to_hdf5_group(f, transfer)
            ty = keras.ops.convert_to_numpy(transfer(pre(x.copy()), training=False))
            np.savez(out / "transfer.npz", x=x, y=ty.astype("float32"))
    for name, (ctor, kwargs) in COUNTS.items():
        keras.backend.clear_session()
        model = ctor(weights=None, **kwargs)
        ref["counts"][name] = {
            "count_params": int(model.count_params()),
            "num_layers": len(model.layers),
            "model_name": model.name,
        }
        del model
    # decode_predictions against a fixture index in Keras's format.
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (out / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    imagenet_utils.CLASS_INDEX = index
    preds = rng.uniform(0.0, 1.0, (2, 1000)).astype("float32")
    np.savez(out / "decode.npz", preds=preds)
    decoded = imagenet_utils.decode_predictions(preds, top=3)
    ref["decode_top3"] = [[[w, n, float(s)] for (w, n, s) in row] for row in decoded]
    (out / "reference.json").write_text(json.dumps(ref, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
