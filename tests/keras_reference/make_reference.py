"""Keras ground truth for the prelude's functional models and graph layers (issue 12).

Builds, with Keras 3 itself, the models and layers that the Rust tests compare with, and writes
what Keras says about them: parameter counts, `len(model.layers)`, each weight's name and shape
(Keras layout, as `layer.get_weights()` gives them), outputs of tiny deterministic inputs, and
`model.summary()` tables. Everything goes to `reference.json` and `summary_<name>.txt` beside
this file, and the JSON is printed too. This is a generator run by hand, not a test (no `test_`
prefix, so pytest does not collect it); the tests carry the numbers it printed.

Environment (a scratch virtualenv outside the repository, Keras on the torch backend):

    python3 -m venv /root/.cache/ferrokeras-scratch/keras-torch
    /root/.cache/ferrokeras-scratch/keras-torch/bin/pip install keras h5py "torch==2.13.0"

(or, to reuse the project's torch instead of downloading it again, install only `keras h5py` and
add a `.pth` file to the scratch venv's site-packages holding the line
`/root/.cache/ferrokeras/venv/lib/python3.11/site-packages`). Then, from the repository root:

    KERAS_BACKEND=torch /root/.cache/ferrokeras-scratch/keras-torch/bin/python \
        tests/keras_reference/make_reference.py

Made with keras 3.15.1 and torch 2.13.0 (the versions are recorded in the JSON).

Summaries: Keras sizes the table as `min(88, columns - 4)` characters (108 with the
"Connected to" column), where `columns` is `shutil.get_terminal_size()` (the `COLUMNS`
variable, else the terminal, else 80), and rich wraps the table to its console's width
(`COLUMNS` too). So this script sets `COLUMNS=200`: the files hold Keras's full-width tables
(88 and 108 characters), as a wide terminal shows them. The JSON also keeps each table at
`COLUMNS=80` (76 characters: what `shutil` falls back to when stdout is not a terminal).
They are captured through `print_fn`, so they have no colour codes.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["COLUMNS"] = "200"

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

HERE = Path(__file__).resolve().parent


def fresh():
    """A clean Keras state, so automatic names start over (`dense`, `dense_1`, ...) as they do
    in a new notebook."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)


def count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def weight_list(layer):
    return [
        {"name": w.name, "path": w.path, "shape": list(w.shape), "trainable": w.trainable}
        for w in layer.weights
    ]


def shape_of(t):
    return list(t.shape)


def describe_model(model):
    """Parameter counts and per-layer facts of a built model."""
    per_layer = []
    for layer in model.layers:
        try:
            out = layer.output
            out_shape = (
                [list(o.shape) for o in out]
                if isinstance(out, (list, tuple))
                else list(out.shape)
            )
        except Exception:  # shared layer: several outputs
            out_shape = None
        per_layer.append(
            {
                "name": layer.name,
                "class": layer.__class__.__name__,
                "params": int(layer.count_params()) if layer.built else 0,
                "output_shape": out_shape,
                "weights": weight_list(layer),
            }
        )
    return {
        "name": model.name,
        "class": model.__class__.__name__,
        "total_params": int(model.count_params()),
        "trainable_params": count(model.trainable_weights),
        "non_trainable_params": count(model.non_trainable_weights),
        "num_layers": len(model.layers),
        "layers": per_layer,
    }


def summary_text(model, columns):
    os.environ["COLUMNS"] = str(columns)
    lines = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    os.environ["COLUMNS"] = "200"
    return "".join(lines) if len(lines) == 1 else "\n".join(lines)


def has_connected_to(text):
    return "Connected to" in text


# ---------------------------------------------------------------- models


def residual_mlp():
    inputs = keras.Input((32,))
    h = layers.Dense(32, activation="relu")(inputs)
    h2 = layers.Dense(32, activation="relu")(h)
    s = layers.Add()([h, h2])
    out = layers.Dense(1)(s)
    return keras.Model(inputs, out)


def ticket(seq_len):
    """keras.io/guides/functional_api, "Models with multiple inputs and outputs"."""
    num_tags, num_words, num_departments = 12, 10000, 4
    title_input = keras.Input(shape=(seq_len,), name="title")
    body_input = keras.Input(shape=(seq_len,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 64)(title_input)
    body_features = layers.Embedding(num_words, 64)(body_input)
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs=[priority_pred, department_pred],
    )


def siamese_shared_layers():
    """Two inputs through the same two Dense layers (each called twice)."""
    d1 = layers.Dense(16, activation="relu")
    d2 = layers.Dense(8)
    a = keras.Input((10,))
    b = keras.Input((10,))
    ea = d2(d1(a))
    eb = d2(d1(b))
    diff = layers.Subtract()([ea, eb])
    out = layers.Dense(1, activation="sigmoid")(diff)
    return keras.Model([a, b], out)


def siamese_sequential_encoder():
    """Two inputs through one shared Sequential encoder (a nested model called twice)."""
    encoder = keras.Sequential(
        [keras.Input((10,)), layers.Dense(16, activation="relu"), layers.Dense(8)]
    )
    a = keras.Input((10,))
    b = keras.Input((10,))
    diff = layers.Subtract()([encoder(a), encoder(b)])
    out = layers.Dense(1, activation="sigmoid")(diff)
    return keras.Model([a, b], out)


def inner_model():
    i = keras.Input((8,))
    h = layers.Dense(16, activation="relu")(i)
    o = layers.Dense(4)(h)
    return keras.Model(i, o)


def nested_sequential():
    inner = inner_model()
    return keras.Sequential([keras.Input((8,)), inner, layers.Dense(1)])


def nested_functional():
    inner = inner_model()
    x = keras.Input((8,))
    y = inner(x)
    out = layers.Dense(1)(y)
    return keras.Model(x, out)


def chain():
    i = keras.Input((4,))
    h = layers.Dense(8)(i)
    o = layers.Dense(2)(h)
    return keras.Model(i, o)


MODELS = {
    # name: (builder, notes, write a summary file)
    "residual_mlp": (residual_mlp, "Input 32 -> Dense 32 relu -> Dense 32 relu; Add; Dense 1", True),
    "ticket": (lambda: ticket(None), "guide's ticket model, title/body shape (None,)", False),
    "ticket_len10": (lambda: ticket(10), "guide's ticket model, title/body shape (10,)", True),
    "siamese_shared_layers": (siamese_shared_layers, "shared Dense 16 relu, Dense 8; Subtract; Dense 1 sigmoid", True),
    "siamese_sequential_encoder": (siamese_sequential_encoder, "shared Sequential encoder; Subtract; Dense 1 sigmoid", True),
    "nested_sequential": (nested_sequential, "Sequential(Input 8, inner functional, Dense 1)", True),
    "nested_functional": (nested_functional, "functional: Input 8 -> inner functional -> Dense 1", True),
    "chain": (chain, "Input 4 -> Dense 8 -> Dense 2", True),
}


def models_reference():
    out = {}
    for name, (build, notes, write_file) in MODELS.items():
        fresh()
        model = build()
        info = describe_model(model)
        info["notes"] = notes
        wide = summary_text(model, 200)
        info["summary"] = wide
        info["summary_cols80"] = summary_text(model, 80)
        info["summary_has_connected_to"] = has_connected_to(wide)
        info["summary_width"] = max(len(line) for line in wide.splitlines())
        if write_file:
            (HERE / f"summary_{name}.txt").write_text(wide, encoding="utf-8")
        out[name] = info
    return out


# ---------------------------------------------------------------- single layers


LAYER_CASES = [
    # name, constructor, input shapes (without batch)
    ("DepthwiseConv2D((3,3))", lambda: layers.DepthwiseConv2D((3, 3)), [(8, 8, 16)]),
    (
        "DepthwiseConv2D((3,3), depth_multiplier=2, use_bias=False)",
        lambda: layers.DepthwiseConv2D((3, 3), depth_multiplier=2, use_bias=False),
        [(8, 8, 16)],
    ),
    ("SeparableConv2D(32,(3,3))", lambda: layers.SeparableConv2D(32, (3, 3)), [(8, 8, 16)]),
    (
        "SeparableConv2D(32,(3,3), depth_multiplier=2)",
        lambda: layers.SeparableConv2D(32, (3, 3), depth_multiplier=2),
        [(8, 8, 16)],
    ),
    ("Conv2D(32,(3,3))", lambda: layers.Conv2D(32, (3, 3)), [(8, 8, 16)]),
    ("ZeroPadding2D(((1,2),(3,4)))", lambda: layers.ZeroPadding2D(((1, 2), (3, 4))), [(5, 5, 3)]),
    ("Cropping2D(((1,1),(2,0)))", lambda: layers.Cropping2D(((1, 1), (2, 0))), [(6, 6, 3)]),
    ("UpSampling2D((2,3))", lambda: layers.UpSampling2D((2, 3)), [(4, 4, 3)]),
    ("Reshape((4,6))", lambda: layers.Reshape((4, 6)), [(24,)]),
    ("Reshape((-1,3))", lambda: layers.Reshape((-1, 3)), [(24,)]),
    ("Permute((2,1))", lambda: layers.Permute((2, 1)), [(3, 5)]),
    ("RepeatVector(4)", lambda: layers.RepeatVector(4), [(6,)]),
    ("GlobalMaxPooling2D()", lambda: layers.GlobalMaxPooling2D(), [(5, 5, 3)]),
    ("Concatenate(axis=-1)", lambda: layers.Concatenate(axis=-1), [(4, 3), (4, 3)]),
    ("Concatenate(axis=1)", lambda: layers.Concatenate(axis=1), [(4, 3), (4, 3)]),
    ("ReLU(max_value=6)", lambda: layers.ReLU(max_value=6), [(5,)]),
    ("Add()", lambda: layers.Add(), [(4, 3), (4, 3)]),
    ("Subtract()", lambda: layers.Subtract(), [(4, 3), (4, 3)]),
    ("Multiply()", lambda: layers.Multiply(), [(4, 3), (4, 3)]),
    ("Average()", lambda: layers.Average(), [(4, 3), (4, 3)]),
    ("Maximum()", lambda: layers.Maximum(), [(4, 3), (4, 3)]),
]


def layers_reference():
    out = {}
    for name, make, shapes in LAYER_CASES:
        fresh()
        layer = make()
        inputs = [keras.Input(s) for s in shapes]
        y = layer(inputs if len(inputs) > 1 else inputs[0])
        cfg = layer.get_config()
        out[name] = {
            "input_shapes": [[None, *s] for s in shapes],
            "output_shape": list(y.shape),
            "params": int(layer.count_params()),
            "weights": weight_list(layer),
            "config": json.loads(json.dumps(cfg, default=str)),
        }
    return out


# ---------------------------------------------------------------- numeric outputs


def arange(shape, start=0.0):
    n = int(np.prod(shape))
    return (np.arange(n, dtype="float32") + start).reshape(shape)


def run(layer, *xs):
    y = layer(list(xs) if len(xs) > 1 else xs[0])
    return keras.ops.convert_to_numpy(y)


def case(layer, inputs, weights=None, notes=None):
    """Calls `layer` on numpy `inputs` (a list), after setting `weights` (Keras layout)."""
    if weights is not None:
        layer.build(inputs[0].shape if len(inputs) == 1 else [i.shape for i in inputs])
        layer.set_weights(weights)
    y = run(layer, *inputs)
    rec = {
        "config": json.loads(json.dumps(layer.get_config(), default=str)),
        "inputs": [{"shape": list(i.shape), "values": i.tolist()} for i in inputs],
        "output": {"shape": list(y.shape), "values": y.tolist()},
    }
    if weights is not None:
        rec["weights"] = [
            {"name": w.name, "shape": list(np.shape(v)), "values": np.asarray(v).tolist()}
            for w, v in zip(layer.weights, weights)
        ]
    if notes:
        rec["notes"] = notes
    return rec


def numeric_reference():
    out = {}
    x442 = arange((1, 4, 4, 2))  # NHWC, values 0..31

    for padding in ("valid", "same"):
        fresh()
        k = arange((3, 3, 2, 1))  # (kh, kw, in_channels, depth_multiplier)
        out[f"DepthwiseConv2D_3x3_{padding}"] = case(
            layers.DepthwiseConv2D((3, 3), padding=padding),
            [x442],
            [k, np.zeros(2, "float32")],
            "kernel = arange(18).reshape(3,3,2,1), bias 0; input arange(32).reshape(1,4,4,2)",
        )
        fresh()
        k = arange((3, 3, 2, 2))
        out[f"DepthwiseConv2D_3x3_dm2_{padding}"] = case(
            layers.DepthwiseConv2D((3, 3), depth_multiplier=2, padding=padding),
            [x442],
            [k, np.array([0.5, -1.0, 2.0, 0.0], "float32")],
            "depth_multiplier 2: kernel arange(36).reshape(3,3,2,2), bias [0.5,-1,2,0]; "
            "output channel c*2+m comes from input channel c, multiplier m",
        )
        fresh()
        out[f"SeparableConv2D_3x3_{padding}"] = case(
            layers.SeparableConv2D(3, (3, 3), padding=padding),
            [x442],
            [arange((3, 3, 2, 1)), arange((1, 1, 2, 3)), np.zeros(3, "float32")],
            "filters 3: depthwise arange(18).reshape(3,3,2,1), pointwise arange(6).reshape(1,1,2,3), bias 0",
        )
        fresh()
        out[f"SeparableConv2D_3x3_dm2_{padding}"] = case(
            layers.SeparableConv2D(3, (3, 3), depth_multiplier=2, padding=padding),
            [x442],
            [arange((3, 3, 2, 2)), arange((1, 1, 4, 3)), np.array([1.0, 2.0, 3.0], "float32")],
            "filters 3, depth_multiplier 2: depthwise arange(36).reshape(3,3,2,2), "
            "pointwise arange(12).reshape(1,1,4,3), bias [1,2,3]",
        )

    # 'same' with stride 2: TensorFlow-style asymmetric padding (0 before, 1 after here).
    fresh()
    out["DepthwiseConv2D_3x3_same_stride2"] = case(
        layers.DepthwiseConv2D((3, 3), strides=2, padding="same"),
        [x442],
        [arange((3, 3, 2, 1)), np.zeros(2, "float32")],
        "stride 2, same, 4x4 input: pad total 1 on each spatial axis, all of it after "
        "(bottom/right), as TensorFlow does; torch's symmetric padding=1 differs",
    )
    fresh()
    x552 = arange((1, 5, 5, 2))
    out["DepthwiseConv2D_3x3_same_stride2_5x5"] = case(
        layers.DepthwiseConv2D((3, 3), strides=2, padding="same"),
        [x552],
        [arange((3, 3, 2, 1)), np.zeros(2, "float32")],
        "stride 2, same, 5x5 input: pad 1 before and 1 after",
    )

    fresh()
    out["UpSampling2D_2x3_nearest"] = case(
        layers.UpSampling2D((2, 3)), [arange((1, 2, 3, 2))], notes="input arange(12).reshape(1,2,3,2)"
    )
    fresh()
    out["ZeroPadding2D_((1,2),(3,4))"] = case(
        layers.ZeroPadding2D(((1, 2), (3, 4))),
        [arange((1, 2, 3, 1), start=1.0)],
        notes="input 1..6 reshape(1,2,3,1)",
    )
    fresh()
    out["Cropping2D_((1,1),(2,0))"] = case(
        layers.Cropping2D(((1, 1), (2, 0))), [arange((1, 4, 5, 1))], notes="input arange(20).reshape(1,4,5,1)"
    )
    fresh()
    out["Reshape_(4,6)"] = case(layers.Reshape((4, 6)), [arange((1, 24))])
    fresh()
    out["Reshape_(-1,3)"] = case(layers.Reshape((-1, 3)), [arange((1, 24))])
    fresh()
    out["Permute_(2,1)"] = case(layers.Permute((2, 1)), [arange((1, 3, 5))])
    fresh()
    out["RepeatVector_3"] = case(layers.RepeatVector(3), [arange((2, 4))])
    fresh()
    rng = np.random.default_rng(0)
    gmp_in = rng.permutation(2 * 3 * 3 * 2).astype("float32").reshape(2, 3, 3, 2) - 10.0
    out["GlobalMaxPooling2D"] = case(
        layers.GlobalMaxPooling2D(), [gmp_in], notes="input: a permutation of 0..35 minus 10"
    )

    relu_in = np.array([[-3, -1, 0, 0.5, 1, 2, 5, 7]], "float32")
    for label, layer in [
        ("ReLU(max_value=6, negative_slope=0.1, threshold=1.0)", layers.ReLU(max_value=6, negative_slope=0.1, threshold=1.0)),
        ("ReLU(max_value=6)", layers.ReLU(max_value=6)),
        ("ReLU()", layers.ReLU()),
        ("ReLU(negative_slope=0.1)", layers.ReLU(negative_slope=0.1)),
        ("ReLU(threshold=1.0)", layers.ReLU(threshold=1.0)),
    ]:
        out[label] = case(
            layer,
            [relu_in],
            notes="with threshold != 0 Keras computes where(x > threshold, x, 0) (strictly greater), "
            "clips to [0, max_value], then subtracts negative_slope * relu(threshold - x): "
            "so x == threshold gives 0, not x",
        )

    a = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], "float32")
    b = np.array([[0.5, 2.0, -3.0], [4.0, -1.0, 7.0]], "float32")
    c = np.array([[2.0, 2.0, 2.0], [-1.0, 0.0, 1.0]], "float32")
    for label, layer, ins in [
        ("Add", layers.Add(), [a, b]),
        ("Subtract", layers.Subtract(), [a, b]),
        ("Multiply", layers.Multiply(), [a, b]),
        ("Average", layers.Average(), [a, b]),
        ("Maximum", layers.Maximum(), [a, b]),
        ("Minimum", layers.Minimum(), [a, b]),
        ("Add_3", layers.Add(), [a, b, c]),
        ("Multiply_3", layers.Multiply(), [a, b, c]),
        ("Average_3", layers.Average(), [a, b, c]),
        ("Maximum_3", layers.Maximum(), [a, b, c]),
        ("Concatenate(axis=-1)", layers.Concatenate(axis=-1), [a, b]),
        ("Concatenate(axis=1)", layers.Concatenate(axis=1), [a, b]),
        ("Concatenate(axis=0)", layers.Concatenate(axis=0), [a, b]),
    ]:
        fresh()
        out[label] = case(layer, ins)
    return out


def main():
    import torch  # noqa: F401  (recorded below)

    ref = {
        "generator": "tests/keras_reference/make_reference.py",
        "versions": {
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "torch": sys.modules["torch"].__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "models": models_reference(),
        "layers": layers_reference(),
        "numeric": numeric_reference(),
    }
    text = json.dumps(ref, indent=1, ensure_ascii=False)
    (HERE / "reference.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
