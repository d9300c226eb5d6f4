"""notebooks/13_en_keras_intro.ipynb (English Keras intro) executed in quick mode with
nbclient: no errors, the summaries' parameter counts equal Keras's, accuracies are printed,
the plots (pairplot stand-in, history, learning curve, activation comparison, matshow of
filters, per-layer activation grid) are real PNGs, and the Tokenizer numbers words as Keras."""
import re

import pytest

from conftest import (NOTEBOOKS, add_course_weights, cell_with, decode_png, errors, outputs,
                      png_size, quick_mode, run_notebook, texts, total_params)
from test_course_de import SAMPLE, prepare_data_dir


@pytest.fixture(scope="module")
def en_run(tmp_path_factory, course_weights):
    data = prepare_data_dir(tmp_path_factory.mktemp("data"))
    add_course_weights(data, course_weights)
    with quick_mode(data, SAMPLE):
        return run_notebook(NOTEBOOKS / "13_en_keras_intro.ipynb")


def test_runs_without_errors(en_run):
    nb, _ = en_run
    # A failing cell would have raised CellExecutionError in run_notebook.
    assert errors(nb) == []


def test_summaries_match_keras_param_counts(en_run):
    nb, _ = en_run
    # Dense(2, input 3) + Dense(1): 3*2+2 + 2+1.
    assert total_params(cell_with(nb, "model.add(Dense::new(2).input_shape([3])")) == 11
    # Darts: 2*128+128 + 128*64+64 + 64*32+32 + 32*4+4.
    assert total_params(cell_with(nb, "model.add(Dense::new(4).activation(\"softmax\")); // 4 outputs")) == 10852
    # Multi-label: 2*2+2 + 2*3+3 trainable.
    assert total_params(cell_with(nb, "let sensors = Tensor::rand"), "Trainable") == 15
    # BatchNormalization: 352 + 4*32 + 33; gamma/beta trainable, moving stats not.
    bn = cell_with(nb, "model.add(BatchNormalization::new());")
    assert (total_params(bn), total_params(bn, "Trainable"), total_params(bn, "Non-trainable")) == (513, 449, 64)
    # CNN: 3*3*1*32+32 + 3*3*32*8+8 + 24*24*8*3+3.
    assert total_params(cell_with(nb, "model.add(Conv2D::new(8, 3)")) == 16459
    # Embedding 7*8 + LSTM 4*(8*8+8*8+8) + Dense 8*8+8 + Dense 8*7+7.
    assert total_params(cell_with(nb, "model.add(LSTM::new(8));")) == 735


def test_accuracies_are_printed(en_run):
    nb, _ = en_run
    for needle, pattern in [
        ("let coords = df.select", r"Test accuracy: [01]\.\d{4}"),
        ("let preds_rounded = preds.round();", r"Accuracy: [01]\.\d+"),
        ("let (x3_test, y3_test) = pick", r"Test accuracy \(digits 0-2\): [01]\.\d{4}"),
        ("let kfold = cross_val_score(", r"scores: \[(\d\.\d{4}, ){4}\d\.\d{4}\]  mean: \d\.\d{4}"),
        ("param(\"batch_size\", [5, 12, 30])", r"Best : \d\.\d{4} using \{activation: \w+, batch_size: \d+, epochs: 20, optimizer: \w+\}"),
    ]:
        t = texts(cell_with(nb, needle))
        assert re.search(pattern, t), (needle, t[-800:])


@pytest.mark.parametrize("needle,axes", [
    ("scatter_by_class(&coordinates", 1),
    ("plot_history(&history)", 2),
    ("fig.ax(0).plot_xy(&train_sizes", 1),
    ("compare_curves(&v_loss_per_f", 1),
    ("matshow(&activations.i((0, .., .., 14)))", 2),
    ("activation_panel(&activations[..layers_to_draw], 10)?", None),
])
def test_plots_are_pngs(en_run, needle, axes):
    nb, _ = en_run
    cell = cell_with(nb, needle)
    result = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(result) == 1 and "image/png" in result[0]["data"], [o.output_type for o in cell.outputs]
    png = decode_png(result[0]["data"]["image/png"])
    m = re.match(r"<Figure size (\d+)x(\d+) with (\d+) Axes>", result[0]["data"]["text/plain"])
    assert m and png_size(png) == (int(m[1]), int(m[2]))
    assert len(png) > 5000
    if axes is not None:
        assert int(m[3]) == axes
    else:
        # One column per conv/pool layer (4 image-like layers), up to 10 filter rows.
        assert int(m[3]) >= 4 * 8


def test_tokenizer_and_shared_encoder(en_run):
    nb, _ = en_run
    tok = texts(cell_with(nb, "tokenizer.fit_on_texts(&lines);"))
    # Keras numbers words by count, ties in order of appearance: a, big, is, potato, tpoac, ha.
    assert "[[5, 3, 1], [3, 1, 2], [1, 2, 4], [2, 4, 6]]" in tok
    assert texts(cell_with(nb, "encoder.add(autoencoder.layers()[0].clone())")).strip().endswith("[100, 32]")
    assert re.search(r"is a -> \w+", texts(cell_with(nb, "let query = Tensor::from_slice2")))


def test_functional_api_shows_connected_to_and_a_graph_picture(en_run):
    nb, _ = en_run
    cell = cell_with(nb, "let res_model = Model::new(&inputs, &outputs)?;")
    # Keras's count for the guide's residual MLP, and its "Connected to" column.
    assert total_params(cell) == 2145
    table = texts(cell)
    # Earlier cells made dense layers too, so these are dense_N (as in Keras).
    assert "Connected to" in table and "│ add (Add)" in table, table
    assert re.search(r"│ add \(Add\) +│ \(None, 32\) +│ +0 │ dense_\d+\[0\]\[0\], +│", table), table
    plot = cell_with(nb, "plot_model(&res_model)")
    pngs = [o for o in plot.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 1, plot.outputs
    width, height = png_size(decode_png(pngs[0]["data"]["image/png"]))
    # Five boxes stacked top to bottom: taller than wide.
    assert height > width > 100, (width, height)


def test_resnet50_loads_keras_weights_and_decodes_predictions(en_run):
    nb, _ = en_run
    # Keras's ResNet50: 177 layers (with the InputLayer), 25,636,712 parameters, loaded from the
    # published file name in the cache (here random weights in Keras's layout).
    built = texts(cell_with(nb, "let model = ResNet50 {"))
    assert "resnet50: 177 layers, 25636712 parameters" in built, built
    for needle in ["let pred = model.predict(&img_array, Predict::default())?;", "let preds = model.predict(&img_array, Predict::default())?;"]:
        cell = cell_with(nb, needle)
        result = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(result) == 1, cell.outputs
        # decode_predictions(pred, top=3)[0]: three (wnid, name, score) rows, best first, as a
        # table in the notebook.
        rows = re.findall(r"^  (\d)\. (\w+) \((n\d{8})\) (\d\.\d{4})$", result[0]["data"]["text/plain"], re.M)
        assert [r[0] for r in rows] == ["1", "2", "3"], result[0]["data"]["text/plain"]
        scores = [float(r[3]) for r in rows]
        assert scores == sorted(scores, reverse=True)
        assert result[0]["data"]["text/html"].count("<tr>") == 4  # header + 3 rows
    acts = texts(cell_with(nb, "let activation_model = Model::new(&model.input()?, layer_outputs)?;"))
    assert "/step" not in acts, acts  # the seed's m.predict(img_array, verbose=0)
    # The InputLayer is named as Keras names it: input_layer_N after the notebook's other inputs.
    assert re.search(r"^177 layer activations, from input_layer(_\d+)? to predictions$", acts, re.M), acts
