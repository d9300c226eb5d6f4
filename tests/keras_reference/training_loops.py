"""Keras 3's guides "Writing a training loop from scratch" and "Customizing what happens in
fit()" (torch backend) on a small MNIST split; prelude/tests/models_custom_training.rs runs
the same in Rust and compares the accuracies.

    python training_loops.py OUT_DIR MNIST_DIR

MNIST_DIR holds the real t10k files (../shared/datasets/mnist: the training images may not be
shared), so the split is 4,000 training and 2,000 test digits of t10k. Writes OUT_DIR/data.npz
(the split), OUT_DIR/<run>_init.npz (each model's initial weights, Keras order and layout, so
both sides start from the same weights) and prints the results as JSON. Batches of 32 in
order (no shuffling), 2 epochs, Adam(1e-3): the guides' settings otherwise.
"""

import gzip
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

N_TRAIN, N_TEST, EPOCHS, BATCH = 4000, 2000, 2, 32
out_dir, mnist_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)


def idx(name):
    with gzip.open(os.path.join(mnist_dir, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


images = idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784)
labels = idx("t10k-labels-idx1-ubyte.gz").astype("int64")
np.savez(os.path.join(out_dir, "data.npz"), images=images[: N_TRAIN + N_TEST],
         labels=labels[: N_TRAIN + N_TEST])
x = images.astype("float32") / 255.0
x_train, y_train = x[:N_TRAIN], labels[:N_TRAIN]
x_test, y_test = x[N_TRAIN : N_TRAIN + N_TEST], labels[N_TRAIN : N_TRAIN + N_TEST]


def get_model(cls=keras.Model):
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    return cls(inputs=inputs, outputs=outputs)


def save_init(model, name):
    np.savez(os.path.join(out_dir, f"{name}_init.npz"),
             **{f"w{i}": w for i, w in enumerate(model.get_weights())})


def batches(*arrays):
    for start in range(0, len(arrays[0]), BATCH):
        yield [torch.as_tensor(a[start : start + BATCH]) for a in arrays]


def test_accuracy(model):
    logits = keras.ops.convert_to_numpy(model(x_test, training=False))
    return float((logits.argmax(-1) == y_test).mean())


# "Writing a training loop from scratch": tape (autograd), optimizer, metrics.
keras.utils.set_random_seed(1)
model = get_model()
save_init(model, "scratch")
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
train_acc_metric = keras.metrics.CategoricalAccuracy()
y_train_1hot = keras.utils.to_categorical(y_train, 10)
scratch = {"train_acc": [], "first_loss": None}
for epoch in range(EPOCHS):
    for step, (inputs, targets) in enumerate(batches(x_train, y_train_1hot)):
        logits = model(inputs, training=True)
        loss_value = loss_fn(targets, logits)
        if scratch["first_loss"] is None:
            scratch["first_loss"] = float(loss_value)
        model.zero_grad()
        trainable_weights = [v for v in model.trainable_weights]
        loss_value.backward()
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            optimizer.apply(gradients, trainable_weights)
        train_acc_metric.update_state(targets, logits)
    scratch["train_acc"].append(float(train_acc_metric.result()))
    train_acc_metric.reset_state()
scratch["test_acc"] = test_accuracy(model)


# "Customizing what happens in fit()": an overridden train_step, compiled loss and optimizer.
class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


keras.utils.set_random_seed(2)
model = get_model(CustomModel)
save_init(model, "custom_fit")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
custom = {
    "loss": [float(v) for v in history.history["loss"]],
    "accuracy": [float(v) for v in history.history["accuracy"]],
    "test_acc": test_accuracy(model),
}
print(json.dumps({"scratch": scratch, "custom_fit": custom}))
