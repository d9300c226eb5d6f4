"""kernel/scripts/bench_course_keras.py's reading of the seeds (no kernel runs here): the code
cells it takes from the two text dumps, and the data-loading edits it makes to them."""
import importlib.util

import pytest

from conftest import REPO

spec = importlib.util.spec_from_file_location("bench_course_keras",
                                              REPO / "kernel/scripts/bench_course_keras.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.fixture(autouse=True)
def seeds_here():
    if not bench.SEEDS.is_dir():
        pytest.skip(f"seeds not found at {bench.SEEDS}")


def test_cells_of_the_dlwp_seed_end_before_their_outputs():
    cells = bench.cells_after_markers((bench.SEEDS / "004_aac7dabe79ded3c1.txt").read_text())
    assert len(cells) == 73  # 66 "In [None]:" and 7 numbered cells
    assert cells[1] == "train_images.shape"  # not its output "(60000, 28, 28)"
    assert cells[29] == "train_labels[4]"  # not the Markdown heading after it
    assert cells[40].startswith("import time\n\nx = np.random.random")  # blank lines inside
    assert cells[40].endswith('print("Took: {0:.2f} s".format(time.time() - t0))')


def test_only_the_listed_lines_change():
    for key in ("14", "15"):
        nb = bench.keras_notebook(key)
        source = "\n".join(c.source for c in nb.cells[1:])
        assert "mnist.load_data()" not in source.replace("_local.mnist_load_data()", "")
        assert "60000" not in source and "experimental" not in source
    fences = bench.cells_in_fences((bench.SEEDS / "003_ad6ca50015d5ff2b.txt").read_text())
    assert len(bench.keras_notebook("14").cells) == len(fences) + 1  # + the loaders' cell
