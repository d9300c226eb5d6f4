"""Regression: the first cell of a session that uses `?` must show its final value with its
rich display (the figure as image/png), not evcxr's `Debug` fallback. evcxr enables `?` only
after a first cell fails to compile without it; the kernel now uses `?` once at start-up."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from conftest import run_notebook


def test_first_question_mark_cell_displays_its_figure(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("let digits = Tensor::zeros([2, 28, 28], (Kind::Float, Device::Cpu));"),
        new_code_cell('image_grid(&digits, &["a", "b"], 2)?'),
    ], metadata={"kernelspec": {"name": "ferrokeras", "display_name": "Rust (ferrokeras)",
                                "language": "rust"}})
    path = tmp_path / "first_question_mark.ipynb"
    nbformat.write(nb, path)
    executed, _ = run_notebook(path)
    result = [o for o in executed.cells[1].outputs if o.output_type == "execute_result"]
    assert result, executed.cells[1].outputs
    data = result[0]["data"]
    assert data["text/plain"].startswith("<Figure size"), data["text/plain"][:80]
    assert "image/png" in data
