"""Issue 7's screenshot test: JupyterLab (from the venv, on a free localhost port, with a
token) serves an already-executed notebook with a training curve and a prediction grid;
headless Chromium opens it, waits for the output images, and takes a screenshot
(tests/out/jupyterlab-plots.png). Checks: the output <img> elements decoded with non-zero
natural size equal to the figures' sizes, the screenshot is a PNG of the window's size, and
the screenshot's pixels where each <img> sits match that image (it really shows the plots)."""
import base64
import copy
import json
import signal
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from conftest import REPO, png_size
from screenshot.browser import ensure_chromium, headless_chromium
from screenshot.lab import jupyterlab

OUT = REPO / "tests" / "out"
WIDTH, HEIGHT = 1400, 1500
TEST_LIMIT_S = 600  # chromium's install (when missing) is bounded separately
CHECKS_JS = (Path(__file__).parent / "screenshot" / "checks.js").read_text()


def executed_cell(nb, needle):
    cell = next(c for c in nb.cells if c.cell_type == "code" and needle in c.source)
    assert any("image/png" in o.get("data", {}) for o in cell.outputs), f"{needle}: no PNG output"
    return copy.deepcopy(cell)


@pytest.fixture
def training_notebook(plots_run, tmp_path):
    """A notebook whose outputs are already there: the training curves and the prediction
    grid cells of notebooks/01_plots.ipynb as nbclient executed them."""
    nb, _ = plots_run
    small = new_notebook(metadata=copy.deepcopy(nb.metadata), cells=[
        new_markdown_cell("# Training curves and predictions"),
        executed_cell(nb, "plot_history(&history)"),
        executed_cell(nb, "prediction_grid(&photos"),
    ])
    root = tmp_path / "lab"
    root.mkdir()
    nbformat.write(small, root / "training.ipynb")
    return root, "training.ipynb"


@pytest.fixture
def time_limit():
    """The whole test ends (its JupyterLab and Chromium shut down by their `with` blocks)
    after TEST_LIMIT_S seconds, even if a browser or server call hangs."""

    def expired(signum, frame):
        raise TimeoutError(f"screenshot test ran past {TEST_LIMIT_S}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_LIMIT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def wait_for(driver, script, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        if time.monotonic() > deadline:
            OUT.mkdir(exist_ok=True)
            driver.save_screenshot(str(OUT / "jupyterlab-timeout.png"))
            pytest.fail(f"timed out after {timeout}s waiting for {what} "
                        f"(page so far: tests/out/jupyterlab-timeout.png)")
        time.sleep(0.5)


OUTPUT_IMAGES_READY = """
const imgs = Array.from(document.querySelectorAll('.jp-OutputArea-output img'));
if (imgs.length < 2 || !imgs.every(i => i.complete && i.naturalWidth > 0)) return null;
return imgs.map(i => [i.naturalWidth, i.naturalHeight]);
"""


@pytest.fixture
def chromium():
    reason = ensure_chromium()
    if reason:
        print(f"SKIP screenshot test: {reason}")
        pytest.skip(reason)

KERNEL_NAME = """
const el = document.querySelector('.jp-NotebookPanel-toolbar .jp-Toolbar-kernelName');
const name = el && el.textContent.trim();
return name && name !== 'No Kernel' && name !== 'Kernel' ? name : null;
"""


def test_jupyterlab_screenshot_shows_the_plots(chromium, training_notebook, time_limit, tmp_path):
    root, name = training_notebook
    OUT.mkdir(exist_ok=True)
    shot_path = OUT / "jupyterlab-plots.png"
    shot_path.unlink(missing_ok=True)

    with jupyterlab(root, tmp_path / "jupyterlab.log") as (base, token), \
            headless_chromium(tmp_path / "chromium-profile", WIDTH, HEIGHT,
                              tmp_path / "chromedriver.log") as driver:
        driver.get(f"{base}/lab/tree/{name}?token={token}")
        natural = wait_for(driver, OUTPUT_IMAGES_READY, 120, "the notebook's output images")
        # Let the layout settle (fonts, scroll position) before the picture.
        time.sleep(2)
        natural = driver.execute_script(OUTPUT_IMAGES_READY)
        kernel_name = wait_for(driver, KERNEL_NAME, 60, "the notebook toolbar's kernel name")
        inner = driver.execute_script("return [window.innerWidth, window.innerHeight, window.devicePixelRatio]")
        assert driver.save_screenshot(str(shot_path))
        shot = shot_path.read_bytes()
        report = driver.execute_async_script(CHECKS_JS, base64.b64encode(shot).decode())
        title = driver.title

    print(json.dumps({"kernel": kernel_name, "natural": natural, "window": inner, "checks": report, "title": title}))
    # JupyterLab opened it with the notebook's kernelspec.
    assert kernel_name == "Rust (ferrokeras)"
    # The output images decoded, with the figures' own sizes.
    assert natural == [[1000, 400], [440, 304]], natural
    # The screenshot is a real PNG of the window's size.
    assert inner == [WIDTH, HEIGHT, 1], inner
    assert png_size(shot) == (WIDTH, HEIGHT)
    assert len(shot) > 50_000, f"screenshot of only {len(shot)} bytes"
    assert "error" not in report, report
    assert report["screenshot"] == list(png_size(shot))
    # Each plot is on screen, and the screenshot there shows that plot's pixels.
    for img in report["images"]:
        vis_w, vis_h = img["visible"]
        assert vis_w >= 0.9 * img["shown"][0] and vis_h >= 0.9 * img["shown"][1], img
        assert img["mean_abs_diff"] < 2, img  # a blank area there would give ~6
        assert img["non_white_fraction"] > 0.02 and img["colours"] > 20, img
