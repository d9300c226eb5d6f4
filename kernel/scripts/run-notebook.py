#!/usr/bin/env python3
"""Execute a notebook headlessly with the ferrokeras kernel and write it back with outputs.

    python kernel/scripts/run-notebook.py notebooks/00_smoke.ipynb [OUT.ipynb] [--timeout S]

Exits non-zero (and still writes the notebook) if a cell fails: a compile error, a panic or a
`?` error (the kernel replies `status: "error"`, so nbclient stops there), or any `error`
output in the notebook (a cell tagged `raises-exception` lets nbclient go on past it).
"""
import argparse
import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def error_outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.output_type == "error"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook")
    ap.add_argument("output", nargs="?", help="where to write the executed notebook (default: in place)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = ap.parse_args()
    nb = nbformat.read(args.notebook, as_version=4)
    client = NotebookClient(nb, kernel_name="ferrokeras", timeout=args.timeout,
                            startup_timeout=600,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}})
    status = 0
    try:
        client.execute()
    except CellExecutionError as e:
        print(e, file=sys.stderr)
        status = 1
    for error in error_outputs(nb):
        print(f"error output: {error.ename}: {error.evalue}", file=sys.stderr)
        status = 1
    out = args.output or args.notebook
    # Written atomically: a temp file in the same folder, then renamed.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(out)), suffix=".ipynb")
    with os.fdopen(fd, "w") as f:
        nbformat.write(nb, f)
    os.replace(tmp, out)
    print(f"wrote {out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
