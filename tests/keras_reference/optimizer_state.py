"""Keras's side of the optimizer-state tests (issue 22): Keras 3's update rules on given
weights and gradients, and Keras's files carrying an optimizer's variables both ways. Made
without the network.

    KERAS_BACKEND=torch python tests/keras_reference/optimizer_state.py make OUTDIR
    KERAS_BACKEND=torch python tests/keras_reference/optimizer_state.py check OUTDIR

`make` writes into OUTDIR:

- `steps.npz`: two weights `w0`, `w1` and, for 3 steps, their gradients `g<step>_<i>` (fixed
  seed); then per case of CASES (below) Keras's weights after the 3 steps, `<case>_w<i>`,
  and its optimizer's variables `<case>_v<j>` (`optimizer.variables` in order). The weights
  are `keras.Variable`s named `variable_0`, `variable_1`, so their optimizer variables are
  named as the prelude's `Optimizer` names them; `steps.json` lists those names per case.
- `data.npz`: `x` (24, 4, 4, 2) and `y` (24, 1), the data both sides train on.
- `keras_<opt>.keras` and `keras_<opt>.h5`: the model of `net()` compiled with that optimizer
  and fitted 1 epoch on `data.npz` (batch 8, no shuffle: 3 steps); `keras_<opt>.npz` its
  optimizer's variables `v<j>`, and its trainable weights `after<i>` after fitting 1 epoch
  more.

`check` loads, with `keras.saving.load_model`, every `prelude_*.keras` / `prelude_*.h5` in
OUTDIR (a compiled, trained model the prelude saved), and writes `<file>.npz`: the
optimizer's variables as Keras loaded them (`v<j>`; for a legacy `.h5`, what Keras's loader
reads from the file, see `check`), and for a `.keras` the trainable weights after Keras fits 1
epoch more on `data.npz` (`after<i>`). A file whose optimizer variables Keras skips (its
warning) makes it exit with an error.

Made with keras 3.15.1 and torch 2.13.0 (the test venv).
"""

import json
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers, optimizers  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

SEED = 22

# The same cases as prelude/tests/models_optimizer_state.rs builds (by name).
CASES = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.8, nesterov=True),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_centered_momentum": lambda: optimizers.RMSprop(
        learning_rate=0.01, rho=0.8, momentum=0.5, centered=True
    ),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1),
}

# The optimizers of the saved models (Keras's and the prelude's).
FILE_OPTIMIZERS = {
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "rmsprop_centered_momentum": lambda: optimizers.RMSprop(
        learning_rate=0.01, momentum=0.5, centered=True
    ),
}


def net():
    """Conv2D → BatchNormalization → Flatten → Dense 4 → Dense 1 on (4, 4, 2) inputs, with
    the names the prelude's test gives: weights whose Keras layout is not the prelude's
    (convolution and Dense kernels) beside BatchNormalization's moving statistics."""
    return keras.Sequential(
        [
            keras.Input((4, 4, 2)),
            layers.Conv2D(3, 2, activation="relu", name="conv"),
            layers.BatchNormalization(name="norm"),
            layers.Flatten(name="flatten"),
            layers.Dense(4, activation="tanh", name="hidden"),
            layers.Dense(1, name="out"),
        ],
        name="net",
    )


def steps(out):
    rng = np.random.default_rng(SEED)
    shapes = [(3, 4), (4,)]
    w0 = [rng.standard_normal(s).astype("float32") for s in shapes]
    grads = [[rng.standard_normal(s).astype("float32") for s in shapes] for _ in range(3)]
    arrays = {f"w{i}": w for i, w in enumerate(w0)}
    for k, gs in enumerate(grads):
        arrays.update({f"g{k}_{i}": g for i, g in enumerate(gs)})
    names = {}
    for case, make_opt in CASES.items():
        ws = [keras.Variable(w, name=f"variable_{i}") for i, w in enumerate(w0)]
        opt = make_opt()
        for gs in grads:
            opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in gs], ws))
        arrays.update({f"{case}_w{i}": keras.ops.convert_to_numpy(w) for i, w in enumerate(ws)})
        arrays.update({f"{case}_v{j}": np.asarray(v.numpy()) for j, v in enumerate(opt.variables)})
        names[case] = [v.name for v in opt.variables]
    np.savez(out / "steps.npz", **arrays)
    (out / "steps.json").write_text(json.dumps(names, indent=1))


def data(out):
    rng = np.random.default_rng(SEED + 1)
    x = rng.standard_normal((24, 4, 4, 2)).astype("float32")
    y = (x.reshape(24, -1).mean(axis=1, keepdims=True) * 3.0 + 0.3).astype("float32")
    np.savez(out / "data.npz", x=x, y=y)
    return x, y


def fit_one_epoch(model, x, y):
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)


def after(model):
    """The trainable weights (what the optimizer updates) as `after<i>`."""
    return {f"after{i}": np.asarray(w.numpy()) for i, w in enumerate(model.trainable_weights)}


def make(out):
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(SEED)
    steps(out)
    x, y = data(out)
    for name, make_opt in FILE_OPTIMIZERS.items():
        model = net()
        model.compile(optimizer=make_opt(), loss="mse")
        fit_one_epoch(model, x, y)
        model.save(out / f"keras_{name}.keras")
        model.save(out / f"keras_{name}.h5")
        arrays = {f"v{j}": np.asarray(v.numpy()) for j, v in enumerate(model.optimizer.variables)}
        fit_one_epoch(model, x, y)
        arrays.update(after(model))
        np.savez(out / f"keras_{name}.npz", **arrays)


def check(out):
    d = np.load(out / "data.npz")
    failures = []
    for path in sorted(list(out.glob("prelude_*.keras")) + list(out.glob("prelude_*.h5"))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = keras.saving.load_model(path)
        skipped = [str(w.message) for w in caught if "Skipping variable loading" in str(w.message)]
        if skipped or not model.compiled:
            failures.append(f"{path.name}: compiled={model.compiled} {skipped}")
            continue
        if path.suffix == ".keras":
            values = [v.numpy() for v in model.optimizer.variables]
            fit_one_epoch(model, d["x"], d["y"])
            arrays = after(model)
        else:
            # Keras 3.15.1 loads a legacy .h5 (its own too) with the optimizer built on
            # `model._trainable_variables`, empty for a Sequential or functional model: only
            # `iteration` and `learning_rate` are set, and `fit` fails ("Unknown variable").
            # What its loader reads from the file is compared instead.
            with h5py.File(path, "r") as f:
                found = legacy_h5_format.load_optimizer_weights_from_hdf5_group(f)
                values = [np.asarray(v) for v in found]
            loaded = [v.numpy() for v in model.optimizer.variables]
            assert all(np.array_equal(a, b) for a, b in zip(loaded, values[:2]))
            arrays = {}
        arrays.update({f"v{j}": np.asarray(v) for j, v in enumerate(values)})
        np.savez(out / f"{path.name}.npz", **arrays)
    if failures:
        sys.exit("Keras did not load the optimizer of: " + "; ".join(failures))


if __name__ == "__main__":
    mode, outdir = sys.argv[1], Path(sys.argv[2])
    {"make": make, "check": check}[mode](outdir)
