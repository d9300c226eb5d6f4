"""notebooks/12_da_cnn_cifar10.ipynb (Danish: CNNs on CIFAR-10, augmentation, cats_vs_dogs) run end
to end with nbclient in quick mode, offline, on small synthetic files in the real formats:
CIFAR-10's binary batches (1 label byte + 3,072 pixel bytes per record) and a TFDS-style
folder-per-class copy of cats_vs_dogs (PNG files of different sizes)."""
import random
import re
import time

import pytest

from conftest import (REPO, add_course_weights, cell_with, decode_png, errors, png_bytes, png_size,
                      quick_mode, run_notebook, texts, total_params)

NOTEBOOK = REPO / "notebooks" / "12_da_cnn_cifar10.ipynb"
RECORDS_PER_BATCH = 60
SAMPLE = 120  # examples per split: two training batches, the test batch's first 60 records


def cifar_batch(path, n, rng):
    """n CIFAR-10 records whose colour depends on the label, so the classes can be learnt."""
    out = bytearray()
    for _ in range(n):
        label = rng.randrange(10)
        out.append(label)
        for channel in range(3):
            base = (label * 25 + channel * 70) % 256
            out.extend(min(255, max(0, base + rng.randrange(-30, 31))) for _ in range(32 * 32))
    path.write_bytes(bytes(out))


@pytest.fixture(scope="module")
def da_run(tmp_path_factory, course_weights):
    rng = random.Random(7)
    data = tmp_path_factory.mktemp("da_data")
    add_course_weights(data, course_weights)
    bins = data / "cifar10" / "cifar-10-batches-bin"
    bins.mkdir(parents=True)
    for i in range(1, 6):
        cifar_batch(bins / f"data_batch_{i}.bin", RECORDS_PER_BATCH, rng)
    cifar_batch(bins / "test_batch.bin", RECORDS_PER_BATCH, rng)
    for label, (cls, colour) in enumerate([("cat", (200, 120, 40)), ("dog", (60, 90, 200))]):
        folder = data / "cats_vs_dogs" / "train" / cls
        folder.mkdir(parents=True)
        for k in range(10):
            w, h = 40 + 7 * k, 30 + 5 * k  # every image a different size, as in the real data
            pixels = bytes(min(255, max(0, c + rng.randrange(-20, 21))) for _ in range(w * h) for c in colour)
            (folder / f"{cls}.{k}.png").write_bytes(png_bytes(w, h, pixels))
    with quick_mode(data, SAMPLE):
        start = time.time()
        nb, messages = run_notebook(NOTEBOOK)
        print(f"\n{NOTEBOOK.name} ran in {time.time() - start:.0f} s (quick mode)")
    return nb, messages




def pngs(cell):
    return [decode_png(o["data"]["image/png"]) for o in cell.outputs
            if o.output_type in ("display_data", "execute_result") and "image/png" in o.get("data", {})]




def test_runs_without_errors(da_run):
    nb, _ = da_run
    # A failing cell would have raised CellExecutionError in run_notebook.
    assert errors(nb) == []


def test_summaries_match_keras(da_run):
    nb, _ = da_run
    summaries = [c for c in nb.cells if c.cell_type == "code" and c.source == "model.summary()"]
    assert len(summaries) == 2
    # Keras: conv base 896 + 18,496 + 36,928; then Flatten (1,024) -> Dense 64 (65,600) -> Dense 10 (650).
    assert total_params(summaries[0]) == 56_320
    assert total_params(summaries[1]) == 122_570
    assert "(None, 4, 4, 64)" in texts(summaries[0])
    # Keras's MobileNetV2 base at 160x160 without the top (its weights from the published
    # file name in the cache): 2,257,984 parameters, 34,112 of them BatchNormalization's moving
    # statistics; output (None, 5, 5, 1280).
    base = cell_with(nb, "base_model.summary()")
    assert (total_params(base), total_params(base, "Non-trainable")) == (2_257_984, 34_112)
    # The last layer's rows exactly as Keras 3.15 prints them in an 80-column notebook.
    assert (
        "│ out_relu (ReLU)     │ (None, 5, 5,      │          0 │ Conv_1_bn[0][0]   │\n"
        "│                     │ 1280)             │            │                   │\n"
        "└─────────────────────┴───────────────────┴────────────┴───────────────────┘"
    ) in texts(base), texts(base)[-1200:]
    # The whole transfer model with the base frozen: only the new Dense layer (1,281) trains.
    transfer = cell_with(nb, "base_model.set_trainable(false);")
    assert total_params(transfer) == 2_257_984 + 1_281
    assert total_params(transfer, "Trainable") == 1_281
    assert (
        "│ mobilenetv2_1.00_160            │ (None, 5, 5, 1280)     │     2,257,984 │\n"
        "│ (Functional)                    │                        │               │"
    ) in texts(transfer), texts(transfer)  # as Keras 3.15 prints it


def test_fit_with_validation_and_evaluate(da_run):
    nb, _ = da_run
    fit = texts(cell_with(nb, "let history = model.fit("))
    assert re.search(r"4/4 ━+ .*accuracy: [0-9.]+ - loss: [0-9.]+ - val_accuracy: [0-9.]+ - val_loss: [0-9.]+", fit), fit
    ev = texts(cell_with(nb, "model.evaluate(&test_images, &test_labels, Evaluate { verbose: 2"))
    assert re.search(r"accuracy: [0-9.]+ - loss: [0-9.]+", ev), ev


def test_pictures(da_run):
    nb, _ = da_run
    [first] = pngs(cell_with(nb, "let IMG_INDEX = 1;"))
    assert png_size(first) == (480, 480)
    augmented = cell_with(nb, "let datagen = ImageDataGenerator {")
    [png] = pngs(augmented)
    assert png_size(png) == (1500, 300) and len(png) > 5000
    assert "<Figure size 1500x300 with 5 Axes>" in texts(augmented)
    cats_dogs = cell_with(nb, "train.take(2).iter()")
    [png] = pngs(cats_dogs)
    assert png_size(png) == (800, 400)
    assert "<Figure size 800x400 with 2 Axes>" in texts(cats_dogs)


def test_cats_vs_dogs_splits(da_run):
    nb, _ = da_run
    # 20 files: 80 % / 10 % / 10 %.
    assert texts(cell_with(nb, "let raw_train = tfds_load(")).strip() == "16 træning, 2 validering, 2 test"
