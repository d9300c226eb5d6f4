#!/usr/bin/env python3
"""Builds a FERROKERAS_DATA_DIR for running the course notebooks in full (not quick) mode with
the real data this project has: Iris, California housing, car evaluation and tiny Shakespeare
as they are, and MNIST as the real t10k file split into 8,000 training and 2,000 test digits
(disjoint, written back in the real IDX gzip format), since MNIST's training images are not in
../shared/datasets. This is the split the models issue's accuracy targets use.

    python tests/full_mode_data.py /tmp/full-data
    FERROKERAS_DATA_DIR=/tmp/full-data python kernel/scripts/run-notebook.py NOTEBOOK OUT
"""
import sys
import pathlib

from test_course_de import SHARED, _read_idx, _write_idx, link_shared

N_TRAIN = 8000


def build(root: pathlib.Path) -> pathlib.Path:
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
    return root


if __name__ == "__main__":
    print(build(pathlib.Path(sys.argv[1])))
