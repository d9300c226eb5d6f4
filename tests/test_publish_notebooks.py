"""kernel/scripts/publish-notebooks.py on a small generated notebook (the course notebooks are
published by running the script itself): it executes the notebook, writes the HTML page with
the note saying how it ran, and rewrites the README's link list between its markers."""
import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import REPO

KERNELSPEC = {"name": "ferrokeras", "display_name": "Rust (ferrokeras)", "language": "rust"}


def test_publish_writes_html_and_readme_links(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = new_notebook(cells=[new_markdown_cell("# Tiny tensors"),
                             new_code_cell("Tensor::from_slice(&[4.0f32, 5.0])")],
                      metadata={"kernelspec": KERNELSPEC})
    nbformat.write(nb, notebooks / "tiny.ipynb")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n## Notebooks, executed\n\n<!-- notebooks:begin -->\nold\n<!-- notebooks:end -->\n\nafter\n")
    out = tmp_path / "docs" / "notebooks"
    done = subprocess.run([sys.executable, str(REPO / "kernel/scripts/publish-notebooks.py"),
                           str(notebooks / "tiny.ipynb"), "--out", str(out), "--readme", str(readme)],
                          capture_output=True, text=True, timeout=900, env=_without_data_dir())
    assert done.returncode == 0, done.stdout + done.stderr
    html = (out / "tiny.html").read_text()
    assert "quick mode" in html and "notebooks/tiny.ipynb" in html
    assert "[4., 5.]" in html
    text = readme.read_text()
    assert "- [Tiny tensors](docs/notebooks/tiny.html) — `tiny.ipynb`, quick mode" in text
    assert "old" not in text and text.endswith("after\n")
    # The source notebook keeps no outputs.
    assert all(not c.get("outputs") for c in nbformat.read(notebooks / "tiny.ipynb", as_version=4).cells)


def _without_data_dir():
    import os
    env = dict(os.environ)
    env.pop("FERROKERAS_DATA_DIR", None)
    return env


def test_publish_from_a_test_run_uses_its_outputs_and_says_so(tmp_path):
    notebooks = tmp_path / "notebooks"
    executed = tmp_path / "executed"
    notebooks.mkdir()
    executed.mkdir()
    source = new_notebook(cells=[new_markdown_cell("# Ran in the tests"), new_code_cell("1 + 1")],
                          metadata={"kernelspec": KERNELSPEC})
    nbformat.write(source, notebooks / "ran.ipynb")
    ran = new_notebook(cells=[new_markdown_cell("# Ran in the tests"), new_code_cell("1 + 1")],
                       metadata={"kernelspec": KERNELSPEC})
    ran.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                                   execution_count=1)]
    nbformat.write(ran, executed / "ran.ipynb")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n")
    out = tmp_path / "pages"
    done = subprocess.run([sys.executable, str(REPO / "kernel/scripts/publish-notebooks.py"),
                           str(notebooks / "ran.ipynb"), "--executed", str(executed),
                           "--out", str(out), "--readme", str(readme)],
                          capture_output=True, text=True, timeout=120, env=_without_data_dir())
    assert done.returncode == 0, done.stdout + done.stderr
    html = (out / "ran.html").read_text()
    # The test run's output, and the note that it is one (no kernel ran here).
    assert ">2<" in html or "2</pre>" in html, html[-2000:]
    assert "quick mode as the test command runs it" in html
    # The theme every page shares is one stylesheet beside the pages, not copied into each.
    assert '<link rel="stylesheet" href="notebook.css">' in html and "<style" not in html.split("</head>")[0]
    assert "jp-Notebook" in (out / "notebook.css").read_text()
    assert "— `ran.ipynb`, quick mode as the test command runs it" in readme.read_text()


def test_full_mode_note_names_the_data_and_other_entries_stay(tmp_path):
    """With a data dir the page says full mode and which data the notebook read (a link into
    the shared datasets is named with where it points); the README keeps the entries of
    notebooks not published in this run."""
    import pytest

    from conftest import SHARED
    if not (SHARED / "iris").is_dir():
        pytest.skip(f"shared datasets not found at {SHARED}")
    data = tmp_path / "data"
    data.mkdir()
    (data / "iris").symlink_to(SHARED / "iris")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = new_notebook(cells=[new_markdown_cell("# Flowers"),
                             new_code_cell("let iris = load_iris()?;\niris.data.size()")],
                      metadata={"kernelspec": KERNELSPEC})
    nbformat.write(nb, notebooks / "flowers.ipynb")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- notebooks:begin -->\n\n"
                      "- [Zebra](docs/notebooks/zebra.html) — `zebra.ipynb`, quick mode as the test command runs it\n"
                      "- [Flowers](docs/notebooks/flowers.html) — `flowers.ipynb`, quick mode\n"
                      "\n<!-- notebooks:end -->\n")
    out = tmp_path / "docs" / "notebooks"
    done = subprocess.run([sys.executable, str(REPO / "kernel/scripts/publish-notebooks.py"),
                           str(notebooks / "flowers.ipynb"), "--data-dir", str(data),
                           "--out", str(out), "--readme", str(readme)],
                          capture_output=True, text=True, timeout=900, env=_without_data_dir())
    assert done.returncode == 0, done.stdout + done.stderr
    html = (out / "flowers.html").read_text()
    import os
    where = os.path.relpath(SHARED.resolve(), REPO)  # ../shared/datasets beside the clone
    assert f"full mode on Iris from {where} (" in html and "[150, 4]" in html, html[-3000:]
    assert "quick mode" not in html.split("[150, 4]")[0].split("This page is")[1]
    text = readme.read_text()
    entries = [line for line in text.splitlines() if line.startswith("- [")]
    assert entries == [
        "- [Flowers](docs/notebooks/flowers.html) — `flowers.ipynb`, full mode on real data: Iris",
        "- [Zebra](docs/notebooks/zebra.html) — `zebra.ipynb`, quick mode as the test command runs it",
    ], text
