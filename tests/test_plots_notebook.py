"""notebooks/01_plots.ipynb executed with nbclient: every plot renderer of the prelude shows
inline as a real PNG, and LivePlot redraws its figure in place (update_display_data)."""
import re

import pytest

from conftest import cell_messages, cell_with, decode_png, errors, png_size

# The renderer each cell ends with (found in the cell's source) -> the least the PNG must be.
RENDERERS = [
    "plot_history(&history)",
    "image_grid(&digits",
    "prediction_grid(&photos",
    "plot_feature_maps(&activation",
    "plot_filters(&kernel)",
    "compare_curves(&runs",
    "plot_confusion_matrix(&y_true",
    "scatter_by_class(&points",
    "Figure::new(1200, 400).subplots(1, 3)",
]


def test_plots_notebook_has_no_errors(plots_run):
    nb, _ = plots_run
    # A failing cell would have raised CellExecutionError in run_notebook.
    assert errors(nb) == []


@pytest.mark.parametrize("needle", RENDERERS)
def test_renderer_output_is_a_png(plots_run, needle):
    nb, _ = plots_run
    cell = cell_with(nb, needle)
    results = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
    assert len(results) == 1, [o.output_type for o in cell.outputs]
    data = results[0]["data"]
    assert "image/png" in data, f"{needle}: no image/png, got {sorted(data)}: {str(data)[:300]}"
    png = decode_png(data["image/png"])
    width, height = png_size(png)
    # The figure's text form names its size; the PNG must be exactly that big.
    m = re.match(r"<Figure size (\d+)x(\d+) with (\d+) Axes>", data["text/plain"])
    assert m, data["text/plain"][:200]
    assert (width, height) == (int(m[1]), int(m[2]))
    assert width >= 300 and height >= 200
    # A real picture, not a blank canvas: PNG compresses a blank figure to a few hundred bytes.
    assert len(png) > 5000, f"{needle}: PNG of only {len(png)} bytes"


def test_subplot_counts_match_the_renderers(plots_run):
    nb, _ = plots_run

    def axes(needle):
        cell = cell_with(nb, needle)
        text = next(o for o in cell.outputs if o.output_type == "execute_result")["data"]["text/plain"]
        return int(re.search(r"with (\d+) Axes", text)[1])

    assert axes("plot_history(&history)") == 2  # loss and accuracy side by side
    assert axes("image_grid(&digits") == 8
    assert axes("prediction_grid(&photos") == 8
    assert axes("plot_feature_maps(&activation") == 16
    assert axes("Figure::new(1200, 400).subplots(1, 3)") == 3


def test_liveplot_redraws_in_place(plots_run):
    nb, messages = plots_run
    cell = cell_with(nb, "live.on_epoch_end(&running)")
    shown = [o for o in cell.outputs if o.output_type == "display_data"]
    assert len(shown) == 1, "LivePlot must keep one display, redrawn in place"
    assert "image/png" in shown[0]["data"]
    result = next(o for o in cell.outputs if o.output_type == "execute_result")
    assert result["data"]["text/plain"] == "4"  # drawn after each of the 4 epochs

    messages = cell_messages(messages, "live.on_epoch_end(&running)")
    first = [m for m in messages if m["msg_type"] == "display_data"
             and "<Figure size 500x400" in m["content"]["data"].get("text/plain", "")]
    assert first, "LivePlot's first display_data was not seen on iopub"
    display_id = first[-1]["content"].get("transient", {}).get("display_id")
    assert display_id, "LivePlot's display has no display_id, so it cannot be updated"
    updates = [m for m in messages if m["msg_type"] == "update_display_data"
               and m["content"].get("transient", {}).get("display_id") == display_id]
    assert len(updates) == 3, f"{len(updates)} updates of the live plot, expected 3"
    for u in updates:
        assert png_size(decode_png(u["content"]["data"]["image/png"])) == (500, 400)
    # Each redraw has one more epoch: the pictures differ.
    assert len({decode_png(u["content"]["data"]["image/png"]) for u in updates}) == 3


def test_liveplot_in_fit_redraws_during_training(plots_run):
    """`fit` with a LivePlot callback: one figure shown after the first epoch and updated in
    place (update_display_data with image/png) after each later one, beside the progress bar."""
    nb, messages = plots_run
    needle = "callbacks: vec![Box::new(LivePlot::new())]"
    cell = cell_with(nb, needle)
    result = next(o for o in cell.outputs if o.output_type == "execute_result")
    assert result["data"]["text/plain"] == "3"  # 3 epochs trained
    messages = cell_messages(messages, needle)
    plots = [m for m in messages if m["msg_type"] == "display_data"
             and "image/png" in m["content"]["data"]]
    assert len(plots) == 1, f"{len(plots)} live plot displays, expected one redrawn in place"
    display_id = plots[0]["content"].get("transient", {}).get("display_id")
    assert display_id, "the live plot's display has no display_id, so it cannot be updated"
    updates = [m for m in messages if m["msg_type"] == "update_display_data"
               and m["content"].get("transient", {}).get("display_id") == display_id]
    assert len(updates) == 2, f"{len(updates)} updates of the live plot, expected 2 (epochs 2, 3)"
    # loss and accuracy side by side, 500x400 each
    for m in plots + updates:
        assert png_size(decode_png(m["content"]["data"]["image/png"])) == (1000, 400)
    # The progress bar is a separate display, updated too, not replaced by the plot.
    bar_ids = {m["content"].get("transient", {}).get("display_id") for m in messages
               if m["msg_type"] in ("display_data", "update_display_data")
               and "image/png" not in m["content"]["data"]}
    assert bar_ids and display_id not in bar_ids
