#!/usr/bin/env python3
"""Course notebooks on real data: the ferrokeras notebook beside the seed's own cells in
Keras 3 (TensorFlow CPU backend), on the same files, on this machine, in the same run.

For each notebook (default 14 and 15) and round (default 2), in this order: the Keras seed,
then the ferrokeras notebook; each executed whole by nbclient (a fresh kernel each time, as
publish-notebooks.py runs them), timed from the kernel's start to its shutdown. The 1-minute
load average is printed before each run (the machine is shared). At the end it prints, per
notebook, the figures each side's cells printed (accuracies, losses) and the wall times, as a
Markdown table for docs/performance.md.

    source kernel/scripts/env.sh      # the project venv: nbclient, nbformat
    export JUPYTER_PATH=...           # where the `ferrokeras` kernelspec to use is
    python kernel/scripts/bench_course_keras.py [--notebooks 14,15] [--rounds 2]
        [--data-dir DIR] [--keras-venv /root/.cache/keras-tf-venv] [--keep DIR] [--json FILE]

The Keras side runs in a scratch virtualenv (not the project's):

    python3 -m venv /root/.cache/keras-tf-venv
    /root/.cache/keras-tf-venv/bin/pip install keras==3.15.1 tensorflow-cpu==2.21.0 \\
        scikit-learn matplotlib pandas ipykernel

(tensorflow-cpu 2.21.0 is the newest TensorFlow on PyPI for Python 3.11 in December 2026, and
Keras 3.15.1 runs on it; KERAS_BACKEND=tensorflow). The script writes a kernelspec `keras-tf`
for that venv's ipykernel into its scratch folder and puts that folder first on JUPYTER_PATH.

**The seed's cells.** The seeds in ../shared/seeds are text dumps of the Keras notebooks: in
004 (DLwP chapter 2) "In [None]:" starts a code cell, whose code runs to the first block that
is the cell's output or Markdown; 003 (the German overview, a slide deck) has its code in
```py fences, one cell each. The cells run in order, unchanged except for these lines
(`EDITS` below; each must match exactly as often as listed, or the script stops):

- Data loading, so that Keras reads the same files as ferrokeras and nothing is downloaded
  (the machine reaches no dataset host):
  * `keras.datasets.mnist.load_data()` / `mnist.load_data()` -> `_local.mnist_load_data()`:
    the body of Keras's load_data after its download (np.load of `mnist.npz`), on an mnist.npz
    in a scratch KERAS_HOME that holds the data dir's MNIST split (8,000 / 2,000 of the real
    t10k digits, tests/full_mode_data.py). Keras's own load_data would reject the file (it
    checks the SHA-256 of the 60,000-digit original) and try to download it.
  * `datasets.load_iris()` -> `_local.load_iris()`: the same Bunch (data, target) read from the
    UCI `iris.data` that ferrokeras's load_iris reads (sklearn's bundled copy corrects two
    values of the UCI file).
  * `datasets.fetch_california_housing()` is **not** changed: sklearn finds its cache file
    `cal_housing_py3.pkz` in a scratch SCIKIT_LEARN_DATA, written here from the shared
    `cal_housing.data` exactly as sklearn writes it after its download (np.loadtxt, columns
    reordered, joblib.dump); sklearn then derives the features as always.
  * 004: `reshape((60000, 28 * 28))` -> `reshape((8000, 28 * 28))` and `(10000, …)` ->
    `(2000, …)`: the seed writes MNIST's split sizes as numbers (the ferrokeras notebook
    writes -1).
- Keras 3 and the seed's slips (003 only; the ferrokeras notebook makes the same changes):
  * `keras.layers.experimental.preprocessing.Rescaling` -> `keras.layers.Rescaling` (Keras 3
    removed the `experimental` namespace).
  * `x = keras.layers.Flatten()(x)` -> `(inputs)` in the functional MNIST model (the seed's
    slip: Keras cannot build a model whose output does not depend on its input).
  * `import numpy as np` added before the first cell that uses `np` (the slides never import
    it).
- Display: `plt.show()` stays; MPLBACKEND=Agg makes it a no-op instead of an inline picture.

A first cell, added by this script, defines `_local` (the two loaders). Cells that raise in
Keras are recorded (the run goes on, `allow_errors`) and listed under the table. Threads:
both sides use their defaults (TensorFlow and libtorch: one intra-op thread per core), or N
with `--threads N`. Each run's per-cell times (nbclient's timestamps) stay in the notebooks
that `--keep` writes; `--report` prints the tables again from `--json` and `--keep`.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
SHARED = REPO.parent / "shared"
SEEDS = pathlib.Path(os.environ.get("FERROKERAS_SEEDS", SHARED / "seeds"))
DEFAULT_KERAS_VENV = pathlib.Path("/root/.cache/keras-tf-venv")

# --- the seeds' code cells --------------------------------------------------------------------

CELL_MARK = re.compile(r"^In \[(?:None|\d+)\]:\s*$")
FENCE = re.compile(r"^```py\n(.*?)^```", re.S | re.M)


def _is_output(block: str) -> bool:
    """Whether a block after a cell's code is what the cell showed, not more code: text that
    is not Python, or a lone literal, `array(...)` repr or word."""
    import ast
    try:
        tree = ast.parse(block)
    except SyntaxError:
        return True
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    v = tree.body[0].value
    if isinstance(v, (ast.Constant, ast.Name)):
        return True
    if isinstance(v, ast.UnaryOp) and isinstance(v.operand, ast.Constant):
        return True
    if isinstance(v, ast.Tuple) and all(isinstance(e, ast.Constant) for e in v.elts):
        return True
    return isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "array"


def cells_after_markers(text: str):
    """Code cells of a dump where "In [None]:" starts each: blank-line-separated blocks up to
    the first that is output or Markdown (a `### heading` alone parses as a comment)."""
    import ast
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if CELL_MARK.match(line)]
    cells = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        blocks, current = [], []
        for line in lines[start + 1:end]:
            if line.strip():
                current.append(line)
            elif current:
                blocks.append(current)
                current = []
        if current:
            blocks.append(current)
        code = []
        for block in blocks:
            src = "\n".join(block)
            if code and block[0][:1] in (" ", "\t"):
                code.append(src)  # an indented block continues a def or class
                continue
            if code and (_is_output(src) or all(b.lstrip().startswith("#") for b in block)):
                break
            try:
                ast.parse("\n\n".join(code + [src]))
            except SyntaxError:
                break
            code.append(src)
        cells.append("\n\n".join(code))
    return cells


def cells_in_fences(text: str):
    return [m.group(1).rstrip("\n") for m in FENCE.finditer(text)]


# --- what each notebook compares --------------------------------------------------------------

N_TRAIN, N_TEST = 8000, 2000  # tests/full_mode_data.py's split of the real t10k digits

MNIST_WHY = "data: the same 8,000/2,000 t10k split, from an mnist.npz in a scratch KERAS_HOME"
IRIS_WHY = "data: the UCI iris.data that ferrokeras reads"
SIZES_WHY = "data: the seed writes MNIST's split sizes as numbers"

# (old, new, how many times in the whole seed, why)
EDITS = {
    "14": [
        ("datasets.load_iris()", "_local.load_iris()", 2, IRIS_WHY),
        ("keras.datasets.mnist.load_data()", "_local.mnist_load_data()", 2, MNIST_WHY),
        ("keras.layers.experimental.preprocessing.Rescaling(", "keras.layers.Rescaling(", 2,
         "Keras 3 removed keras.layers.experimental"),
        ("x = keras.layers.Flatten()(x)", "x = keras.layers.Flatten()(inputs)", 1,
         "the seed's slip: the functional model's output must depend on its input"),
        ("# input values for an iris setosa flower\n",
         "import numpy as np  # added: the slides use np without importing it\n"
         "# input values for an iris setosa flower\n", 1, "np was never imported"),
    ],
    "15": [
        ("mnist.load_data()", "_local.mnist_load_data()", 4, MNIST_WHY),
        ("reshape((60000, 28 * 28))", f"reshape(({N_TRAIN}, 28 * 28))", 4, SIZES_WHY),
        ("reshape((10000, 28 * 28))", f"reshape(({N_TEST}, 28 * 28))", 3, SIZES_WHY),
    ],
}

NOTEBOOKS = {
    "14": ("14_de_keras_ueberblick.ipynb", "003_ad6ca50015d5ff2b.txt", cells_in_fences),
    "15": ("15_en_da_dlwp_kapitel2.ipynb", "004_aac7dabe79ded3c1.txt", cells_after_markers),
}

ACC = r"(?<![a-z_])accuracy: ([0-9.]+)"
# (figure, Keras cell (text in its source, or "=" and its whole source; which match),
# ferrokeras cell, pattern; the last match in the cell's output, its groups joined by " / ")
METRICS = {
    "14": [
        ("Iris, 300 epochs: last epoch accuracy / val_accuracy",
         ("epochs=300, validation_split=0.1)", 0), ("epochs: 300, validation_split: 0.1, ..", 0),
         ACC + r"[^\n]*?val_accuracy: ([0-9.]+)"),
        ("MNIST, functional model, adam, 15 epochs: last val_accuracy",
         ("epochs=15", 0), ("epochs: 15", 0), r"val_accuracy: ([0-9.]+)"),
        ("California housing, 100 epochs: MSE of evaluate(x, y)",
         ("=model.evaluate(x, y)", 0), ("=model.evaluate(&x, &y, Evaluate::default())?", 0), r"loss: ([0-9.]+)"),
        ("MNIST with Rescaling, 5 epochs: evaluate on the 2,000 test digits [loss, accuracy]",
         ("print(model.evaluate(x_test, y_test))", 0), ("model.evaluate(&x_test, &y_test, ", 0),
         r"\[([0-9.]+), ([0-9.]+)\]"),
    ],
    "15": [
        ("Dense 512, rmsprop, 5 epochs: last epoch accuracy",
         ("epochs=5, batch_size=128)", 0), ("epochs: 5, batch_size: 128", 0), ACC),
        ("the same model: test_acc (2,000 test digits)",
         ('print(f"test_acc', 0), ('println!("test_acc', 0), r"test_acc: ([0-9.]+)"),
        ("vectorised add + relu, 1000 × 20×100: seconds",
         ("z = np.maximum(z, 0.)", 0), ("np.maximum(z, 0.)", 0), r"Took: ([0-9.]+) s"),
        ("naive (loops) add + relu, 1000 × 20×100: seconds",
         ("z = naive_add(x, y)", 0), ("naive_add(&x, &y)", 0), r"Took: ([0-9.]+) s"),
        ("second run of the model ('Looking back'), 5 epochs: last epoch accuracy",
         ("epochs=5, batch_size=128)", 1), ("epochs: 5, batch_size: 128", 1), ACC),
        ("from-scratch NaiveDense loop, SGD 1e-3, 10 epochs: test accuracy",
         ("matches.mean()", 0), ("matches.to_kind", 0), ACC),
    ],
}

# Defines the loaders the edited lines call; the first cell of every Keras run.
PREAMBLE = '''\
# Added by kernel/scripts/bench_course_keras.py (not in the seed): loaders for the local files.
def _make_local():
    import os, types
    import numpy as np

    def mnist_load_data():
        """keras.datasets.mnist.load_data() after its download: np.load of mnist.npz."""
        path = os.path.join(os.environ["KERAS_HOME"], "datasets", "mnist.npz")
        with np.load(path, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])

    def load_iris():
        """sklearn.datasets.load_iris()'s data and target, from the UCI iris.data."""
        from sklearn.utils import Bunch
        classes = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
        with open(os.environ["BENCH_IRIS_DATA"]) as f:
            rows = [line.strip().split(",") for line in f if line.strip()]
        return Bunch(data=np.array([[float(v) for v in r[:4]] for r in rows]),
                     target=np.array([classes.index(r[4]) for r in rows]),
                     target_names=np.array(["setosa", "versicolor", "virginica"]),
                     feature_names=["sepal length (cm)", "sepal width (cm)",
                                    "petal length (cm)", "petal width (cm)"])

    return types.SimpleNamespace(mnist_load_data=mnist_load_data, load_iris=load_iris)


_local = _make_local()
'''

# Run with the Keras venv's Python: the scratch KERAS_HOME and SCIKIT_LEARN_DATA.
PREPARE = r'''
import gzip, os, sys
import numpy as np
import joblib
data, keras_home, sk_home = sys.argv[1:4]

def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)

m = os.path.join(data, "mnist")
os.makedirs(os.path.join(keras_home, "datasets"), exist_ok=True)
np.savez_compressed(os.path.join(keras_home, "datasets", "mnist.npz"),
                    x_train=idx(os.path.join(m, "train-images-idx3-ubyte.gz")),
                    y_train=idx(os.path.join(m, "train-labels-idx1-ubyte.gz")),
                    x_test=idx(os.path.join(m, "t10k-images-idx3-ubyte.gz")),
                    y_test=idx(os.path.join(m, "t10k-labels-idx1-ubyte.gz")))
# sklearn.datasets.fetch_california_housing, after its download of cal_housing.tgz:
cal = np.loadtxt(os.path.join(data, "california_housing", "cal_housing.data"), delimiter=",")
cal = cal[:, [8, 7, 2, 3, 4, 5, 6, 1, 0]]
os.makedirs(sk_home, exist_ok=True)
joblib.dump(cal, os.path.join(sk_home, "cal_housing_py3.pkz"), compress=6)
import keras, tensorflow, sklearn
print(f"keras {keras.__version__}, tensorflow {tensorflow.__version__}, "
      f"scikit-learn {sklearn.__version__}, numpy {np.__version__}")
'''


def keras_notebook(key: str) -> nbformat.NotebookNode:
    _, seed, extract = NOTEBOOKS[key]
    cells = extract((SEEDS / seed).read_text(encoding="utf-8"))
    for old, new, times, _ in EDITS[key]:
        found = sum(c.count(old) for c in cells)
        if found != times:
            sys.exit(f"{seed}: `{old}` found {found} times, expected {times}: has the seed changed?")
        cells = [c.replace(old, new) for c in cells]
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(PREAMBLE)] + [nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "keras-tf", "display_name": "Keras 3 (TensorFlow CPU)",
                                 "language": "python"}})


def write_kernelspec(scratch: pathlib.Path, venv: pathlib.Path, env: dict) -> pathlib.Path:
    root = scratch / "jupyter"
    spec = root / "kernels" / "keras-tf"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Keras 3 (TensorFlow CPU)", "language": "python", "env": env}, indent=1))
    return root


# --- running ---------------------------------------------------------------------------------

def execute(nb, kernel: str, cwd: pathlib.Path, env: dict, drop=()):
    """(seconds, executed notebook): the whole notebook, kernel start to shutdown."""
    saved = dict(os.environ)
    for name in drop:
        os.environ.pop(name, None)
    os.environ.update(env)
    try:
        client = NotebookClient(nb, kernel_name=kernel, timeout=3600, startup_timeout=900,
                                allow_errors=True, resources={"metadata": {"path": str(cwd)}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start, nb
    finally:
        os.environ.clear()
        os.environ.update(saved)


def cell_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
    # Keras's progress bar rewrites its line with \b and \r; keep what it left.
    return re.sub(r"[\b\r]+", "\n", "".join(parts))


def errors(nb):
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                found.append(f"cell {i} (`{first[:60]}`): {out.ename}: {out.evalue.splitlines()[0][:160] if out.evalue else ''}")
    return found


def figure(nb, where, pattern: str):
    text, which = where
    if text.startswith("="):
        matching = [c for c in nb.cells if c.cell_type == "code" and c.source.strip() == text[1:]]
    else:
        matching = [c for c in nb.cells if c.cell_type == "code" and text in c.source]
    if len(matching) <= which:
        return "(no such cell)"
    found = list(re.finditer(pattern, cell_text(matching[which]), re.S))
    if not found:
        return "(not shown)"
    return " / ".join(g for g in found[-1].groups())


def california_variance(data_dir: pathlib.Path) -> float:
    """Var(y) of the California target (median house value / 100,000), for MSE / Var(y)."""
    ys = [float(line.split(",")[8]) / 1e5
          for line in (data_dir / "california_housing" / "cal_housing.data").read_text().splitlines()
          if line.strip()]
    mean = sum(ys) / len(ys)
    return sum((y - mean) ** 2 for y in ys) / len(ys)


def cell_seconds(nb):
    """Each code cell's run time, from the timestamps nbclient records."""
    def at(stamp):
        return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    times = []
    for cell in nb.cells:
        e = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in e and "shell.execute_reply" in e:
            times.append((at(e["shell.execute_reply"]) - at(e["iopub.execute_input"])).total_seconds())
    return times


def summarize(key: str, side: str, rnd: int, seconds: float, load: float, nb) -> dict:
    times = cell_seconds(nb)
    short = [t for t in times if t < 3]
    return {"round": rnd, "side": side, "seconds": round(seconds, 1), "load": load,
            "figures": {label: figure(nb, kw if side == "keras" else fw, pat)
                        for label, kw, fw, pat in METRICS[key]},
            "cells": len(times), "short_cells": len(short), "short_cells_s": round(sum(short), 1),
            "errors": errors(nb)}


def print_tables(results: dict, var_y: float):
    for key, result in results.items():
        runs = result["runs"]
        print(f"### {NOTEBOOKS[key][0]} (seed {NOTEBOOKS[key][1][:3]})\n")
        print("| figure | " + " | ".join(f"{r['side']} r{r['round']}" for r in runs) + " |")
        print("|---|" + "---|" * len(runs))
        for label, *_ in METRICS[key]:
            cells = [" / ".join(f"{float(v):.4f}" if re.fullmatch(r"[0-9]+\.[0-9]{5,}", v) else v
                                for v in r["figures"][label].split(" / ")) for r in runs]
            print(f"| {label} | " + " | ".join(cells) + " |")
            if label.startswith("California"):
                ratio = [f"{float(c) / var_y:.3f}" if re.fullmatch(r"[0-9.]+", c) else "—" for c in cells]
                print(f"| California: MSE / Var(y) (Var(y) = {var_y:.3f}) | " + " | ".join(ratio) + " |")
        print("| **wall time of the whole notebook** (kernel start to shutdown) | "
              + " | ".join(f"**{r['seconds']:.0f} s**" for r in runs) + " |")
        print("| of which cells under 3 s each (count): their total | "
              + " | ".join(f"{r['short_cells_s']:.0f} s ({r['short_cells']} of {r['cells']})" for r in runs) + " |")
        print("| load average (1 min) before the run | " + " | ".join(f"{r['load']:.1f}" for r in runs) + " |")
        for r in runs:
            for e in r["errors"]:
                print(f"\n{r['side']} round {r['round']}: {e}")
        print()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notebooks", default="14,15", help="comma-separated: 14,15")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sides", default="keras,ferrokeras", help="which to run, in this order")
    ap.add_argument("--threads", type=int,
                    help="intra-op threads for both sides (OMP_NUM_THREADS for libtorch, "
                         "TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS for TensorFlow; "
                         "ferrokeras then starts its own session, FERROKERAS_STANDBY=0, as a "
                         "standby's libtorch was started without it). Default: each library's own")
    ap.add_argument("--data-dir", type=pathlib.Path,
                    help="a full-mode data dir (default: one made by tests/full_mode_data.py --real-only)")
    ap.add_argument("--keras-venv", type=pathlib.Path, default=DEFAULT_KERAS_VENV)
    ap.add_argument("--scratch", type=pathlib.Path, help="scratch folder (default: a temporary one)")
    ap.add_argument("--keep", type=pathlib.Path, help="write the executed notebooks here")
    ap.add_argument("--json", type=pathlib.Path, help="write the results here")
    ap.add_argument("--report", action="store_true",
                    help="run nothing: print the tables again from --json and the notebooks in --keep")
    args = ap.parse_args()
    if args.report:
        saved = json.loads(args.json.read_text())
        for key, result in saved["results"].items():
            stem = pathlib.Path(NOTEBOOKS[key][0]).stem
            result["runs"] = [dict(r, **{k: v for k, v in summarize(
                key, r["side"], r["round"], r["seconds"], r["load"],
                nbformat.read(args.keep / f"{stem}.{r['side']}.round{r['round']}.ipynb", as_version=4)).items()
                if k not in ("seconds", "load")}) for r in result["runs"]]
        print(f"{saved['started'][:16]}–{saved['ended'][11:16]}, {saved['cores']} cores; "
              f"{saved['versions']}{saved.get('threads_note', '')}\n")
        print_tables(saved["results"], saved["var_y_california"])
        return 0
    keys = args.notebooks.split(",")
    scratch = args.scratch or pathlib.Path(tempfile.mkdtemp(prefix="bench-course-keras-"))
    scratch.mkdir(parents=True, exist_ok=True)
    data = args.data_dir
    if data is None:
        sys.path.insert(0, str(REPO / "tests"))
        from full_mode_data import build
        data = build(scratch / "data", stand_ins=False)
    data = data.resolve()
    keras_home, sk_home = scratch / "keras-home", scratch / "scikit-learn-data"
    python = args.keras_venv / "bin" / "python"
    versions = subprocess.run([str(python), "-c", PREPARE, str(data), str(keras_home), str(sk_home)],
                              check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    keras_env = {"KERAS_BACKEND": "tensorflow", "MPLBACKEND": "Agg", "KERAS_HOME": str(keras_home),
                 "SCIKIT_LEARN_DATA": str(sk_home), "BENCH_IRIS_DATA": str(data / "iris" / "iris.data")}
    ferro_env = {"FERROKERAS_DATA_DIR": str(data), "FERROKERAS_OFFLINE": "1"}
    threads_note = ""
    if args.threads:
        n = str(args.threads)
        keras_env.update(TF_NUM_INTRAOP_THREADS=n, TF_NUM_INTEROP_THREADS=n)
        ferro_env.update(OMP_NUM_THREADS=n, FERROKERAS_STANDBY="0")
        threads_note = f"; {n} thread(s) each side"
    jupyter = write_kernelspec(scratch, args.keras_venv, keras_env)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter), os.environ.get("JUPYTER_PATH")]))
    quick = ("FERROKERAS_SAMPLE", "FERROKERAS_MAX_EPOCHS")
    var_y = california_variance(data)
    started = datetime.datetime.now()
    print(f"{started:%Y-%m-%d %H:%M} on {platform.node()}, {os.cpu_count()} cores; {versions}"
          f"{threads_note}; data {data}", flush=True)

    results = {k: {"runs": []} for k in keys}
    for rnd in range(1, args.rounds + 1):
        for key in keys:
            notebook = REPO / "notebooks" / NOTEBOOKS[key][0]
            for side in args.sides.split(","):
                load = os.getloadavg()
                print(f"round {rnd}, {notebook.stem}, {side}: load average {load[0]:.2f} "
                      f"{load[1]:.2f} {load[2]:.2f}", flush=True)
                if side == "keras":
                    seconds, nb = execute(keras_notebook(key), "keras-tf", scratch, {})
                else:
                    nb = nbformat.read(notebook, as_version=4)
                    seconds, nb = execute(nb, "ferrokeras", notebook.parent, ferro_env, drop=quick)
                run = summarize(key, side, rnd, seconds, load[0], nb)
                results[key]["runs"].append(run)
                print(f"  {seconds:.1f} s; " + "; ".join(run["figures"].values())
                      + (f"; {len(run['errors'])} cell(s) failed" if run["errors"] else ""), flush=True)
                for e in run["errors"]:
                    print(f"    {e}", flush=True)
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    nbformat.write(nb, args.keep / f"{notebook.stem}.{side}.round{rnd}.ipynb")

    ended = datetime.datetime.now()
    print(f"\n{started:%Y-%m-%d %H:%M}–{ended:%H:%M}, {os.cpu_count()} cores; {versions}{threads_note}\n")
    print_tables(results, var_y)
    if args.json:
        args.json.write_text(json.dumps({"started": started.isoformat(), "ended": ended.isoformat(),
                                         "versions": versions, "cores": os.cpu_count(),
                                         "threads_note": threads_note,
                                         "var_y_california": var_y, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
