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
of the page says which, and in full mode which data the notebook read: the datasets its
loaders name, each described from the data dir (a link into ../shared/datasets is real data; the
MNIST files are described by the counts in their IDX headers). A cell that fails stops that
notebook, and the script exits non-zero. The README list keeps the entries of notebooks not
published in this run, so publishing one notebook leaves the others' links in place.
"""
import argparse
import datetime
import gzip
import os
import pathlib
import re
import struct
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
    """(executed notebook, mode sentence, short mode for the README): full mode first when there
    is a data dir, quick mode when that fails for want of a data file (or there is none)."""
    base = {"FERROKERAS_OFFLINE": "1"}
    if data_dir:
        base["FERROKERAS_DATA_DIR"] = str(data_dir)
        try:
            nb = execute(path, base, timeout)
        except CellExecutionError as e:
            if e.ename != "FileNotFoundError":
                raise
            print(f"  {path.name}: {e.evalue.splitlines()[0]}; quick mode instead", file=sys.stderr)
        else:
            data = describe_data(datasets_used(path), pathlib.Path(data_dir))
            if not data:
                return nb, "full mode (all the data, every epoch the notebook asks for)", "full mode"
            return (nb, f"full mode on {data} (no sampling, every epoch the notebook asks for)",
                    f"full mode on {short_data(datasets_used(path), pathlib.Path(data_dir))}")
    quick = dict(base, FERROKERAS_SAMPLE=str(sample), FERROKERAS_MAX_EPOCHS="1")
    return (execute(path, quick, timeout),
            f"quick mode (at most {sample} examples per split, one epoch per fit: the data for "
            "full mode was not on the machine that ran it)", "quick mode")


# What the prelude's loaders read: (pattern in a code cell, folder in the data dir, name).
LOADERS = [
    (r"\bmnist::load_(?:data|split)\b", "mnist", "MNIST"),
    (r"\bfashion_mnist::load_", "fashion_mnist", "Fashion-MNIST"),
    (r"\bload_iris\b", "iris", "Iris"),
    (r"\bfetch_california_housing\b", "california_housing", "California housing"),
    (r"\bload_car_evaluation\b", "car_evaluation", "UCI car evaluation"),
    (r"\bload_shakespeare\b", "tiny_shakespeare", "tiny Shakespeare"),
    (r"\bcifar10::load_", "cifar10", "CIFAR-10"),
    (r"\bload_sign_language_mnist\b", "sign_language_mnist", "Sign Language MNIST"),
]


def datasets_used(path: pathlib.Path):
    """[(folder, name)] of the datasets the notebook's code cells load, in order of first use;
    `tfds_load("NAME", …)` adds NAME."""
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    found = []
    for pattern, folder, name in LOADERS:
        m = re.search(pattern, code)
        if m:
            found.append((m.start(), folder, name))
    for m in re.finditer(r'\btfds_load\(\s*"([A-Za-z0-9_]+)"', code):
        if all(f != m[1] for _, f, _ in found):
            found.append((m.start(), m[1], m[1]))
    return [(folder, name) for _, folder, name in sorted(found)]


SHARED = pathlib.Path(os.environ.get("FERROKERAS_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))


def idx_head(path: pathlib.Path, n: int = 8):
    """The first n bytes of an IDX gzip file, decompressed; None if unreadable."""
    try:
        with gzip.open(path, "rb") as f:
            head = f.read(n)
        return head if len(head) == n else None
    except OSError:
        return None


def idx_count(path: pathlib.Path):
    """The first dimension of an IDX (gzip) file, from its header; None if unreadable."""
    head = idx_head(path)
    return struct.unpack(">I", head[4:8])[0] if head else None


def describe_mnist(folder: pathlib.Path):
    """(phrase, where the digits come from or None)."""
    train = idx_count(folder / "train-images-idx3-ubyte.gz")
    test = idx_count(folder / "t10k-images-idx3-ubyte.gz")
    if train is None or test is None:
        return "MNIST", None
    if train + test == 10_000:  # the t10k file split in two (tests/full_mode_data.py)
        shared = SHARED / "mnist" / "t10k-images-idx3-ubyte.gz"
        first = idx_head(folder / "train-images-idx3-ubyte.gz", 16 + 28 * 28)
        if first and first[16:] == (idx_head(shared, 16 + 28 * 28) or b"")[16:]:
            return (f"the real MNIST t10k digits split {train:,}/{test:,}",
                    os.path.relpath(shared.parent.parent, REPO))
        return f"MNIST digits split {train:,}/{test:,}", None
    return f"MNIST ({train:,} training / {test:,} test digits)", None


def origin(folder: pathlib.Path):
    """Where a dataset folder's files come from: the repository-relative path of the folder a
    link points to (e.g. ../shared/datasets), or None for files in the data dir itself."""
    if not folder.is_symlink():
        return None
    return os.path.relpath(folder.resolve().parent, REPO)


def describe_data(used, data_dir: pathlib.Path) -> str:
    """A phrase naming the data the notebook read, e.g. "the real MNIST t10k digits split
    8,000/2,000, Iris and California housing from ../shared/datasets": MNIST first, then the
    linked datasets by where they come from, then files generated in the data dir."""
    phrases, linked, generated = [], {}, []
    for folder, name in sorted(used, key=lambda u: u[0] != "mnist"):
        where = data_dir / folder
        if folder == "mnist":
            mnist, source = describe_mnist(where)
            if source:
                linked.setdefault(source, []).append(mnist)
            else:
                phrases.append(mnist)
        elif origin(where):
            linked.setdefault(origin(where), []).append(name)
        elif where.exists():
            generated.append(name)
    for where, names in linked.items():
        phrases.append(f"{and_list(names)} from {where}")
    if generated:
        phrases.append(f"{and_list(generated)} as generated stand-ins in the real formats")
    return ", ".join(phrases)


def and_list(names) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def short_data(used, data_dir: pathlib.Path) -> str:
    """The README's shorter form: the datasets' names, MNIST with its split."""
    names = []
    for folder, name in sorted(used, key=lambda u: u[0] != "mnist"):
        if folder == "mnist":
            train = idx_count(data_dir / "mnist" / "train-images-idx3-ubyte.gz")
            test = idx_count(data_dir / "mnist" / "t10k-images-idx3-ubyte.gz")
            names.append(f"MNIST t10k split {train:,}/{test:,}" if train and test and train + test == 10_000
                         else "MNIST")
        elif (data_dir / folder).exists():
            names.append(name if origin(data_dir / folder) else f"{name} (stand-in)")
    return "real data: " + ", ".join(names) if names else "its data"


TEST_RUN_MODE = ("quick mode as the test command runs it (generated data files in the real "
                 "formats, a few dozen examples per split, one epoch per fit; pretrained networks "
                 "with random weights in Keras's file layout, so their predictions mean nothing)")


def publish(path: pathlib.Path, out_dir: pathlib.Path, data_dir, sample: int, timeout: int,
            executed=None):
    if executed is not None and (executed / path.name).exists():
        nb, mode = nbformat.read(executed / path.name, as_version=4), TEST_RUN_MODE
        short = mode.split(" (")[0]
    else:
        nb, mode, short = run(path, data_dir, sample, timeout)
    when = datetime.date.today().isoformat()
    note = (f"*This page is `notebooks/{path.name}` as the ferrokeras kernel executed it on "
            f"{when}, in {mode}.*")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
    html, _ = HTMLExporter().from_notebook_node(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    html = with_shared_stylesheet(html, out_dir)
    target = out_dir / (path.stem + ".html")
    write_atomically(target, html)
    return target, short


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


ENTRY = re.compile(r"^- \[.*\]\(.*\) — `(?P<name>[^`]+\.ipynb)`, .*$")


def update_readme(readme: pathlib.Path, published):
    """Rewrites the list between the README's markers (appending the section if missing): the
    notebooks published now, and the entries already there for the others (so one notebook
    can be published again without the others' links going), sorted by file name."""
    text = readme.read_text(encoding="utf-8")
    entries = {}
    if BEGIN in text and END in text:
        for line in text[text.index(BEGIN) + len(BEGIN):text.index(END)].splitlines():
            m = ENTRY.match(line.strip())
            if m:
                entries[m["name"]] = line.strip()
    for notebook, html, mode in published:
        link = os.path.relpath(html, readme.parent)
        entries[notebook.name] = f"- [{title(notebook)}]({link}) — `{notebook.name}`, {mode}"
    lines = [BEGIN, ""] + [entries[name] for name in sorted(entries)] + ["", END]
    block = "\n".join(lines)
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
