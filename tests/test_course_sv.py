"""notebooks/11_sv_fran_eget_natverk_till_keras.ipynb (the Swedish course notebook, seed 000)
run end to end in quick mode against the installed ferrokeras kernel.

The data directory holds symlinks to the real files in the shared dataset directory (UCI car
evaluation, tiny Shakespeare) and small synthetic files in the real formats for what is not
there: TFDS-style folder-per-class PNGs (rock_paper_scissors, beans, cats_vs_dogs), the
Sign Language MNIST CSVs (label + 784 pixel columns) and the two style-transfer pictures.
Its `models/` folder holds the course's weight files (Keras's published names and layout,
random weights), so `weights: "imagenet"` for MobileNetV2 and style transfer's VGG19 runs the
code path a student's notebook does.
"""
import random
import re
import time

import pytest

from conftest import (NOTEBOOKS, SHARED, add_course_weights, cell_messages, cell_with, decode_png,
                      errors, outputs, png_bytes, png_size, quick_mode, run_notebook, texts,
                      total_params)

NOTEBOOK = NOTEBOOKS / "11_sv_fran_eget_natverk_till_keras.ipynb"
SAMPLE = 60  # spread over car.data's 1728 rows this keeps every feature value and class


def picture(rng, klass, size):
    """A noisy picture whose dominant colour and stripe direction depend on the class."""
    w, h = size
    base = [(200, 60, 60), (60, 200, 60), (60, 60, 200)][klass % 3]
    px = bytearray()
    for y in range(h):
        for x in range(w):
            stripe = ((x if klass % 2 else y) // 4) % 2
            px.extend(max(0, min(255, c - 50 * stripe + rng.randint(-30, 30))) for c in base)
    return png_bytes(w, h, bytes(px))


def image_folders(root, name, splits, classes, per_class, rng, sizes):
    for split, n in zip(splits, per_class):
        for k, cls in enumerate(classes):
            d = root / name / split / cls
            d.mkdir(parents=True)
            for i in range(n):
                (d / f"{cls}_{i:03d}.png").write_bytes(picture(rng, k, rng.choice(sizes)))


def sign_csv(path, n, rng):
    labels = [l for l in range(25) if l != 9]
    lines = ["label," + ",".join(f"pixel{i}" for i in range(1, 785))]
    for r in range(n):
        label = labels[r % len(labels)]
        pix = [
            min(255, (40 + 8 * label + (x * (label + 3)) % 90 + rng.randint(0, 40)))
            for x in range(784)
        ]
        lines.append(f"{label}," + ",".join(map(str, pix)))
    path.write_text("\n".join(lines) + "\n")


def make_data_dir(root):
    for name in ("car_evaluation", "tiny_shakespeare"):
        if not (SHARED / name).is_dir():
            pytest.skip(f"shared dataset {SHARED / name} is missing")
        (root / name).symlink_to(SHARED / name)
    rng = random.Random(0)
    image_folders(root, "rock_paper_scissors", ["train", "test"], ["rock", "paper", "scissors"],
                  [8, 4], rng, [(32, 32)])
    image_folders(root, "beans", ["train", "validation", "test"],
                  ["angular_leaf_spot", "bean_rust", "healthy"], [6, 3, 3], rng, [(40, 40)])
    image_folders(root, "cats_vs_dogs", ["train"], ["cat", "dog"], [20], rng,
                  [(36, 30), (30, 40), (32, 32)])
    sl = root / "sign_language_mnist"
    sl.mkdir()
    sign_csv(sl / "sign_mnist_train.csv", 48, rng)
    sign_csv(sl / "sign_mnist_test.csv", 24, rng)
    st = root / "style_transfer"
    st.mkdir()
    # PNG bytes under the course's .jpg names: images are decoded by content.
    (st / "apple.jpg").write_bytes(picture(rng, 0, (48, 40)))
    (st / "vangogh.jpg").write_bytes(picture(rng, 2, (40, 48)))




def pngs(cell):
    return [
        out for out in cell.get("outputs", [])
        if out.output_type in ("execute_result", "display_data") and "image/png" in out.get("data", {})
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory, course_weights):
    """The notebook executed once in quick mode: (nb, iopub messages)."""
    data = tmp_path_factory.mktemp("sv_data")
    make_data_dir(data)
    add_course_weights(data, course_weights)
    with quick_mode(data, SAMPLE):
        start = time.time()
        nb, messages = run_notebook(NOTEBOOK)
        print(f"\n{NOTEBOOK.name}: quick mode ran in {time.time() - start:.0f} s")
    return nb, messages


@pytest.fixture(scope="module")
def executed(run):
    return run[0]


def test_runs_without_errors(executed):
    assert errors(executed) == []


def test_car_evaluation(executed):
    features = texts(cell_with(executed, "get_dummies"))
    assert "Features: 21 (one-hot encoded)" in features
    assert "Klasser: [\"acc\", \"good\", \"unacc\", \"vgood\"]" in features
    # Dense(16) on 21 features + Dense(4): 21*16+16 + 16*4+4 = 420, as Keras reports.
    assert total_params(cell_with(executed, "let model_cars")) == 420
    assert re.search(r"^Test Accuracy: \d+\.\d%$", texts(cell_with(executed, "y_train_one_hot")), re.M)
    comparison = texts(cell_with(executed, "let model_modern"))
    assert re.search(r"^Sigmoid \+ SGD \+ MSE:  \d+\.\d%$", comparison, re.M)
    assert re.search(r"^ReLU \+ Adam \+ sparse_categorical_crossentropy:    \d+\.\d%$", comparison, re.M)
    assert pngs(cell_with(executed, "Keras ger oss träningshistorik"))


def test_conv_pool_flatten_examples(executed):
    conv = texts(cell_with(executed, "conv_linjar"))
    assert "│  -4  -6  -6 │\n│   0  -4  -6 │\n│   2  -2  -4 │" in conv
    assert "│   0   0   0 │\n│   0   0   0 │\n│   2   0   0 │" in conv
    assert "3×3×1 + 1 = 10" in conv
    block = texts(cell_with(executed, "let forsta_blocket"))
    assert "(None, 98, 98, 32)" in block and "896" in block
    assert "(None, 47, 47, 64)" in block and "18,496" in block
    pool = texts(cell_with(executed, "let pooled"))
    assert "│   3   2 │\n│   6   4 │" in pool
    assert "[1.0, 2.0, 3.0, 4.0]" in pool


def silent_evaluation(text):
    """The seed evaluates with verbose=0: the only loss lines are fit's, with validation."""
    return all("val_loss" in line for line in text.splitlines() if "loss:" in line)


def silent_prediction(text):
    """The seed predicts with verbose=0: no `1/1 ━━━ 0s 3ms/step` line (predict's default)."""
    return "/step" not in text


def test_rock_paper_scissors(executed):
    # Keras: 896 + 18,496 + 36,928 + 409,664 + 195 for 100x100x3 inputs.
    assert total_params(cell_with(executed, "let model_rps")) == 466_179
    trained = texts(cell_with(executed, "model_rps.compile"))
    assert re.search(r"Test Accuracy: \d+\.\d%", trained)
    assert "val_loss" in trained and silent_evaluation(trained), trained
    grid = cell_with(executed, "test_ds.take(1)")
    assert pngs(grid) and silent_prediction(texts(grid)), texts(grid)
    webcam = cell_with(executed, "min_gest.jpg")
    assert "Sannolikheter:" in texts(webcam) and pngs(webcam)
    assert silent_prediction(texts(webcam)), texts(webcam)


def test_beans_and_sign_language(executed):
    beans = texts(cell_with(executed, "let model_beans"))
    assert re.search(r"Test Accuracy: \d+\.\d%", beans)
    assert "val_loss" in beans and silent_evaluation(beans), beans
    loaded = texts(cell_with(executed, "load_sign_language_mnist"))
    assert f"Träningsbilder: {48}" in loaded and "Klasser: 24 bokstäver" in loaded
    assert re.search(r"Test Accuracy: \d+\.\d%", texts(cell_with(executed, "let model_sign")))
    signs = cell_with(executed, "Tensor::randperm")
    assert pngs(signs) and silent_prediction(texts(signs)), texts(signs)


def test_transfer_learning(executed):
    # keras.applications.MobileNetV2(input_shape=(160, 160, 3), include_top=False,
    # weights="imagenet"), frozen: Keras's 154 layers and 2,257,984 parameters, none trainable.
    cell = cell_with(executed, "let base_model = MobileNetV2 {")
    base = texts(cell)
    assert "MobileNet: 154 lager" in base
    assert "Output shape: (None, 5, 5, 1280)" in base
    assert total_params(cell) == 2_257_984
    assert total_params(cell, "Trainable") == 0
    assert total_params(cell, "Non-trainable") == 2_257_984
    assert re.search(r"^Accuracy: \d+\.\d%!$", texts(cell_with(executed, "Med bara 2 epoker")), re.M)
    tuned = texts(cell_with(executed, "tina de sista 20"))
    # base_model.layers[:-20] frozen again: exactly the last 20 of its 154 layers train.
    assert "Träningsbara lager: 20\n" in tuned
    assert re.search(r"^Accuracy efter fine-tuning: \d+\.\d%$", tuned, re.M)


def test_shakespeare_lstm(executed):
    summary = texts(cell_with(executed, "let model_text"))
    # LSTM(128) on 64-wide embeddings: 4 * (64*128 + 128*128 + 128) = 98,816 (the notebook's sum).
    assert "98,816" in summary
    vocab = int(re.search(r"Unika tecken: (\d+)", texts(cell_with(executed, "CharVocab::new"))).group(1))
    assert f"{vocab * 64:,}" in summary  # Embedding: vocab_size x 64, no bias
    generated = texts(cell_with(executed, "fn generate"))
    assert "Shakespeare-bot skriver:" in generated
    # What follows the rule, less println's newline at the end; not strip(): the sampled
    # characters include spaces and newlines, and one at the end is part of the 400.
    after_rule = generated.split("=" * 50)[-1].lstrip("\n")
    assert after_rule.endswith("\n")
    text = after_rule[:-1]
    assert text.startswith("to be or not to be") and len(text) == len("to be or not to be") + 400
    temps = texts(cell_with(executed, "=== Temperature 0.2"))
    assert temps.count("the king") >= 3


def live_picture(cell, cell_msgs):
    """The picture style_transfer shows while it runs: one display, updated in place."""
    shown = [o for o in cell.outputs
             if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert len(shown) == 1, f"{len(shown)} pictures displayed while optimising, expected one"
    first = [m for m in cell_msgs if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"]]
    assert len(first) == 1
    display_id = first[0]["content"].get("transient", {}).get("display_id")
    assert display_id, "style transfer's picture has no display_id, so it cannot be updated"
    updates = [m for m in cell_msgs if m["msg_type"] == "update_display_data"
               and m["content"].get("transient", {}).get("display_id") == display_id]
    assert updates, "style transfer's picture was never updated"
    for m in first + updates:
        png_size(decode_png(m["content"]["data"]["image/png"]))
    return updates


def test_style_transfer(run):
    nb, messages = run
    assert pngs(cell_with(nb, "fn load_img_max"))
    # Quick mode: a small image and three steps of Keras's example (VGG19 features).
    assert "3 steg, 64 pixlar höga bilder" in texts(cell_with(nb, "let stil_inst = StyleTransfer"))
    needle = "let result = style_transfer(&content, &style"
    cell = cell_with(nb, needle)
    live_picture(cell, cell_messages(messages, needle))
    result = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(result) == 1 and "image/png" in result[0]["data"]  # "Resultat!"
    own = cell_with(nb, "min_bild.jpg")
    assert "Stiliserar " in texts(own)
    live_picture(own, cell_messages(messages, "min_bild.jpg"))
    assert any(o.output_type == "execute_result" and "image/png" in o["data"] for o in own.outputs)


def test_every_plot_cell_shows_a_png(executed):
    shown = [cell for cell, out in outputs(executed)
             if out.output_type in ("execute_result", "display_data") and "image/png" in out.get("data", {})]
    # history, RPS examples, RPS predictions, photo, beans examples, sign examples, sign
    # predictions, cats, content/style, style transfer running and its result, own picture
    # running and with its original
    assert len(shown) >= 13
