"""Keras 3's weighted losses for prelude/tests/models_weighted.rs: one batch of 8 examples
through a small softmax classifier with class_weight and with sample_weight, in fit (the
loss of the batch, then the weights after its SGD step) and in evaluate; then compile's
`weighted_metrics` beside plain `metrics` on one-hot targets, in evaluate and in one epoch of
fit, over batches of 3 (3 + 3 + 2 examples), with sample weights.

    python weighted_loss.py OUT_DIR

Writes OUT_DIR/weighted.npz (x, labels, sample weights, the initial weights w0…, and the
weights after each fit's step) and prints the losses as JSON.
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
keras.utils.set_random_seed(3)
x = np.random.rand(8, 4).astype("float32")
y = np.array([0, 1, 2, 1, 0, 2, 2, 1], dtype="int64")
sw = np.random.rand(8).astype("float32")
class_weight = {0: 1.0, 1: 2.5, 2: 0.5}
model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(5, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(keras.optimizers.SGD(learning_rate=0.5), "sparse_categorical_crossentropy",
              metrics=["accuracy"])
init = model.get_weights()
arrays = {"x": x, "y": y, "sw": sw}
arrays.update({f"w{i}": w for i, w in enumerate(init)})
results = {}


def one_step(name, **kwargs):
    model.set_weights(init)
    history = model.fit(x, y_for[name], batch_size=8, epochs=1, shuffle=False, verbose=0, **kwargs)
    results[name] = history.history["loss"][0]
    arrays.update({f"{name}_after{i}": w for i, w in enumerate(model.get_weights())})


y_for = {"class_weight": y, "sample_weight": y, "unweighted": y}
one_step("class_weight", class_weight=class_weight)
one_step("sample_weight", sample_weight=sw)
one_step("unweighted")
model.set_weights(init)
results["evaluate_sample_weight"] = model.evaluate(x, y, sample_weight=sw, batch_size=8,
                                                   verbose=0, return_dict=True)["loss"]
# weighted_metrics: "accuracy" and "mse" are also plain metrics (Keras logs the weighted ones
# as weighted_accuracy, weighted_mse), "mae" only weighted (logged as mae).
onehot = np.eye(3, dtype="float32")[y]
model.compile(keras.optimizers.SGD(learning_rate=0.5), "categorical_crossentropy",
              metrics=["accuracy", "mse"], weighted_metrics=["accuracy", "mse", "mae"])
model.set_weights(init)
results["weighted_metrics_evaluate"] = model.evaluate(
    x, onehot, sample_weight=sw, batch_size=3, verbose=0, return_dict=True)
model.set_weights(init)
history = model.fit(x, onehot, sample_weight=sw, batch_size=3, epochs=1, shuffle=False,
                    verbose=0)
results["weighted_metrics_fit"] = {k: v[0] for k, v in history.history.items()}
# evaluate's list (no return_dict): the loss, then the metrics in compile order.
model.compile(keras.optimizers.SGD(learning_rate=0.5), "categorical_crossentropy",
              metrics=["mse", "accuracy"])
model.set_weights(init)
results["evaluate_list_mse_accuracy"] = model.evaluate(x, onehot, batch_size=8, verbose=0)
# (One-hot targets with class_weight fail inside Keras 3.15.1's torch backend, a
# size mismatch in ops.equal, so there is no Keras figure for them.)
np.savez(os.path.join(out_dir, "weighted.npz"), **arrays)
print(json.dumps(results))
