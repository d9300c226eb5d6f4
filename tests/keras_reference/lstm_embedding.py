"""Keras 3's Embedding → LSTM for prelude/tests/layers_lstm_keras.rs: a model with an LSTM
reading an Embedding (which ferrokeras runs on its own CPU kernel, the input projection done on
the embedding table) and an LSTM reading that LSTM's sequence (libtorch's LSTM), from Keras's
initial weights: the predictions, and one SGD step of fit (its loss and the weights after).

    python lstm_embedding.py OUT_DIR

Writes OUT_DIR/lstm.npz (x, y, the initial weights w0…, the predictions `pred`, and the
weights after the step `after0`…) and prints {"loss": …, "weights": N} as JSON.
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
keras.utils.set_random_seed(5)
vocab, steps, batch = 11, 10, 8
x = np.random.randint(0, vocab, size=(batch, steps)).astype("int64")
y = np.random.randint(0, vocab, size=(batch,)).astype("int64")
model = keras.Sequential([
    keras.Input((steps,)),
    keras.layers.Embedding(vocab, 6),
    keras.layers.LSTM(5, return_sequences=True),
    keras.layers.LSTM(4),
    keras.layers.Dense(vocab, activation="softmax"),
])
model.compile(keras.optimizers.SGD(learning_rate=0.5), "sparse_categorical_crossentropy")
init = model.get_weights()
arrays = {"x": x, "y": y, "pred": model.predict(x, batch_size=batch, verbose=0)}
arrays.update({f"w{i}": w for i, w in enumerate(init)})
history = model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
arrays.update({f"after{i}": w for i, w in enumerate(model.get_weights())})
np.savez(os.path.join(out_dir, "lstm.npz"), **arrays)
print(json.dumps({"loss": float(history.history["loss"][0]), "weights": len(init)}))
