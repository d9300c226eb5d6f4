"""Shared fixtures for the end-to-end tests: run a notebook with nbclient against the
installed `ferrokeras` kernelspec and hand back the executed notebook."""
import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"


def run_notebook(path: pathlib.Path, timeout: int = 900):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="ferrokeras",
        timeout=timeout,
        startup_timeout=900,
        allow_errors=True,
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
    return nb, messages


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


@pytest.fixture(scope="session")
def notebooks_dir():
    return NOTEBOOKS
