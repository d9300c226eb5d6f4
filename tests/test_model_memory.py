"""Re-running a model cell frees the model it replaces: in the kernel, ten more runs of a
cell that builds and trains a 40 MB model leave the cell process within one model's size of
a single run (a student re-running cells must not run out of memory)."""
import re

import nbformat
from nbclient import NotebookClient

from conftest import errors, texts

MODEL_CELL = """\
let inputs = Input::new([1000]);
let a = Dense::new(10_000).call(&inputs)?;
let s = Add::new().call(&[&a, &a])?;
let out = Dense::new(1).call(&s)?;
let model = Model::new(&inputs, &out)?;
model.compile("adam", "mse", ())?;
model.train_on_batch(&Tensor::randn([8, 1000], (Kind::Float, Device::Cpu)),
                     &Tensor::randn([8, 1], (Kind::Float, Device::Cpu)))?;
let params = model.count_params();"""

RSS_CELL = """\
let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
let pages: f64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
println!("RSS_MB={:.1} PARAMS={}", pages * 4096.0 / 1e6, params);"""


def test_rerunning_a_model_cell_keeps_one_model_in_memory():
    cells = [MODEL_CELL, RSS_CELL] + [MODEL_CELL] * 10 + [RSS_CELL]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="ferrokeras", timeout=600, startup_timeout=900,
                   allow_errors=True).execute()
    assert errors(nb) == []
    readings = [re.search(r"RSS_MB=([\d.]+) PARAMS=(\d+)", texts(c)) for c in
                (nb.cells[1], nb.cells[-1])]
    assert all(readings), [texts(c) for c in (nb.cells[1], nb.cells[-1])]
    (once, params), (eleven, _) = [(float(m[1]), int(m[2])) for m in readings]
    model_mb = params * 4 / 1e6
    print(f"cell process: {once:.1f} MB after one run, {eleven:.1f} MB after eleven; "
          f"one model is {model_mb:.1f} MB of weights")
    assert params > 10_000_000
    assert eleven - once < model_mb, (once, eleven, model_mb)
