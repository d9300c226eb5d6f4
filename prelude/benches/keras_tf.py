"""Keras 3 on TensorFlow (CPU): the three models of `benches/training.rs`, timed the same way a
student's `model.fit` runs, so ferrokeras's samples/s can be put beside Keras's.

Models, data shapes and sizes as in `training.rs` (random data from a fixed seed):

- mlp:  Input 28x28, Flatten, Dense 512 relu, Dense 10 softmax; rmsprop,
        sparse_categorical_crossentropy; batch 128; 5,120 samples.
- cnn:  Input 32x32x3, Conv2D 32 3x3 relu, MaxPooling2D 2, Conv2D 64 3x3 relu, MaxPooling2D 2,
        Conv2D 64 3x3 relu, Flatten, Dense 64 relu, Dense 10 (logits);
        adam, SparseCategoricalCrossentropy(from_logits=True); batch 32; 640 samples.
- lstm: Input 40 ints, Embedding 39->64, LSTM 128, Dense 39 softmax; adam,
        sparse_categorical_crossentropy; batch 128; 1,024 samples.

No metrics are compiled (the Rust bench compiles none); Keras's other compile defaults are
kept (on a CPU-only machine `jit_compile="auto"` resolves to no XLA). Each model first runs
one warm-up epoch, `model.fit(..., epochs=1)`, so tracing the train step into a graph is not
timed; then `model.fit(x, y, batch_size=..., epochs=5, shuffle=False, verbose=0)` is timed
as a whole (wall clock): samples/s = 5 x samples / seconds. The figure is over all 5 epochs,
not the best one. Every size divides by its batch, so no smaller last batch forces a retrace.

Prints one JSON line per model on stdout:

    {"model": "mlp", "samples_per_s": ..., "seconds": ..., "epochs": 5, "threads": 1, ...}

with, besides, the seconds of each epoch, the process CPU seconds over the 5 epochs
(`cpu_seconds`, all threads, including tf.data's) and `samples_per_cpu_s`, the versions, and
the 1-minute load average before and after (`load`).

Threads: `--threads N` (default 1, as the Rust bench's default `FERROKERAS_BENCH_THREADS`)
sets TensorFlow's intra-op and inter-op threads to N, before TensorFlow starts: what TensorFlow
picks by itself on an N-core machine, so what a student's Keras gets. (Inter-op threads run
independent ops side by side, which libtorch's eager ops do not: with inter-op held at 1, as
this script did before 2026-12-07, Keras-TF's LSTM at 2 threads ran at 2.4k samples/s instead
of 3.7k, and the ratios at 2 threads flattered ferrokeras.) `--inter-op M` overrides M.
`--models mlp,lstm` runs only those; `--epochs` changes the 5.

Environment (a scratch virtualenv outside the repository):

    python3 -m venv /root/.cache/ferrokeras-scratch/keras-tf
    /root/.cache/ferrokeras-scratch/keras-tf/bin/pip install tensorflow-cpu keras

(made with tensorflow-cpu 2.21.0 and keras 3.15.1 on Python 3.11). Run, from the repository
root:

    /root/.cache/ferrokeras-scratch/keras-tf/bin/python prelude/benches/keras_tf.py --threads 1
"""

import argparse
import json
import os
import sys
import time

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1,
                   help="TensorFlow intra-op and inter-op threads (default 1)")
    p.add_argument("--inter-op", type=int, default=None,
                   help="TensorFlow inter-op threads (default: --threads)")
    p.add_argument("--models", default="mlp,cnn,lstm", help="comma-separated: mlp,cnn,lstm")
    p.add_argument("--epochs", type=int, default=5, help="timed epochs (default 5)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


ARGS = parse_args()

import tensorflow as tf  # noqa: E402

# Must happen before TensorFlow runs any op.
tf.config.threading.set_intra_op_parallelism_threads(ARGS.threads)
tf.config.threading.set_inter_op_parallelism_threads(ARGS.inter_op or ARGS.threads)

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402


def mlp(rng):
    n = 128 * 40
    x = rng.random((n, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=(n,), dtype=np.int64)
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("rmsprop", "sparse_categorical_crossentropy")
    return model, x, y, 128


def cnn(rng):
    n = 32 * 20
    x = rng.random((n, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, size=(n,), dtype=np.int64)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
        ]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, x, y, 32


def lstm(rng):
    n = 128 * 8
    steps = 40
    x = rng.integers(0, 39, size=(n, steps), dtype=np.int64)
    y = rng.integers(0, 39, size=(n,), dtype=np.int64)
    model = keras.Sequential(
        [
            keras.Input((steps,)),
            layers.Embedding(39, 64),
            layers.LSTM(128),
            layers.Dense(39, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    return model, x, y, 128


BUILDERS = {"mlp": mlp, "cnn": cnn, "lstm": lstm}


class EpochTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []
        self._t = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._t)


def load1():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def bench(name):
    keras.backend.clear_session()
    keras.utils.set_random_seed(ARGS.seed)
    rng = np.random.default_rng(ARGS.seed)
    model, x, y, batch = BUILDERS[name](rng)
    fit = dict(batch_size=batch, shuffle=False, verbose=0)
    # Warm-up: traces the train step (and builds the optimizer); not timed.
    model.fit(x, y, epochs=1, **fit)
    epochs = EpochTimes()
    load_before = load1()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    model.fit(x, y, epochs=ARGS.epochs, callbacks=[epochs], **fit)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    samples = len(x) * ARGS.epochs
    return {
        "model": name,
        "samples_per_s": round(samples / seconds, 1),
        "seconds": round(seconds, 3),
        "epochs": ARGS.epochs,
        "threads": ARGS.threads,
        "inter_op_threads": ARGS.inter_op or ARGS.threads,
        "samples": len(x),
        "batch_size": batch,
        "epoch_seconds": [round(t, 3) for t in epochs.times],
        "cpu_seconds": round(cpu, 3),
        "samples_per_cpu_s": round(samples / cpu, 1) if cpu > 0 else None,
        "jit_compile": bool(model.jit_compile),
        "load": [load_before, load1()],
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
    }


def main():
    for name in [m.strip() for m in ARGS.models.split(",") if m.strip()]:
        if name not in BUILDERS:
            sys.exit(f"unknown model {name!r}: choose from {', '.join(BUILDERS)}")
        print(json.dumps(bench(name)), flush=True)


if __name__ == "__main__":
    main()
