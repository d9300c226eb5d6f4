"""notebooks/00_smoke.ipynb executed with nbclient against the installed ferrokeras kernel."""
import os
import pathlib
import time

from conftest import NOTEBOOKS, decode_png, errors, outputs, png_size, run_notebook

# What a dependency build would rewrite in a session slot: libtorch's bindings, the prelude and
# the shared library that cells link (kernel/prelude-dylib).
HEAVY = ("libtch-*.rlib", "libtorch_sys-*.rlib", "libferrokeras-*.rlib", "libferrokeras_dylib.so")


def compiled_dependencies():
    """Every compiled copy of the heavy dependencies in this user's session slots, with its
    modification time (a copied slot keeps the times of the slot it was copied from)."""
    home = pathlib.Path(os.environ.get("FERROKERAS_HOME", pathlib.Path.home() / ".cache" / "ferrokeras"))
    found = {}
    for pattern in HEAVY:
        for path in (home / "sessions").glob(f"slot-*/target/*/debug/deps/{pattern}"):
            found[path] = path.stat().st_mtime
    return found


def test_smoke_notebook_runs_and_displays():
    before = compiled_dependencies()
    assert before, "set-up left no compiled prelude in the session cache"
    started = time.time()
    nb, messages = run_notebook(NOTEBOOKS / "00_smoke.ipynb")
    assert errors(nb) == []
    # On a set-up machine the first cell (a prelude call) compiles no dependency: every
    # compiled copy of tch and the prelude is older than this run.
    rebuilt = [str(p) for p, mtime in compiled_dependencies().items() if mtime >= started]
    assert rebuilt == [], f"dependencies were compiled while the notebook ran: {rebuilt}"
    results = [out for _, out in outputs(nb, "execute_result")]
    # A prelude call's tensor displays numpy-style.
    first = results[0]["data"]["text/plain"]
    assert "shape=(3,), dtype=float32, device=cpu" in first
    assert "[1., 2., 3.]" in first
    assert "[[ 5., 14.],\n [14., 50.]]" in results[1]["data"]["text/plain"]
    # The progress bar was shown, then updated in place, ending in Keras's line.
    kinds = [m["msg_type"] for m in messages]
    assert "update_display_data" in kinds
    bars = [out for _, out in outputs(nb, "display_data") if "text/plain" in out.get("data", {})]
    assert any(b["data"]["text/plain"].startswith("20/20 ━━━━━━━━━━━━━━━━━━━━") for b in bars)
    # A figure as the last expression displays as a PNG of the figure's size.
    picture = results[-1]["data"]
    assert picture["text/plain"] == "<Figure size 300x300 with 1 Axes>"
    png = decode_png(picture["image/png"])
    assert png_size(png) == (300, 300)
    assert len(png) > 1000
