"""Keras's side of the saving tests (issue 22): Keras 3 writes whole-model files for the
prelude to load, and loads the files the prelude writes. Made without the network.

    KERAS_BACKEND=torch python tests/keras_reference/make_saving.py make OUTDIR
    KERAS_BACKEND=torch python tests/keras_reference/make_saving.py check OUTDIR

`make` builds one small model per layer family the prelude has, the ticket model (3 inputs,
2 outputs), a siamese model, nested models and MobileNetV2 alpha 0.35, draws every weight from
a fixed seed (BatchNormalization statistics included, so a misplaced weight shows) and writes
into OUTDIR, per case:

- `<case>.keras` (Keras 3's archive) and `<case>.h5` (the legacy whole-model file);
- `<case>.keras2.h5`: that `.h5` as Keras 2 / tf.keras spelled it (no Keras 2 here to write
  it): `model_config` in Keras 2's form (nodes as nested lists, `batch_input_shape`, a
  Sequential without its InputLayer) and fixed-length byte-string attributes;
- `<case>.npz`: the inputs `x0`, `x1`, … and Keras's outputs `y0`, `y1`, … for them;
- `cases.json`: the case names, and per case whether Keras compiled it (and how).

`check` loads, with `keras.saving.load_model`, every `<name>.keras` / `<name>.h5` the
prelude wrote beside a `<name>.prelude.npz` (its inputs `x0`, … and the prelude's own
outputs `y0`, …), and with `model.load_weights` its `<name>.weights.h5` (Keras 3 layout) and
`<name>.legacy.h5` (legacy layout), and with `keras.models.model_from_json` its `<name>.json`;
predicts, and writes `checked.json`: per file the largest absolute difference from the
prelude's outputs and the largest output magnitude, or the error.

Made with keras 3.15.1, h5py 3.16 and torch 2.13.0 (the test venv).
"""

import copy
import json
import os
import sys
import traceback
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

SEED = 22


def dense():
    m = keras.Sequential(
        [keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")]
    )
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def conv():
    return keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            layers.Rescaling(1.0 / 255, offset=-0.5),
            layers.RandomFlip("horizontal"),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
            layers.SeparableConv2D(5, 3, strides=2, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(6, 1, use_bias=False),
            layers.GlobalAveragePooling2D(),
            layers.Dense(2),
        ]
    )


def conv1d_pooling():
    return keras.Sequential(
        [
            keras.Input((16, 3)),
            layers.Conv1D(4, 3, activation="relu"),
            layers.MaxPooling1D(2),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )


def pooling2d():
    i = keras.Input((8, 8, 2))
    a = layers.AveragePooling2D(2)(i)
    a = layers.GlobalMaxPooling2D()(a)
    b = layers.GlobalAveragePooling2D()(i)
    return keras.Model(i, layers.Concatenate()([a, b]))


def normalization_dropout():
    return keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(8),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Dropout(0.3),
            layers.Dense(4),
            layers.LeakyReLU(negative_slope=0.2),
            layers.ReLU(max_value=6.0),
        ]
    )


def embedding():
    return keras.Sequential(
        [keras.Input((6,)), layers.Embedding(20, 4), layers.Flatten(), layers.Dense(3)]
    )


def lstm():
    return keras.Sequential(
        [keras.Input((5, 3)), layers.LSTM(4, return_sequences=True), layers.LSTM(2)]
    )


def merges():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    ops = [layers.Add(), layers.Subtract(), layers.Multiply(), layers.Average(), layers.Maximum(), layers.Minimum()]
    outs = [op([a, b]) for op in ops]
    return keras.Model([a, b], layers.Concatenate(axis=-1)(outs))


def reshaping():
    i = keras.Input((4, 6, 2))
    x = layers.ZeroPadding2D(((1, 0), (0, 2)))(i)
    x = layers.Cropping2D(((0, 1), (1, 1)))(x)
    x = layers.UpSampling2D((2, 1))(x)
    x = layers.Permute((2, 1, 3))(x)
    x = layers.Reshape((-1, 4))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(3)(x)
    x = layers.RepeatVector(2)(x)
    return keras.Model(i, x)


def ticket():
    seq_len, num_tags, num_words, num_departments = 10, 12, 100, 4
    title_input = keras.Input(shape=(seq_len,), name="title")
    body_input = keras.Input(shape=(seq_len,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 16)(title_input)
    body_features = layers.Embedding(num_words, 16)(body_input)
    title_features = layers.LSTM(16)(title_features)
    body_features = layers.LSTM(8)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    m = keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs=[priority_pred, department_pred],
    )
    m.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.5),
        loss=["mse", "mse"],
        loss_weights=[1.0, 0.2],
    )
    return m


def siamese():
    d1 = layers.Dense(16, activation="relu")
    d2 = layers.Dense(8)
    a = keras.Input((10,))
    b = keras.Input((10,))
    diff = layers.Subtract()([d2(d1(a)), d2(d1(b))])
    return keras.Model([a, b], layers.Dense(1, activation="sigmoid")(diff))


def siamese_sequential_encoder():
    encoder = keras.Sequential([keras.Input((10,)), layers.Dense(16, activation="relu"), layers.Dense(8)])
    a = keras.Input((10,))
    b = keras.Input((10,))
    diff = layers.Subtract()([encoder(a), encoder(b)])
    return keras.Model([a, b], layers.Dense(1, activation="sigmoid")(diff))


def nested():
    i = keras.Input((8,))
    h = layers.Dense(16, activation="relu")(i)
    h = layers.BatchNormalization()(h)
    inner = keras.Model(i, layers.Dense(4)(h), name="inner")
    x = keras.Input((8,))
    out = layers.Dense(1)(inner(x))
    return keras.Model(x, out)


def nested_sequential():
    inner = keras.Sequential([keras.Input((8,)), layers.Dense(6, activation="tanh")], name="encoder")
    return keras.Sequential([keras.Input((8,)), inner, layers.Dense(2)])


def mobilenet_v2():
    return keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None
    )


CASES = {
    "dense": dense,
    "conv": conv,
    "conv1d_pooling": conv1d_pooling,
    "pooling2d": pooling2d,
    "normalization_dropout": normalization_dropout,
    "embedding": embedding,
    "lstm": lstm,
    "merges": merges,
    "reshaping": reshaping,
    "ticket": ticket,
    "siamese": siamese,
    "siamese_sequential_encoder": siamese_sequential_encoder,
    "nested": nested,
    "nested_sequential": nested_sequential,
    "mobilenet_v2_0.35": mobilenet_v2,
}


def randomize(model, rng):
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            v = rng.uniform(0.5, 1.5, shape)
        else:
            v = rng.normal(0.0, 0.3, shape)
        w.assign(v.astype("float32"))


def inputs_for(name, model, rng):
    xs = []
    for t in model.inputs:
        shape = (3,) + tuple(t.shape[1:])
        if name == "embedding" or (name == "ticket" and t.name in ("title", "body")):
            high = 20 if name == "embedding" else 100
            xs.append(rng.integers(0, high, shape).astype("float32"))
        elif name == "conv":
            xs.append(rng.uniform(0, 255, shape).astype("float32"))
        else:
            xs.append(rng.normal(0, 1, shape).astype("float32"))
    return xs


def as_list(y):
    return [np.asarray(v) for v in y] if isinstance(y, (list, tuple)) else [np.asarray(y)]


def keras2_nodes(node):
    """Keras 3's `{"args", "kwargs"}` node as Keras 2's list of `[layer, node, tensor, {}]`."""
    found = []

    def walk(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            found.append(list(v["config"]["keras_history"]) + [{}])
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    walk(node["args"])
    return found


def keras2_layer(layer):
    layer = {k: v for k, v in layer.items() if k not in ("module", "registered_name", "build_config")}
    if layer["class_name"] in ("Sequential", "Functional"):
        inner = keras2_spelling(layer)
        layer["config"] = inner["config"]
        layer["class_name"] = inner["class_name"]
    elif layer["class_name"] == "InputLayer":
        c = dict(layer["config"])
        c["batch_input_shape"] = c.pop("batch_shape")
        layer["config"] = c
    if "inbound_nodes" in layer:
        layer["inbound_nodes"] = [keras2_nodes(n) for n in layer["inbound_nodes"]]
    return layer


def keras2_spelling(cfg):
    cfg = copy.deepcopy(cfg)
    c = cfg["config"]
    if cfg["class_name"] == "Sequential":
        ls = c["layers"]
        if ls and ls[0]["class_name"] == "InputLayer":
            shape = ls[0]["config"]["batch_shape"]
            ls = ls[1:]
            ls[0]["config"]["batch_input_shape"] = shape
        c["layers"] = [keras2_layer(layer) for layer in ls]
        c.pop("build_input_shape", None)
    else:
        cfg["class_name"] = "Model"
        c["layers"] = [keras2_layer(layer) for layer in c["layers"]]
        for key in ("input_layers", "output_layers"):
            if c[key] and isinstance(c[key][0], str):
                c[key] = [c[key]]
    return {"class_name": cfg["class_name"], "config": c}


def write_keras2_h5(src, dst):
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        # A str (variable-length): MobileNetV2's config is over HDF5's 64 KiB limit for a
        # fixed-length attribute.
        f.attrs["model_config"] = json.dumps(keras2_spelling(cfg))
        f.attrs["keras_version"] = np.bytes_("2.15.0")
        f.attrs["backend"] = np.bytes_("tensorflow")
        g = f["model_weights"]
        names = [n.decode() if hasattr(n, "decode") else n for n in g.attrs["layer_names"]]
        g.attrs["layer_names"] = np.array([n.encode() for n in names])
        for n in names:
            w = [x.decode() if hasattr(x, "decode") else x for x in g[n].attrs["weight_names"]]
            if w:
                g[n].attrs["weight_names"] = np.array([x.encode() for x in w])


def make(out):
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for name, build in CASES.items():
        keras.utils.set_random_seed(SEED)
        rng = np.random.default_rng(SEED)
        model = build()
        randomize(model, rng)
        xs = inputs_for(name, model, rng)
        ys = as_list(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
        model.save(out / f"{name}.keras")
        model.save(out / f"{name}.h5")
        write_keras2_h5(out / f"{name}.h5", out / f"{name}.keras2.h5")
        arrays = {f"x{i}": x for i, x in enumerate(xs)}
        arrays.update({f"y{i}": y for i, y in enumerate(ys)})
        np.savez(out / f"{name}.npz", **arrays)
        summary[name] = {"compiled": model.compiled, "inputs": len(xs), "outputs": len(ys)}
    (out / "cases.json").write_text(json.dumps(summary, indent=1))


def check(out):
    results = {}
    for npz in sorted(out.glob("*.prelude.npz")):
        base = npz.name[: -len(".prelude.npz")]
        data = np.load(npz)
        xs = [data[f"x{i}"] for i in range(len([k for k in data.files if k.startswith("x")]))]
        ys = [data[f"y{i}"] for i in range(len([k for k in data.files if k.startswith("y")]))]
        for ext in ("keras", "h5", "weights.h5", "legacy.h5", "json"):
            path = out / f"{base}.{ext}"
            if not path.exists():
                continue
            try:
                if ext in ("keras", "h5"):
                    model = keras.saving.load_model(path)
                else:
                    # The prelude's weights files go into Keras's own rebuild of the prelude's
                    # .keras (its weights scrambled first, so that a weight left unloaded
                    # shows); its JSON into `model_from_json`, given the Keras 3 weights.
                    if ext == "json":
                        model = keras.models.model_from_json(path.read_text())
                        weights = out / f"{base}.weights.h5"
                    else:
                        model = keras.saving.load_model(out / f"{base}.keras")
                        weights = path
                    randomize(model, np.random.default_rng(1))
                    model.load_weights(weights)
                got = as_list(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
                diff = max(float(np.max(np.abs(g - y))) for g, y in zip(got, ys))
                scale = max(float(np.max(np.abs(y))) for y in ys)
                results[path.name] = {"max_abs_diff": diff, "max_abs_output": scale,
                                      "compiled": model.compiled}
            except Exception:  # reported to the Rust test, which fails with it
                results[path.name] = {"error": traceback.format_exc(limit=3)}
    (out / "checked.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    mode, outdir = sys.argv[1], Path(sys.argv[2])
    {"make": make, "check": check}[mode](outdir)
