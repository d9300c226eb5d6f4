#!/usr/bin/env python3
"""Execute the course notebooks and publish them as HTML, so a student can see what each cell
should show: docs/notebooks/NAME.html, linked from the README's "Notebooks, executed" section
(rewritten between its markers). The notebooks in git stay without outputs.

    source kernel/scripts/env.sh
    python kernel/scripts/publish-notebooks.py [NOTEBOOK...] [--data-dir DIR] [--sample N]
    python kernel/scripts/publish-notebooks.py --executed tests/out/executed

Each notebook runs in full mode when its data is here (FERROKERAS_DATA_DIR, e.g. one built by
`python tests/full_mode_data.py DIR`); when a loader reports a missing file it runs again in
quick mode (at most N examples per split, one epoch per fit, no downloads). A note at the top
of the page says which. A cell that fails stops that notebook, and the script exits non-zero.
"""
import argparse
import datetime
import os
import pathlib
import re
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
BEGIN, END = "<!-- notebooks:begin -->", "<!-- notebooks:end -->"
STYLESHEET = "notebook.css"


def execute(path: pathlib.Path, env: dict, timeout: int):
    """The executed notebook; CellExecutionError if a cell fails."""
    nb = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.update(env)  # the kernel nbclient starts inherits it
    try:
        NotebookClient(nb, kernel_name="ferrokeras", timeout=timeout, startup_timeout=900,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def run(path: pathlib.Path, data_dir, sample: int, timeout: int):
    """(executed notebook, mode sentence): full mode first when there is a data dir, quick
    mode when that fails for want of a data file (or there is none)."""
    base = {"FERROKERAS_OFFLINE": "1"}
    if data_dir:
        base["FERROKERAS_DATA_DIR"] = str(data_dir)
        try:
            return execute(path, base, timeout), "full mode (all the data)"
        except CellExecutionError as e:
            if e.ename != "FileNotFoundError":
                raise
            print(f"  {path.name}: {e.evalue.splitlines()[0]}; quick mode instead", file=sys.stderr)
    quick = dict(base, FERROKERAS_SAMPLE=str(sample), FERROKERAS_MAX_EPOCHS="1")
    return (execute(path, quick, timeout),
            f"quick mode (at most {sample} examples per split, one epoch per fit: the data for "
            "full mode was not on the machine that ran it)")


TEST_RUN_MODE = ("quick mode as the test command runs it (generated data files in the real "
                 "formats, a few dozen examples per split, one epoch per fit; pretrained networks "
                 "with random weights in Keras's file layout, so their predictions mean nothing)")


def publish(path: pathlib.Path, out_dir: pathlib.Path, data_dir, sample: int, timeout: int,
            executed=None):
    if executed is not None and (executed / path.name).exists():
        nb, mode = nbformat.read(executed / path.name, as_version=4), TEST_RUN_MODE
    else:
        nb, mode = run(path, data_dir, sample, timeout)
    when = datetime.date.today().isoformat()
    note = (f"*This page is `notebooks/{path.name}` as the ferrokeras kernel executed it on "
            f"{when}, in {mode}.*")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
    html, _ = HTMLExporter().from_notebook_node(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    html = with_shared_stylesheet(html, out_dir)
    target = out_dir / (path.stem + ".html")
    write_atomically(target, html)
    return target, mode.split(" (")[0]


def write_atomically(path: pathlib.Path, text: str):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def with_shared_stylesheet(html: str, out_dir: pathlib.Path) -> str:
    """The page with the `<style>` blocks of its head (nbconvert's JupyterLab theme, 260 kB,
    the same in every page) moved to one `notebook.css` beside the pages, which it links."""
    head_end = html.index("</head>")
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html[:head_end], re.S)
    if not styles:
        return html
    write_atomically(out_dir / STYLESHEET, "\n".join(styles))
    head = re.sub(r"\s*<style[^>]*>.*?</style>", "", html[:head_end], flags=re.S)
    return head + f'<link rel="stylesheet" href="{STYLESHEET}">\n' + html[head_end:]


def title(path: pathlib.Path) -> str:
    """The notebook's first Markdown heading, else its file name."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#+\s*(.+)$", cell.source, re.M)
            if m:
                return m[1].strip()
    return path.stem


def update_readme(readme: pathlib.Path, published):
    """Rewrites the list between the README's markers (appending the section if missing)."""
    lines = [BEGIN, ""]
    for notebook, html, mode in published:
        link = os.path.relpath(html, readme.parent)
        lines.append(f"- [{title(notebook)}]({link}) — `{notebook.name}`, {mode}")
    lines += ["", END]
    block = "\n".join(lines)
    text = readme.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Notebooks, executed\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=pathlib.Path,
                    help="default: every notebooks/*.ipynb")
    ap.add_argument("--data-dir", type=pathlib.Path, default=os.environ.get("FERROKERAS_DATA_DIR"),
                    help="data for full mode (default: $FERROKERAS_DATA_DIR)")
    ap.add_argument("--sample", type=int, default=512, help="examples per split in quick mode")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    ap.add_argument("--executed", type=pathlib.Path,
                    help="publish the notebooks as the last test run executed them "
                         "(tests/out/executed) instead of running them")
    ap.add_argument("--out", type=pathlib.Path, default=REPO / "docs" / "notebooks")
    ap.add_argument("--readme", type=pathlib.Path, default=REPO / "README.md")
    args = ap.parse_args()
    notebooks = args.notebooks or sorted((REPO / "notebooks").glob("*.ipynb"))
    published, failed = [], []
    for path in notebooks:
        path = path.resolve()
        print(f"==> {path.name}", flush=True)
        try:
            html, mode = publish(path, args.out, args.data_dir, args.sample, args.timeout,
                                 args.executed)
        except CellExecutionError as e:
            print(f"  {path.name} failed: {e.ename}: {e.evalue}", file=sys.stderr)
            failed.append(path.name)
            continue
        print(f"  wrote {html} ({mode})", flush=True)
        published.append((path, html, mode))
    if published:
        update_readme(args.readme, published)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
