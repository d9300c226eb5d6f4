#!/usr/bin/env python3
"""Builds a FERROKERAS_DATA_DIR for running the course notebooks in full (not quick) mode.

Real data, where this project has it: Iris, California housing, car evaluation and tiny
Shakespeare as they are, and MNIST as the real t10k file split into 8,000 training and 2,000
test digits (disjoint, written back in the real IDX gzip format), since MNIST's training images
are not in ../shared/datasets. This is the split the models issue's accuracy targets use.

Generated stand-ins for the rest (CIFAR-10, rock_paper_scissors, beans, cats_vs_dogs, Sign
Language MNIST, the style-transfer pictures): real formats at the real datasets' sizes, written
by `prelude/examples/stand_in_data.rs`, so that every notebook runs in full mode and its run
time is that of the real data. Accuracies on stand-ins mean nothing. `--real-only` skips them.

    python tests/full_mode_data.py /tmp/full-data [--real-only]
    FERROKERAS_DATA_DIR=/tmp/full-data python kernel/scripts/run-notebook.py NOTEBOOK OUT
"""
import pathlib
import subprocess
import sys

from conftest import SHARED
from test_course_de import _read_idx, _write_idx, link_shared

N_TRAIN = 8000
REPO = pathlib.Path(__file__).resolve().parent.parent


def build(root: pathlib.Path, stand_ins: bool = True) -> pathlib.Path:
    link_shared(root)
    mnist = root / "mnist"
    mnist.mkdir(exist_ok=True)
    (count, rows, cols), pixels = _read_idx(SHARED / "mnist" / "t10k-images-idx3-ubyte.gz")
    _, labels = _read_idx(SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz")
    size = rows * cols
    for prefix, lo, hi in [("train", 0, N_TRAIN), ("t10k", N_TRAIN, count)]:
        _write_idx(mnist / f"{prefix}-images-idx3-ubyte.gz", 0x803, (hi - lo, rows, cols),
                   pixels[lo * size: hi * size])
        _write_idx(mnist / f"{prefix}-labels-idx1-ubyte.gz", 0x801, (hi - lo,), labels[lo:hi])
    if stand_ins:
        subprocess.run(["cargo", "run", "--release", "--locked", "-q", "-p", "ferrokeras",
                        "--example", "stand_in_data", "--", str(root)], cwd=REPO, check=True)
    return root


if __name__ == "__main__":
    print(build(pathlib.Path(sys.argv[1]), stand_ins="--real-only" not in sys.argv[2:]))
