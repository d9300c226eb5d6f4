"""What Keras 3 does with fit's steps_per_epoch and validation_freq; prelude/tests/
models_fit_options.rs compares ferrokeras's fit with it.

Prints one JSON object:
- "steps": for each case "examples/batch_size/steps_per_epoch/epochs", the number of
  training batches in each epoch (on_train_batch_end calls);
- "validated": for validation_freq 2 over 5 epochs, the (0-based) epochs whose logs hold
  val_loss, and the History's val_loss length.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import warnings  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

warnings.simplefilter("ignore")


class Counter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.per_epoch = []
        self.validated = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[-1] += 1

    def on_epoch_end(self, epoch, logs=None):
        if "val_loss" in logs:
            self.validated.append(epoch)


def model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    return m


CASES = [(10, 2, 2, 4), (8, 2, 3, 4), (8, 2, 2, 3), (6, 4, 5, 2)]

steps = {}
for n, batch_size, steps_per_epoch, epochs in CASES:
    x = np.random.rand(n, 3).astype("float32")
    y = np.random.rand(n, 1).astype("float32")
    counter = Counter()
    model().fit(x, y, batch_size=batch_size, steps_per_epoch=steps_per_epoch, epochs=epochs,
                shuffle=False, callbacks=[counter], verbose=0)
    steps[f"{n}/{batch_size}/{steps_per_epoch}/{epochs}"] = counter.per_epoch

x = np.random.rand(12, 3).astype("float32")
y = np.random.rand(12, 1).astype("float32")
counter = Counter()
history = model().fit(x[:8], y[:8], batch_size=4, epochs=5, validation_data=(x[8:], y[8:]),
                      validation_freq=2, callbacks=[counter], verbose=0)
print(json.dumps({
    "steps": steps,
    "validated": counter.validated,
    "val_loss_len": len(history.history["val_loss"]),
}))
