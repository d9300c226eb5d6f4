"""The order in which Keras 3 calls every callback hook over fit (with validation_data),
evaluate and predict; prelude/tests/callbacks_order.rs compares ferrokeras's with it.

Prints one JSON list of "hook" or "hook:index" strings. Sizes: 10 training examples in
batches of 4 (3 steps), 6 validation examples (2 steps), 2 epochs; evaluate and predict on the
6 in batches of 4.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HOOKS = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
    "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
]


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []


def _recording(name):
    with_index = name.startswith("on_epoch") or "batch" in name

    def hook(self, *args, **kwargs):
        self.calls.append(f"{name}:{args[0]}" if with_index else name)

    return hook


for _name in HOOKS:
    setattr(Recorder, _name, _recording(_name))

keras.utils.set_random_seed(0)
x = np.random.rand(10, 3).astype("float32")
y = np.random.rand(10, 1).astype("float32")
xv = np.random.rand(6, 3).astype("float32")
yv = np.random.rand(6, 1).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile("sgd", "mse")
rec = Recorder()
model.fit(x, y, batch_size=4, epochs=2, validation_data=(xv, yv), callbacks=[rec], verbose=0)
rec.calls.append("--evaluate--")
model.evaluate(xv, yv, batch_size=4, callbacks=[rec], verbose=0)
rec.calls.append("--predict--")
model.predict(xv, batch_size=4, callbacks=[rec], verbose=0)
print(json.dumps(rec.calls))
