"""The README's first command, `bash kernel/scripts/setup.sh`: on this (set-up) machine it only
checks and builds what is missing, and must end with JupyterLab running and offering the
`ferrokeras` kernel. JupyterLab gets a free localhost port, a token and no browser through the
arguments the script passes on, and is stopped (with the standby the script starts) at the end."""
import json
import urllib.request

from conftest import REPO
from screenshot.lab import jupyterlab

SETUP = ["bash", str(REPO / "kernel" / "scripts" / "setup.sh")]


def test_setup_command_ends_with_jupyterlab_offering_the_kernel(tmp_path):
    root = tmp_path / "lab"
    root.mkdir()
    # A fresh machine's set-up takes many minutes; here it finds everything in place.
    with jupyterlab(root, tmp_path / "setup.log", start_timeout=1800, launcher=SETUP) as (base, token):
        with urllib.request.urlopen(f"{base}/api/kernelspecs?token={token}", timeout=30) as r:
            specs = json.load(r)["kernelspecs"]
    log = (tmp_path / "setup.log").read_text(errors="replace")
    assert "set-up finished in" in log, log[-2000:]
    assert "ferrokeras" in specs, sorted(specs)
    spec = specs["ferrokeras"]["spec"]
    assert spec["display_name"] == "Rust (ferrokeras)"
    assert spec["language"] == "rust"
    assert spec["interrupt_mode"] == "message"
