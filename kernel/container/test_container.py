"""The image from kernel/container/build.sh, tested from outside as a user would reach it
(run by kernel/container/test.sh, which makes the venv this needs):

- `podman run` with the image's own command (JupyterLab): the German course notebook
  `notebooks/14_de_keras_ueberblick.ipynb` in quick mode, cell by cell over JupyterLab's REST and
  websocket API, with no cell error; the user's session slot is a copy of the prebuilt one, and
  its compiled prelude was not compiled again;
- the image as `jupyterhub-singleuser` under a JupyterHub on 127.0.0.1 whose spawner starts it
  with podman (PodmanSpawner below, as DockerSpawner would): a user logs in through the hub's
  REST API, starts a kernel through the proxy and runs a prelude cell.
"""
import asyncio
import gzip
import json
import os
import pathlib
import secrets
import shutil
import struct
import subprocess
import sys
import time
import uuid

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "kernel" / "scripts"))
import bench_jupyterhub as bench  # noqa: E402 - REST/websocket helpers and the proxy's install

IMAGE = os.environ.get("IMAGE", "localhost/ferrokeras:latest")
STATE = pathlib.Path(os.environ.get("FERROKERAS_CONTAINER_STATE", "/var/tmp/ferrokeras-container"))
SHARED = pathlib.Path(os.environ.get("FERROKERAS_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
NOTEBOOK = REPO / "notebooks" / "14_de_keras_ueberblick.ipynb"
CELL_TIMEOUT = 900
# Quick mode as tests/conftest.py's quick_mode sets it, here in the container's environment.
QUICK = {"FERROKERAS_SAMPLE": "256", "FERROKERAS_MAX_EPOCHS": "1", "FERROKERAS_OFFLINE": "1",
         "FERROKERAS_DATA_DIR": "/data"}
PODMAN = ["podman", "run", "-d", "--rm", "--network=host"]


def podman(*args, check=True) -> str:
    return subprocess.run(["podman", *args], check=check, capture_output=True, text=True).stdout.strip()


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def _write_idx(path, magic, dims, payload):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims) + payload)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> pathlib.Path:
    """Mounted at /data: links to the datasets the image ships (/opt/ferrokeras/data), plus
    MNIST training files, which the shared data lacks, made from the first 2,000 real test
    digits as tests/test_course_de.py does."""
    if not SHARED.is_dir():
        pytest.skip(f"shared datasets not found at {SHARED}")
    root = tmp_path_factory.mktemp("data")
    for name in ["iris", "california_housing", "car_evaluation", "tiny_shakespeare"]:
        (root / name).symlink_to(f"/opt/ferrokeras/data/{name}")
    mnist = root / "mnist"
    mnist.mkdir()
    for f in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]:
        (mnist / f).symlink_to(f"/opt/ferrokeras/data/mnist/{f}")
    (_, rows, cols), pixels = _read_idx(SHARED / "mnist" / "t10k-images-idx3-ubyte.gz")
    _, labels = _read_idx(SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz")
    n = 2000
    _write_idx(mnist / "train-images-idx3-ubyte.gz", 0x803, (n, rows, cols), pixels[: n * rows * cols])
    _write_idx(mnist / "train-labels-idx1-ubyte.gz", 0x801, (n,), labels[:n])
    for p in [root, *root.rglob("*")]:
        if not p.is_symlink():  # (links point into the image)
            p.chmod(0o755 if p.is_dir() else 0o644)  # the container's user (uid 1000) reads it
    return root


async def run_code(ws, session: str, code: str) -> list[dict]:
    """Runs one cell; its iopub messages. Fails with the cell's error."""
    reply, iopub = await bench.request(ws, "execute_request", {
        "code": code, "silent": False, "store_history": True, "user_expressions": {},
        "allow_stdin": False, "stop_on_error": True}, session, CELL_TIMEOUT)
    _, errors = bench.cell_texts(iopub)
    if reply["content"]["status"] != "ok" or errors:
        detail = "; ".join(errors) or reply["content"].get("evalue", "")
        raise AssertionError(f"cell failed: {detail}\n--- cell:\n{code}")
    return iopub


def wait_http(url: str, container: str, limit_s: float = 120):
    import urllib.request

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except Exception:  # noqa: BLE001 - refused until the server listens
            if subprocess.run(["podman", "container", "exists", container]).returncode != 0:
                break  # the container ended: its log says why
            time.sleep(1)
    raise AssertionError(f"{url} did not answer within {limit_s} s")


def compiled_prelude(container: str, slot: str) -> list[tuple[str, int]]:
    """The compiled prelude's files in a session slot with their modification times (whole
    seconds): equal between the prebuilt slot and the user's copy means nothing was compiled
    again, since a rebuild writes the same file names anew."""
    out = podman("exec", container, "bash", "-c",
                 f"cd {slot}/target && find . -name 'libferrokeras*' -printf '%p %T@\\n'")
    return sorted((p, int(float(t))) for p, t in (line.rsplit(" ", 1) for line in out.splitlines()))


@pytest.fixture(scope="module")
def lab(data_dir):
    """The image's own command (JupyterLab on 8888, token from JUPYTER_TOKEN)."""
    name = f"ferrokeras-test-lab-{uuid.uuid4().hex[:8]}"
    token = secrets.token_hex(16)
    env = dict(QUICK, JUPYTER_TOKEN=token)
    # Without --rm, so that the log of a server that died is still there to print.
    subprocess.run(["podman", "run", "-d", "--network=host", "--name", name, "-v", f"{data_dir}:/data:ro",
                    *[a for k, v in env.items() for a in ("-e", f"{k}={v}")], IMAGE], check=True)
    try:
        wait_http(f"http://127.0.0.1:8888/api/status?token={token}", name)
        yield name, "http://127.0.0.1:8888", token
    finally:
        print(podman("logs", "--tail", "30", name, check=False))
        podman("rm", "-f", name, check=False)


def test_german_notebook_in_jupyterlab(lab):
    name, base, token = lab
    cells = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]
             if c["cell_type"] == "code"]

    async def run():
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        api = bench.Api(base, 1)
        kernel = await api.call("POST", "/api/kernels", token, {"name": "ferrokeras"})
        ws = await websocket_connect(HTTPRequest(
            f"{base.replace('http', 'ws')}/api/kernels/{kernel['id']}/channels",
            headers={"Authorization": f"token {token}"}), max_message_size=1 << 30)
        session = uuid.uuid4().hex
        for i, code in enumerate(cells, 1):
            t = time.monotonic()
            await run_code(ws, session, code)
            print(f"cell {i}/{len(cells)}: {time.monotonic() - t:.1f} s", flush=True)
        ws.close()
        await api.call("DELETE", f"/api/kernels/{kernel['id']}", token)

    asyncio.run(run())
    assert podman("exec", name, "ls", "/home/jovyan/notebooks").count(".ipynb") >= 1
    prebuilt = compiled_prelude(name, "/opt/ferrokeras/prebuilt/slot-0")
    mine = compiled_prelude(name, "/home/jovyan/.cache/ferrokeras/sessions/slot-0")
    print("prebuilt prelude:", prebuilt, "\nuser's slot:", mine, sep="\n")
    assert prebuilt and mine == prebuilt


HUB_CONFIG = '''
import subprocess
from jupyterhub.spawner import Spawner
from jupyterhub.utils import random_port


class PodmanSpawner(Spawner):
    """Each user's server is the image, started with podman on the host network (what
    DockerSpawner does through Docker's API)."""

    def _name(self):
        return "ferrokeras-test-hub-" + self.user.name

    async def start(self):
        self.port = random_port()
        env = self.get_env()
        cmd = {podman!r} + ["--name", self._name(), "-v", {data!r} + ":/data:ro"]
        for k, v in env.items():
            cmd += ["-e", f"{{k}}={{v}}"]
        cmd += [{image!r}, *self.cmd, *self.get_args()]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return ("127.0.0.1", self.port)

    async def poll(self):
        out = subprocess.run(["podman", "inspect", "-f", "{{{{.State.Running}}}}", self._name()],
                             capture_output=True, text=True).stdout.strip()
        return None if out == "true" else 0

    async def stop(self, now=False):
        subprocess.run(["podman", "rm", "-f", self._name()], capture_output=True)


c = get_config()  # noqa
c.JupyterHub.spawner_class = PodmanSpawner
c.Spawner.cmd = ["jupyterhub-singleuser"]
c.Spawner.ip = "127.0.0.1"
# The hub's own environment (PATH of the host's venv) must not reach the image.
c.Spawner.env_keep = []
c.Spawner.environment = {quick!r}
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
'''


def test_singleuser_under_jupyterhub(data_dir, tmp_path):
    proxy_bin = bench.ensure_proxy(STATE)
    # bench's hub (ports, proxy, database, service token), with the spawner replaced.
    hub = bench.Hub(tmp_path / "hub", {}, proxy_bin, "container-test")
    text = (hub.folder / "jupyterhub_config.py").read_text()
    keep = [l for l in text.splitlines() if not l.startswith(("c.JupyterHub.spawner_class", "c.Simple", "c.Spawner."))]
    (hub.folder / "jupyterhub_config.py").write_text("\n".join(keep) + HUB_CONFIG.format(
        podman=PODMAN, data=str(data_dir), image=IMAGE, quick=QUICK))
    student = bench.Student(name="student1")

    async def run():
        api = bench.Api(hub.url, 1)
        await bench.wait_for_hub(api, hub)
        token = await bench.login(api, hub, student)
        ws = await bench.open_kernel(api, student, token, "ferrokeras")
        session = uuid.uuid4().hex
        await bench.request(ws, "kernel_info_request", {}, session, CELL_TIMEOUT)
        iopub = await run_code(ws, session, 'let iris = load_iris()?;\nprintln!("{:?}", iris.data.size());')
        texts, _ = bench.cell_texts(iopub)
        ws.close()
        await api.call("DELETE", f"/hub/api/users/{student.name}/server", hub.token)
        return "".join(texts)

    hub.start()
    try:
        out = asyncio.run(run())
        print("cell output:", out)
        assert out.strip() == "[150, 4]"
    finally:
        hub.stop()
        print(hub.log_tail(30))
        podman("rm", "-f", "ferrokeras-test-hub-student1", check=False)
