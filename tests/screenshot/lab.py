"""JupyterLab from the project venv on a free localhost port, with a token and no browser,
always stopped (with its kernels) when the `with` block ends."""
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(root: Path, log_path: Path, start_timeout: float = 120, launcher=None):
    """Starts JupyterLab serving `root`; yields (base_url, token).

    `launcher` is the command that starts `jupyter lab` with the arguments appended to it
    (default: the venv's JupyterLab itself). The set-up script passes them on and chooses the
    folder to serve itself (the notebooks); `root` then only holds the server's config."""
    port = free_port()
    token = secrets.token_hex(16)
    cmd = (launcher or [sys.executable, "-m", "jupyterlab"]) + [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        # No network: no update checks, news or extension index from JupyterLab.
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=",
        "--LabApp.extension_manager=readonly",
    ]
    if launcher is None:
        cmd.append(f"--ServerApp.root_dir={root}")
    if os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    env = dict(os.environ)
    # A config and runtime dir of its own, so no user settings or other servers interfere.
    config_dir = root.parent / "jupyter-config"
    env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    env["JUPYTER_RUNTIME_DIR"] = str(root.parent / "jupyter-runtime")
    # No "get notified about Jupyter news?" toast over the notebook.
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"jupyter lab not answering after {start_timeout}s; see {log_path}")
            time.sleep(0.5)
        yield base, token
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen, grace: float = 20):
    """SIGTERM (JupyterLab shuts its kernels down), then SIGKILL its whole process group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # kernels or helpers left behind
    except ProcessLookupError:
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
