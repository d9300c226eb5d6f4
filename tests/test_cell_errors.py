"""A failing cell fails the notebook: nbclient (as papermill, CI and grading scripts use it)
raises CellExecutionError for a `?` error, and kernel/scripts/run-notebook.py exits non-zero,
while the cells after it are not run."""
import subprocess
import sys

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

from conftest import REPO, run_notebook

KERNELSPEC = {"name": "ferrokeras", "display_name": "Rust (ferrokeras)", "language": "rust"}


def failing_notebook(path):
    """Three cells: one that runs, one whose `?` returns an error, one that must not run."""
    nb = new_notebook(cells=[
        new_code_cell('println!("first cell ran");'),
        new_code_cell('let n: u8 = "300".parse()?;\nn'),
        new_code_cell('println!("after the error");'),
    ], metadata={"kernelspec": KERNELSPEC})
    nbformat.write(nb, path)
    return path


def test_question_mark_error_makes_nbclient_raise(tmp_path):
    path = failing_notebook(tmp_path / "failing.ipynb")
    with pytest.raises(CellExecutionError) as raised:
        run_notebook(path)
    assert raised.value.ename == "ParseIntError"
    assert raised.value.evalue == "number too large to fit in target type"
    assert 'let n: u8 = "300".parse()?;' in str(raised.value)


def test_run_notebook_script_exits_non_zero_and_keeps_the_error(tmp_path):
    path = failing_notebook(tmp_path / "failing.ipynb")
    out = tmp_path / "executed.ipynb"
    done = subprocess.run([sys.executable, str(REPO / "kernel/scripts/run-notebook.py"), str(path), str(out)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ParseIntError" in done.stderr
    nb = nbformat.read(out, as_version=4)
    first, failed, after = nb.cells
    assert [o.text for o in first.outputs if o.output_type == "stream"] == ["first cell ran\n"]
    errors = [o for o in failed.outputs if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("ParseIntError", "number too large to fit in target type")]
    assert after.outputs == [], "a cell after the error ran"


def test_a_cell_reading_stdin_fails_at_once_under_nbclient(tmp_path):
    """nbclient sends `allow_stdin: false`: a cell that reads stdin must fail with ipykernel's
    StdinNotImplementedError instead of waiting for input nobody can give (until the timeout)."""
    nb = new_notebook(cells=[
        new_code_cell('let mut line = String::new();\nstd::io::stdin().read_line(&mut line).unwrap();'),
        new_code_cell('println!("after the read");'),
    ], metadata={"kernelspec": KERNELSPEC})
    path = tmp_path / "reads_stdin.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(CellExecutionError) as raised:
        run_notebook(path, timeout=120)
    assert raised.value.ename == "StdinNotImplementedError"
    assert "does not support input" in raised.value.evalue
