"""notebooks/15_en_da_dlwp_kapitel2.ipynb (Deep Learning with Python, chapter 2) run end to end
with nbclient in quick mode, offline.

The data dir holds symlinks to the real MNIST files in ../shared/datasets (t10k images and
labels, train labels) and no training images, so the notebook's `load_mnist` takes its documented
offline path: the prelude's split loader on the real t10k digits, 80 % to train on, 20 % to test on.
"""
import re
import time

import pytest

from conftest import REPO, SHARED, cell_with, decode_png, errors, outputs, png_size, quick_mode, run_notebook, texts

NOTEBOOK = REPO / "notebooks" / "15_en_da_dlwp_kapitel2.ipynb"
MNIST_FILES = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz"]
SAMPLE = 1000  # t10k digits read: 800 to train on, 200 to test on


@pytest.fixture(scope="module")
def dlwp_run(tmp_path_factory):
    if not all((SHARED / "mnist" / f).is_file() for f in MNIST_FILES):
        pytest.skip(f"real MNIST t10k files not found in {SHARED / 'mnist'}")
    data = tmp_path_factory.mktemp("dlwp_data")
    (data / "mnist").mkdir()
    for f in MNIST_FILES:
        (data / "mnist" / f).symlink_to(SHARED / "mnist" / f)
    with quick_mode(data, SAMPLE):
        start = time.time()
        nb, messages = run_notebook(NOTEBOOK)
        print(f"\n{NOTEBOOK.name} ran in {time.time() - start:.0f} s (quick mode)")
    return nb, messages


def by_id(nb, cell_id):
    [cell] = [c for c in nb.cells if c.get("id") == cell_id]
    return cell




def test_runs_without_errors(dlwp_run):
    nb, _ = dlwp_run
    # A failing cell, a `?` error included, would have raised CellExecutionError in
    # run_notebook.
    assert errors(nb) == []


def test_offline_mnist_uses_the_t10k_split(dlwp_run):
    nb, _ = dlwp_run
    assert "using the t10k digits, 800 for training and 200 for testing" in texts(by_id(nb, "dlwp2-002"))
    assert texts(by_id(nb, "dlwp2-004")) == "[800, 28, 28]"
    assert texts(by_id(nb, "dlwp2-010")) == "[200, 28, 28]"
    assert texts(cell_with(nb, "// train_images.dtype")) == "Uint8"


def test_keras_model_trains_and_evaluates(dlwp_run):
    nb, _ = dlwp_run
    fit = cell_with(nb, "let evaluation = model.evaluate(")
    out = texts(fit)
    m = re.search(r"test_acc: ([0-9.]+)", out)
    assert m, out
    # One epoch on 800 real digits: far above chance (0.1).
    assert float(m[1]) > 0.5, out
    assert re.search(r"7/7 ━+ .* - accuracy: [0-9.]+ - loss: [0-9.]+", out), out
    predictions = texts(cell_with(nb, "let predictions = model.predict(&test_digits, Predict::default())?;"))
    # The seed's `model.predict(test_digits)`: Keras's line for its one batch, then the result.
    assert re.match(r"1/1 ━{20} \d+s \d+[mu]?s/step\n+Tensor\(shape=\(10,\), dtype=float32",
                    predictions), predictions


def test_progress_bar_and_history(dlwp_run):
    nb, _ = dlwp_run
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("model.fit(")]
    assert len(cells) == 2
    for c in cells:
        bars = [o for o in c.outputs if o.output_type == "display_data"]
        assert bars and bars[-1]["data"]["text/plain"].startswith("7/7 ━"), c.outputs
        assert "History of 1 epoch(s)" in texts(c)


def test_digit_is_shown_as_png(dlwp_run):
    nb, _ = dlwp_run
    cell = cell_with(nb, "let digit = train_images.get(4);")
    [result] = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert result["data"]["text/plain"] == "<Figure size 480x480 with 1 Axes>"
    png = decode_png(result["data"]["image/png"])
    assert png_size(png) == (480, 480) and len(png) > 2000


def test_tensor_cells(dlwp_run):
    nb, _ = dlwp_run
    assert texts(cell_with(nb, "// x.shape\nx.size()")) == "[3, 3, 5]"
    assert texts(cell_with(nb, "np.zeros((300, 20)); np.transpose(x)")) == "[20, 300]"
    assert texts(cell_with(nb, "train_images.i(10..100);")) == "[90, 28, 28]"
    check = texts(cell_with(nb, "matrix-vector dot"))
    assert "matrix-vector dot: true" in check and "matrix dot:        true" in check
    # GradientTape: d(2x + 3)/dx = 2, for a scalar and for each element of a 2x2 x.
    assert texts(cell_with(nb, "tf.Variable(0.)")).endswith("\n2.")
    assert "[[2., 2.],\n [2., 2.]]" in texts(cell_with(nb, "tf.random.uniform((2, 2)): Tensor::rand"))
    timing = [texts(c) for c in nb.cells if c.cell_type == "code" and "Took:" in c.source]
    assert len(timing) == 2 and all(re.fullmatch(r"Took: [0-9.]+ s\n", t) for t in timing), timing


def test_from_scratch_training_loop(dlwp_run):
    nb, _ = dlwp_run
    out = texts(cell_with(nb, "fit(&model, &train_images, &train_labels, 10, 128,"))
    # Ten epochs of 7 batches each (800 images, batch 128): a loss line for batch 0 of each.
    assert [int(e) for e in re.findall(r"^Epoch (\d+)$", out, re.M)] == list(range(10)), out
    losses = [float(v) for v in re.findall(r"loss at batch 0: ([0-9.]+)", out)]
    assert len(losses) == 10 and losses[-1] < losses[0], out
    acc = texts(cell_with(nb, "let predicted_labels = predictions.argmax(1, false);"))
    assert re.fullmatch(r"accuracy: [01]\.\d\d\n", acc), acc
