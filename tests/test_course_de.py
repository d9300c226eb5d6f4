"""notebooks/14_de_keras_ueberblick.ipynb (German Keras overview) executed in quick mode with
nbclient: Iris, MNIST and California housing from real files (MNIST's training images are not
shared, so the training split is written from the first real test digits), no errors, the
summaries' parameter counts equal Keras's, accuracies are printed and the layer-by-layer
inspection matches the hand computation."""
import gzip
import pathlib
import re
import struct

import pytest

from conftest import NOTEBOOKS, SHARED, cell_with, errors, quick_mode, run_notebook, texts, total_params

SAMPLE = 256


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def _write_idx(path, magic, dims, payload):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">I", magic))
        f.write(struct.pack(">" + "I" * len(dims), *dims))
        f.write(payload)


def link_shared(root: pathlib.Path):
    """Symlinks in `root` to the real shared datasets that are used as they are."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ["iris", "california_housing", "car_evaluation", "tiny_shakespeare"]:
        link = root / name
        if not link.exists():
            link.symlink_to(SHARED / name)


def prepare_data_dir(root: pathlib.Path, n_train: int = 2000) -> pathlib.Path:
    """A FERROKERAS_DATA_DIR: symlinks to the real shared files, plus MNIST training files
    (absent from the shared data) made from the first `n_train` real test digits in the real
    IDX gzip format."""
    if not SHARED.is_dir():
        pytest.skip(f"shared datasets not found at {SHARED}")
    link_shared(root)
    mnist = root / "mnist"
    mnist.mkdir(exist_ok=True)
    for f in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]:
        if not (mnist / f).exists():
            (mnist / f).symlink_to(SHARED / "mnist" / f)
    (_, rows, cols), pixels = _read_idx(SHARED / "mnist" / "t10k-images-idx3-ubyte.gz")
    _, labels = _read_idx(SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz")
    _write_idx(mnist / "train-images-idx3-ubyte.gz", 0x803, (n_train, rows, cols),
               pixels[: n_train * rows * cols])
    _write_idx(mnist / "train-labels-idx1-ubyte.gz", 0x801, (n_train,), labels[:n_train])
    return root






@pytest.fixture(scope="module")
def de_run(tmp_path_factory):
    with quick_mode(prepare_data_dir(tmp_path_factory.mktemp("data")), SAMPLE):
        return run_notebook(NOTEBOOKS / "14_de_keras_ueberblick.ipynb")


def test_runs_without_errors(de_run):
    nb, _ = de_run
    # A failing cell would have raised CellExecutionError in run_notebook.
    assert errors(nb) == []


def test_summaries_match_keras_param_counts(de_run):
    nb, _ = de_run
    # Functional 28x28 -> Dense 256 -> 128 -> 10 on the last axis (Keras applies Dense to the
    # last axis): 28*256+256 + 256*128+128 + 128*10+10 = 41,610.
    assert total_params(cell_with(nb, "let x = Dense::new(256).activation(\"relu\").call(&inputs)?;")) == 41610
    # MNIST: Flatten -> Dense 128 -> Dense 10 = 784*128+128 + 128*10+10 = 101,770 (Keras).
    assert total_params(cell_with(nb, "let model = sequential![\n    Flatten::new()")) == 101770
    assert total_params(cell_with(nb, "let x = Flatten::new().call(&inputs)?;")) == 101770
    # Iris: 4*8+8 + 8*3+3 = 67.
    assert total_params(cell_with(nb, "let layer_0 = model.get_layer(0)?;"), "Trainable") == 67
    # California: 8*16+16 + 16*16+16 + 16+1 = 433.
    assert total_params(cell_with(nb, "Dropout::new(0.1),\n    Dense::new(16)"), "Trainable") == 433


def test_accuracies_and_losses_are_printed(de_run):
    nb, _ = de_run
    iris = texts(cell_with(nb, "let history = model.fit(&x, &y"))
    assert re.search(r"accuracy: 0\.\d{4} - val_accuracy: [01]\.\d{4}", iris), iris
    assert re.search(r"accuracy: [01]\.\d{4} - loss: \d+\.\d{4}", iris), iris
    cal = texts(next(c for c in nb.cells if c.cell_type == "code" and c.source.strip() == "model.evaluate(&x, &y, Evaluate::default())?"))
    assert re.search(r"loss: \d+\.\d{4}", cal), cal
    # MSE relative to predicting the mean (below 1.0 in full mode; quick mode trains too little
    # to say). The cell's own evaluate line gives the MSE, so MSE / ratio is Var(y): about 1.33
    # for California's median house values (in $100,000s).
    ratio = texts(cell_with(nb, "MSE / Var(y)"))
    m = re.search(r"loss: (\d+\.\d{4})\s+MSE / Var\(y\) = (\d+\.\d{3})", ratio)
    assert m and 0.9 < float(m[1]) / float(m[2]) < 1.8, ratio
    digits = texts(cell_with(nb, "sparse_categorical_accuracy"))
    m = re.search(r"\[(\d+\.\d+), (\d+\.\d+)\]", digits)
    assert m and 0.0 <= float(m[2]) <= 1.0, digits


def test_layer_by_layer_values_match_hand_computation(de_run):
    nb, _ = de_run

    def values(needle):
        t = texts(cell_with(nb, needle))
        return [float(v) for v in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", t.split("\n", 1)[1])]

    for layer, by_hand in [("let values_1 = layer_0", "let by_hand_1"), ("let values_2 = layer_1", "let by_hand_2"),
                           ("let values_3 = layer_2", "let by_hand_3"), ("let values_4 = layer_3", "let by_hand_4")]:
        a, b = values(layer), values(by_hand)
        assert len(a) == len(b) > 0, (a, b)
        assert all(abs(x - y) < 1e-3 for x, y in zip(a, b)), (layer, a, b)
    probs = values("let values_4 = layer_3")
    assert len(probs) == 3 and abs(sum(probs) - 1) < 1e-3
    # predict_and_log shows five tensors per flower, three flowers.
    shown = [o for o in cell_with(nb, "predict_and_log(&layers, &Tensor").outputs if o.output_type == "display_data"]
    assert len(shown) == 15
