"""Shared fixtures for the end-to-end tests: run a notebook with nbclient against the
installed `ferrokeras` kernelspec and hand back the executed notebook."""
import contextlib
import hashlib
import os
import pathlib
import re
import struct
import subprocess
import sys
import zlib

import nbformat
import pytest
from nbclient import NotebookClient

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
# The course notebooks as the last test run executed them (git ignores tests/out).
EXECUTED = REPO / "tests" / "out" / "executed"
# The real data files for tests (../shared/datasets beside the clone, or where this points).
SHARED = pathlib.Path(os.environ.get("FERROKERAS_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))


def run_notebook(path: pathlib.Path, timeout: int = 900):
    """Executes the notebook; a failing cell (compile error, panic, `?` error: the kernel
    replies `status: "error"`) makes nbclient raise `CellExecutionError` naming the cell and
    the error, so a test never has to look for failures in the outputs."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="ferrokeras",
        timeout=timeout,
        startup_timeout=900,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # Record every iopub message so tests can check live updates (update_display_data).
    messages = []
    original = client.process_message

    def spy(msg, cell, cell_index):
        messages.append(msg)
        return original(msg, cell, cell_index)

    client.process_message = spy
    client.execute()
    if path.parent == NOTEBOOKS:
        # What a course notebook showed in this run, for `publish-notebooks.py --executed`.
        EXECUTED.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, EXECUTED / path.name)
    return nb, messages


@contextlib.contextmanager
def quick_mode(data_dir, sample):
    """Quick mode for the kernels started inside the block (they inherit the environment):
    at most `sample` examples per split, one epoch per fit, no downloads, data from `data_dir`.
    The previous environment comes back afterwards."""
    saved = dict(os.environ)
    os.environ.update(FERROKERAS_SAMPLE=str(sample), FERROKERAS_MAX_EPOCHS="1",
                      FERROKERAS_OFFLINE="1", FERROKERAS_DATA_DIR=str(data_dir))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


KERAS_REFERENCE = REPO / "tests" / "keras_reference"


@pytest.fixture(scope="session")
def course_weights():
    """A folder whose `models/` holds the weight files the course notebooks load with
    `weights: "imagenet"` (Keras's published names and layout, random weights; see
    tests/keras_reference/make_course_weights.py), made once per version of the scripts and
    kept beside the build cache so a warm machine does not make them again."""
    scripts = [KERAS_REFERENCE / "make_course_weights.py", KERAS_REFERENCE / "make_applications.py"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in scripts)).hexdigest()[:16]
    home = pathlib.Path(os.environ.get("FERROKERAS_HOME", pathlib.Path.home() / ".cache" / "ferrokeras"))
    folder = home / "test-fixtures" / f"course-weights-{digest}"
    if not (folder / "done").exists():
        env = dict(os.environ, KERAS_BACKEND="torch")
        subprocess.run([sys.executable, str(scripts[0]), str(folder)], check=True, env=env)
        (folder / "done").write_text("made by make_course_weights.py\n")
    return folder


def add_course_weights(data_dir: pathlib.Path, weights: pathlib.Path):
    """Puts the course's weight files into `data_dir/models/` (links), where the prelude's
    `weights: "imagenet"` looks in its cache."""
    models = data_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    for f in (weights / "models").iterdir():
        (models / f.name).symlink_to(f)


def cell_with(nb, needle):
    """The one code cell whose source contains `needle`."""
    found = [c for c in nb.cells if c.cell_type == "code" and needle in c.source]
    assert len(found) == 1, f"expected one cell containing {needle!r}, found {len(found)}"
    return found[0]


def cell_messages(messages, needle):
    """The iopub messages of the one cell whose code contains `needle` (grouped by the
    execute request they answer, found through its execute_input message)."""
    requests = [m["parent_header"].get("msg_id") for m in messages
                if m["msg_type"] == "execute_input" and needle in m["content"].get("code", "")]
    assert len(requests) == 1, f"expected one executed cell containing {needle!r}, found {len(requests)}"
    return [m for m in messages if m["parent_header"].get("msg_id") == requests[0]]


def outputs(nb, kind=None):
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if kind is None or out.output_type == kind:
                yield cell, out


def errors(nb):
    return [
        f"cell {cell.get('id')}: {out.ename}: {out.evalue}\n" + "\n".join(out.get("traceback", []))
        for cell, out in outputs(nb, "error")
    ]


@pytest.fixture(autouse=True)
def _restore_environment():
    """Quick-mode variables a test sets (the kernel it starts inherits them) end with it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def notebooks_dir():
    return NOTEBOOKS


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes):
    """(width, height) from a PNG's IHDR chunk; AssertionError if `data` is not a PNG."""
    assert data[:8] == PNG_SIGNATURE, f"not a PNG: starts with {data[:8]!r}"
    assert data[12:16] == b"IHDR", "PNG without an IHDR chunk first"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def png_bytes(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG file of `rgb` (row by row, 3 bytes a pixel), for synthetic test images."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def decode_png(b64) -> bytes:
    """The bytes of an `image/png` output (base64 text, possibly split into lines)."""
    import base64

    if isinstance(b64, list):
        b64 = "".join(b64)
    return base64.b64decode(b64)


@pytest.fixture(scope="session")
def plots_run():
    """notebooks/01_plots.ipynb executed once per test session: (nb, iopub messages)."""
    return run_notebook(NOTEBOOKS / "01_plots.ipynb")


def texts(cell):
    """Everything a cell showed as text: streams and text/plain of results and displays."""
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            out.append(o.text)
        elif "data" in o:
            out.append(o["data"].get("text/plain", ""))
    return "\n".join(out)


def total_params(cell, which="Total"):
    """The `Total params` (or `Trainable`, …) count of a summary the cell showed."""
    m = re.search(which + r" params: ([\d,]+)", texts(cell))
    assert m, texts(cell)[:500]
    return int(m[1].replace(",", ""))

