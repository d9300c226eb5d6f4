"""A notebook executed with the ferrokeras kernel converts with nbconvert: `--to script`
writes a `.rs` file (the kernel names no nbconvert exporter, so the script exporter uses the
language's file extension) and `--to html` the page docs/notebooks/ publishes."""
import subprocess
import sys

import nbformat

from conftest import NOTEBOOKS, REPO


def test_executed_notebook_converts_to_rust_script_and_html(tmp_path):
    executed = tmp_path / "00_smoke.ipynb"
    run = subprocess.run([sys.executable, str(REPO / "kernel/scripts/run-notebook.py"),
                          str(NOTEBOOKS / "00_smoke.ipynb"), str(executed)],
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout + run.stderr
    nb = nbformat.read(executed, as_version=4)
    assert nb.metadata["language_info"]["file_extension"] == ".rs"
    assert "nbconvert_exporter" not in nb.metadata["language_info"]
    code = [c.source for c in nb.cells if c.cell_type == "code"]

    for to in ("script", "html"):
        done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", to,
                               "--output-dir", str(tmp_path / to), str(executed)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    script = (tmp_path / "script" / "00_smoke.rs").read_text()
    for source in code:
        assert source in script
    html = (tmp_path / "html" / "00_smoke.html").read_text()
    # The outputs are in the page: the tensor's numpy-style text and the figure as an image.
    assert "dtype=float32" in html
    assert "data:image/png;base64," in html
