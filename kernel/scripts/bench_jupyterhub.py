#!/usr/bin/env python3
"""Classroom benchmark on a real JupyterHub: N students log in at once, each starts a kernel and
runs the first cells of the German course notebook; ferrokeras and ipykernel (Keras 3 on torch)
are measured one after the other in the same run. Prints figures; asserts only that every cell
ran cleanly and printed the same as the first student's.

    source kernel/scripts/env.sh
    python kernel/scripts/bench_jupyterhub.py [--users 10] [--standby 0|1]
        [--kernelspec ferrokeras] [--python-kernelspec python3] [--phases rust,python]
        [--cells K] [--think SECONDS] [--keep-temp] [--kernel-timing] [--server-env K=V]
    sudo python3 kernel/scripts/bench_jupyterhub.py --accounts real [--users 10] ...

`--accounts real` (as root): the class as a real server has it. First the shared install of
docs/jupyterhub.md, by running that page's install commands as written (bench_hub_accounts.py;
the rustup download is replaced by the machine's own toolchain, copied to where rustup's would
go); then the script goes on in /opt/ferrokeras/venv, the hub runs as root with JupyterHub's
LocalProcessSpawner, and every student is a Unix account of its own (created for the phase,
home in /home, removed after), whose server and kernel run as that account and find the
system-wide kernelspec. Adds each student's disk use (their home after the cells).

`--kernelspec ferrokeras-fcaa165` measures another build the same way; `--phases python,rust`
reverses the order; `--think 10` lets each student read for 10 s between cells (by default
cells are sent back to back, so a ferrokeras kernel's second cell waits for the rust-analyzer
warm-up it does right after the first result); `--kernel-timing --keep-temp` leaves the kernels'
start-up phases (FERROKERAS_TIMING=1) in the hub log.

What it sets up (idempotent; the first run needs the network, later ones do not):
- `kernel/scripts/requirements-bench.txt` (JupyterHub 5, scikit-learn) into the project venv,
  configurable-http-proxy 4.x from npm into `$FERROKERAS_HOME/bench-node`;
- per phase, a fresh JupyterHub in a temporary folder (sqlite database, cookie secret, hub log,
  the users' home folders), listening on free ports of 127.0.0.1 only: the "dummy"
  authenticator, `SimpleLocalProcessSpawner` (every user runs as the current Unix user, home
  under the temporary folder), `jupyterhub-singleuser` from the venv, and a service token whose
  role may create users, their tokens and their servers.

What one student does (all N at once, asyncio): create the user and a token for it through the
hub's REST API, start its server and wait until the hub says it is ready, then through the proxy
(`/user/<name>/api/...`, with the student's token) start a kernel and run the cells over the
kernel's websocket (`/api/kernels/<id>/channels`, Jupyter messages as JSON).

Cells: the German notebook `notebooks/14_de_keras_ueberblick.ipynb`'s code cells from the start
up to, not including, the first that trains a model or needs data that is not on this machine
(today: the prelude import and loading Iris); for ipykernel the corresponding cells of the
German seed (`../shared/seeds/003_*.txt`) with `KERAS_BACKEND=torch`: `import keras` and
sklearn's `load_iris` (bundled with scikit-learn, no download), unchanged; the seed's
`from tensorflow import keras` is left out (PYTHON_DROPPED). The data folder is the tests'
(`FERROKERAS_DATA_DIR` with links to `../shared/datasets`, `FERROKERAS_OFFLINE=1`).

The users' kernels share the FERROKERAS_HOME of this machine (the kernelspec's, else the
environment's), so they reuse its compiled prelude, as a class's kernels reuse the
administrator's prebuilt session (docs/jupyterhub.md). Unlike a real hub, where each student
has a `~/.cache/ferrokeras` of their own, the students here share one session folder: each
kernel takes its own slot (a new slot is a copy of slot-0, listed in the output), and with
`--standby 1` at most one standby session exists for the whole class instead of one per student.

What it prints, per phase: each student's time from the start of its login to its server being
ready, to its kernel answering kernel_info, and to its first cell's result, and every cell's
latency (request sent to reply and idle); medians, p90 and maximum across students; the
machine's memory (MemTotal; "used" = MemTotal - MemAvailable, sampled every 0.5 s: baseline
before the hub starts, peak, and steady state once every process of the run is idle with the
kernels still running), the RSS, PSS (shared pages divided among the processes sharing them:
libtorch) and CPU time of each student's server process tree, load average and cores; then the
hub stops every server as an administrator or jupyterhub-idle-culler would, and the processes
still running after that are listed. At the end, a markdown table for docs/jupyterhub.md.
Machine-wide memory moves with whatever else runs on the machine (the baseline after the phase
shows how much); the PSS of the students' trees does not.

It exits non-zero, naming the student and cell, when a cell replies with an error or prints
something other than what the first student's same cell printed (compared: stdout and the
text/plain of results and displays, with the student's name and home replaced and timings
masked; not compared: stderr, where libraries print warnings, and live progress updates).
Every process it started (hub, proxy, servers, kernels, their standby sessions) is stopped at
the end, also on failure or Ctrl-C: they all carry the variable
FERROKERAS_BENCH_RUN=<this phase's temporary folder>, which is how the clean-up finds them and
nothing else.
"""
import argparse
import asyncio
import dataclasses
import datetime
import importlib.metadata
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import bench_hub_accounts as accounts  # beside this script
from bench_machine import (  # beside this script
    MARKER, MemorySampler, cpu_seconds, descendants, describe, kill_run, meminfo, processes,
    rss_pss_mb, run_pids, wait_until_idle)

REPO = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "14_de_keras_ueberblick.ipynb"
SHARED = pathlib.Path(os.environ.get("FERROKERAS_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
SEED = SHARED.parent / "seeds" / "003_ad6ca50015d5ff2b.txt"
REQUIREMENTS = pathlib.Path(__file__).resolve().parent / "requirements-bench.txt"
# The hub's proxy. 4.x is the series JupyterHub 5 is tested with.
CHP_VERSION = "4.6.3"

# A cell that trains takes minutes in full mode and prints timing- and seed-dependent numbers:
# the benchmark stops before the first one.
TRAINS = re.compile(r"\.fit\s*\(|\bfit_generator\b|\btrain_on_batch\b")
# Rust loaders and the file each needs under FERROKERAS_DATA_DIR; the first cell that needs a
# file that is not there (MNIST's training images are not shared) ends the cells too.
RUST_DATA = {
    r"\bload_iris\b": "iris/iris.data",
    r"\bfetch_california_housing\b": "california_housing/cal_housing.data",
    r"\bmnist::load_data\b": "mnist/train-images-idx3-ubyte.gz",
}
# Python cells that download (Keras's datasets, TF datasets, get_file).
DOWNLOADS = re.compile(r"\.load_data\s*\(|\btfds\b|\bget_file\s*\(")
# Seed cells left out, with the reason printed. TensorFlow is not installed: "ipykernel with
# torch" is Keras 3 on torch, which the seed's first cell (`import keras`) already imports; the
# Rust notebook has one cell for both imports too.
PYTHON_DROPPED = {
    "from tensorflow import keras": "the seed's alternative import of the same Keras from TensorFlow "
                                    "(not installed; Keras runs on torch here); `import keras` before it "
                                    "is kept",
}
# Dataset folders linked into the data folder, as tests/test_course_de.py's link_shared does.
LINKED_DATASETS = ["iris", "california_housing", "car_evaluation", "tiny_shakespeare"]
# Masks numbers that are timings ("12ms/step", "0.52 s") before students' outputs are compared.
TIMING = re.compile(r"\d+(?:\.\d+)?\s?(?:ms|us|µs|s)(?:/step|/epoch)?\b")


class BenchError(Exception):
    pass


# ----------------------------------------------------------------------------- installation

def ensure_python_packages():
    """Installs requirements-bench.txt into the venv this script runs in, unless every pin is
    already there (so a warm machine needs no network)."""
    pins = [l.split("#")[0].strip() for l in REQUIREMENTS.read_text().splitlines()]
    missing = []
    for pin in filter(None, pins):
        name, _, version = pin.partition("==")
        try:
            if importlib.metadata.version(name) != version:
                missing.append(pin)
        except importlib.metadata.PackageNotFoundError:
            missing.append(pin)
    if missing:
        print(f"installing {', '.join(missing)} into {sys.prefix}", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)


def ensure_proxy(home: pathlib.Path) -> pathlib.Path:
    """configurable-http-proxy from npm in `$FERROKERAS_HOME/bench-node`; returns its bin folder."""
    prefix = home / "bench-node"
    bin_dir = prefix / "node_modules" / ".bin"
    package = prefix / "node_modules" / "configurable-http-proxy" / "package.json"
    if not package.exists() or json.loads(package.read_text())["version"] != CHP_VERSION:
        npm = shutil.which("npm")
        if not npm:
            raise BenchError("npm not found: install Node.js 18+ (the hub's proxy is a Node program)")
        print(f"installing configurable-http-proxy@{CHP_VERSION} into {prefix}", flush=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
                        f"configurable-http-proxy@{CHP_VERSION}"], check=True, stdout=subprocess.DEVNULL)
    return bin_dir


# ----------------------------------------------------------------------------- cells

def prepare_data_dir(root: pathlib.Path) -> pathlib.Path:
    """The tests' data folder: links to the shared real datasets (what the first cells load)."""
    if not SHARED.is_dir():
        raise BenchError(f"shared datasets not found at {SHARED} (set FERROKERAS_SHARED_DATASETS)")
    root.mkdir(parents=True, exist_ok=True)
    for name in LINKED_DATASETS:
        (root / name).symlink_to(SHARED / name)
    return root


def rust_cells(data_dir: pathlib.Path) -> list[str]:
    """The German notebook's code cells before the first that trains or needs missing data."""
    nb = json.loads(NOTEBOOK.read_text())
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(cell["source"])
        needs = [f for pattern, f in RUST_DATA.items() if re.search(pattern, code)]
        if TRAINS.search(code) or any(not (data_dir / f).exists() for f in needs):
            break
        cells.append(code)
    if not cells:
        raise BenchError(f"no code cell of {NOTEBOOK} comes before the first that trains or needs missing data")
    return cells


def seed_code_blocks(text: str) -> list[str]:
    """The code cells of a seed dump: its ```py fenced blocks."""
    return [m.group(1).strip("\n") for m in re.finditer(r"```py\n(.*?)```", text, re.S)]


def python_cells() -> tuple[list[str], list[str]]:
    """The seed's code cells before the first that trains or downloads, less PYTHON_DROPPED;
    returns (cells, notes on what was left out)."""
    cells, notes = [], []
    for code in seed_code_blocks(SEED.read_text()):
        if TRAINS.search(code) or DOWNLOADS.search(code):
            break
        if code.strip() in PYTHON_DROPPED:
            notes.append(f"left out `{code.strip()}`: {PYTHON_DROPPED[code.strip()]}")
            continue
        cells.append(code)
    if not cells:
        raise BenchError(f"no code cells found in {SEED}")
    return cells, notes


# ----------------------------------------------------------------------------- hub

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_range(count: int) -> int:
    """The first of `count` consecutive ports that are free now, above the ephemeral range's
    usual start (so the kernels' own random ports rarely land in it)."""
    for base in range(20000, 30000, count):
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise BenchError("no range of free ports for the students' servers")


def spawner_environment(args, data_dir: pathlib.Path, marker: str) -> dict[str, str]:
    """What the users' servers (and so their kernels) get. With real accounts, only the run's
    settings: each student finds the rest through the system-wide kernelspec, as in class.
    SimpleLocalProcessSpawner gives each
    user a HOME under the temporary folder, so everything the kernels would find from the real
    HOME is passed explicitly: the shared FERROKERAS_HOME (kernels reuse its compiled prelude;
    a kernelspec that sets its own, like a baseline build's, still wins), cargo's and rustup's
    homes, libtorch."""
    run_settings = {
        "FERROKERAS_STANDBY": str(args.standby),
        "FERROKERAS_DATA_DIR": str(data_dir),
        "FERROKERAS_OFFLINE": "1",
        "KERAS_BACKEND": "torch",
        MARKER: marker,
    }
    if args.accounts == "real":
        return run_settings
    home = pathlib.Path.home()
    env = {key: os.environ[key] for key in [
        "PATH", "LD_LIBRARY_PATH", "LIBTORCH", "LIBTORCH_CXX11_ABI", "FERROKERAS_HOME",
        "FERROKERAS_VENV", "CARGO_TARGET_DIR", "RUSTUP_TOOLCHAIN", "RUSTUP_AUTO_INSTALL",
        "LANG", "LC_ALL", "TZ"] if key in os.environ}
    env.setdefault("CARGO_HOME", os.environ.get("CARGO_HOME", str(home / ".cargo")))
    env.setdefault("RUSTUP_HOME", os.environ.get("RUSTUP_HOME", str(home / ".rustup")))
    env.update(run_settings)
    if args.kernel_timing:
        env["FERROKERAS_TIMING"] = "1"  # start-up and cell phases on stderr, i.e. in the hub log
    for pair in args.server_env:
        key, _, value = pair.partition("=")
        env[key] = value
    return env


HUB_CONFIG = """\
# Written by kernel/scripts/bench_jupyterhub.py for one benchmark phase.
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{proxy_port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///" + {db!r}
c.JupyterHub.cookie_secret_file = {cookie!r}
c.JupyterHub.pid_file = {pid!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
{spawner}
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {server_args!r}
c.Spawner.ip = "127.0.0.1"
# JupyterHub draws each server a free random port, which the server binds only later: servers
# spawned at the same moment can draw the same one (seen with 10: one student's server failed
# "port ... is not available"). Each student gets a port of its own instead.
import itertools
_ports = itertools.count({port_base})
def _own_port(spawner):
    spawner.port = next(_ports)
c.Spawner.pre_spawn_hook = _own_port
c.Spawner.environment = {environment!r}
# N servers starting at once on a small machine take longer than the 60 s / 30 s defaults.
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600
c.JupyterHub.services = [{{"name": "bench", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "bench",
    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],
    "services": ["bench"],
}}]
"""


class Hub:
    """One JupyterHub (and, through it, its proxy) in `folder`."""

    def __init__(self, folder: pathlib.Path, environment: dict[str, str], proxy_bin: pathlib.Path, marker: str,
                 real_accounts: bool = False):
        self.folder = folder
        self.real_accounts = real_accounts
        self.token = secrets.token_hex(32)
        self.proxy_port = free_port()
        folder.mkdir(parents=True)
        (folder / "homes").mkdir()
        # The servers run as the current user; as root jupyter_server wants to be told. With
        # real accounts LocalProcessSpawner starts each as its student's Unix account.
        server_args = ["--ServerApp.allow_root=True"] if os.geteuid() == 0 and not real_accounts else []
        spawner = ('c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"' if real_accounts else
                   'c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"\n'
                   f'c.SimpleLocalProcessSpawner.home_dir_template = {str(folder / "homes")!r} + "/{{username}}"')
        (folder / "jupyterhub_config.py").write_text(HUB_CONFIG.format(
            proxy_port=self.proxy_port, hub_port=free_port(), proxy_api_port=free_port(),
            port_base=free_port_range(200),
            proxy=str(proxy_bin / "configurable-http-proxy"), db=str(folder / "jupyterhub.sqlite"),
            cookie=str(folder / "cookie_secret"), pid=str(folder / "jupyterhub.pid"),
            spawner=spawner, singleuser=str(pathlib.Path(sys.prefix) / "bin" / "jupyterhub-singleuser"),
            server_args=server_args, environment=environment, token=self.token))
        self.env = dict(os.environ, PATH=f"{proxy_bin}:{os.environ['PATH']}", **{MARKER: marker})
        self.process = None
        self.log = folder / "hub.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def start(self):
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(pathlib.Path(sys.prefix) / "bin" / "jupyterhub"), "-f", "jupyterhub_config.py"],
                cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(self, grace_s: float = 60.0):
        """SIGTERM lets the hub stop every server still running (cleanup_servers) and the
        proxy. What is left of the run afterwards is ended by its marker: the hub stops a server
        with SIGINT, on which jupyter_server 2 (stdin not a terminal) leaves without shutting its
        kernels down; ipykernel then exits because its parent is gone, ferrokeras-kernel does
        not. Standby sessions live on by design."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# ----------------------------------------------------------------------------- REST and websocket

class Api:
    """JSON over HTTP with a token, through tornado's async client."""

    def __init__(self, base: str, users: int):
        from tornado.httpclient import AsyncHTTPClient

        # The default allows 10 requests at once; N students poll and post at the same time.
        AsyncHTTPClient.configure(None, max_clients=max(10, 4 * users))
        self.client = AsyncHTTPClient()
        self.base = base

    async def call(self, method: str, path: str, token: str, body=None, ok=(200, 201, 202, 204), timeout=600):
        from tornado.httpclient import HTTPRequest

        if body is None and method in ("POST", "PATCH", "PUT"):
            body = {}
        request = HTTPRequest(self.base + path, method=method, request_timeout=timeout,
                              headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
                              body=None if body is None else json.dumps(body))
        response = await self.client.fetch(request, raise_error=False)
        if response.code not in ok:
            text = (response.body or b"").decode(errors="replace")[:500]
            raise BenchError(f"{method} {path}: HTTP {response.code} {response.reason or ''} {text}".strip())
        return json.loads(response.body) if response.body else None


async def wait_for_hub(api: Api, hub: Hub, limit_s: float = 180):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise BenchError(f"the hub exited with {hub.process.returncode}:\n{hub.log_tail()}")
        try:
            await api.call("GET", "/hub/api/", hub.token, timeout=5)
            return
        except Exception:  # noqa: BLE001 - refused or 5xx until the hub and proxy are up
            await asyncio.sleep(0.5)
    raise BenchError(f"the hub did not answer within {limit_s} s:\n{hub.log_tail()}")


def jupyter_message(msg_type: str, content: dict, session: str) -> dict:
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "bench",
                   "session": session, "version": "5.3",
                   "date": datetime.datetime.now(datetime.timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": [],
    }


async def request(ws, msg_type: str, content: dict, session: str, timeout: float):
    """Sends a shell request; returns (reply, iopub messages of that request) once both the
    reply and the kernel's `idle` for it have arrived."""
    msg = jupyter_message(msg_type, content, session)
    msg_id = msg["header"]["msg_id"]
    await ws.write_message(json.dumps(msg))
    reply, iopub, idle = None, [], False
    deadline = time.monotonic() + timeout
    while reply is None or not idle:
        try:
            raw = await asyncio.wait_for(ws.read_message(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise BenchError(f"no reply to {msg_type} within {timeout:g} s") from None
        if raw is None:
            raise BenchError(f"the kernel's websocket closed during {msg_type}")
        if isinstance(raw, bytes):
            continue  # messages with binary buffers (none expected from these cells)
        m = json.loads(raw)
        if m.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if m["channel"] == "shell":
            reply = m
        elif m["channel"] == "iopub":
            iopub.append(m)
            idle |= m["msg_type"] == "status" and m["content"]["execution_state"] == "idle"
    return reply, iopub


def cell_texts(iopub: list[dict]) -> tuple[list[str], list[str]]:
    """(what the cell printed for comparison, its errors). Compared: stdout and the text/plain
    of results and displays. Not compared: stderr (library warnings, which may name a user's
    home or carry timings) and live updates (update_display_data: progress bars)."""
    texts, errors = [], []
    for m in iopub:
        kind, content = m["msg_type"], m["content"]
        if kind == "stream" and content["name"] == "stdout":
            texts.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            texts.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")
    return texts, errors


# ----------------------------------------------------------------------------- one student

@dataclasses.dataclass
class Student:
    name: str
    server_s: float | None = None   # login start -> hub says the server is ready
    kernel_s: float | None = None   # login start -> kernel answered kernel_info
    first_s: float | None = None    # login start -> first cell's reply and idle
    kernel_start_s: float | None = None  # kernel start request -> first cell done
    cells_s: list[float] = dataclasses.field(default_factory=list)
    outputs: list[str] = dataclasses.field(default_factory=list)
    failure: str | None = None
    disk_mb: float | None = None    # real accounts: the home's size after the cells
    rss_mb: float | None = None
    pss_mb: float | None = None
    cpu_s: float | None = None      # CPU time of the server's tree, login to idle
    breakdown: list[str] = dataclasses.field(default_factory=list)  # PSS of each process
    ws: object = None
    token: str = ""


async def login(api: Api, hub: Hub, s: Student) -> str:
    """Creates the user and a token for it, starts its server, waits until it is ready;
    returns the user's token."""
    await api.call("POST", f"/hub/api/users/{s.name}", hub.token)
    token = (await api.call("POST", f"/hub/api/users/{s.name}/tokens", hub.token,
                            {"note": "bench_jupyterhub", "expires_in": 86400}))["token"]
    await api.call("POST", f"/hub/api/users/{s.name}/server", token)
    while True:
        server = (await api.call("GET", f"/hub/api/users/{s.name}", token))["servers"].get("", {})
        if server.get("ready"):
            return token
        if not server.get("pending") and not server.get("ready"):
            raise BenchError(f"the server stopped while starting:\n{hub.log_tail()}")
        await asyncio.sleep(0.25)


async def open_kernel(api: Api, s: Student, token: str, kernelspec: str):
    """Starts a kernel through the proxy and connects to its channels."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    kernel = await api.call("POST", f"/user/{s.name}/api/kernels", token, {"name": kernelspec})
    url = api.base.replace("http://", "ws://") + f"/user/{s.name}/api/kernels/{kernel['id']}/channels"
    return await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {token}"},
                                               request_timeout=600), max_message_size=1 << 30)


def normalise(text: str, s: Student, hub: Hub) -> str:
    """A student's output as the first student's would read: own name and home replaced,
    timings masked."""
    text = text.replace(str(hub.folder / "homes" / s.name), "<home>")
    text = text.replace(str(accounts.home_of(s.name)), "<home>").replace(s.name, "<user>")
    return TIMING.sub("<time>", text)


async def run_cells(hub: Hub, s: Student, cells: list[str], session: str, args, t0: float, t_kernel: float):
    """Runs the cells one after the other; a cell that fails ends the student's run."""
    for i, code in enumerate(cells, 1):
        if i > 1:
            await asyncio.sleep(args.think)  # the student reads before running the next cell
        start = time.monotonic()
        reply, iopub = await request(s.ws, "execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}, session, args.cell_timeout)
        s.cells_s.append(time.monotonic() - start)
        if i == 1:
            s.first_s = time.monotonic() - t0
            s.kernel_start_s = time.monotonic() - t_kernel
        texts, errors = cell_texts(iopub)
        status = reply["content"]["status"]
        if status != "ok" or errors:
            detail = "; ".join(errors) or reply["content"].get("evalue", "")
            raise BenchError(f"cell {i} replied {status!r}: {detail}\n--- cell {i}:\n{code}")
        s.outputs.append(normalise("".join(texts), s, hub))


async def student(api: Api, hub: Hub, s: Student, kernelspec: str, cells: list[str], args):
    """One student's login, kernel start and cells, timed from the start of the login."""
    t0 = time.monotonic()
    try:
        s.token = await login(api, hub, s)
        s.server_s = time.monotonic() - t0
        t_kernel = time.monotonic()
        s.ws = await open_kernel(api, s, s.token, kernelspec)
        session = uuid.uuid4().hex
        await request(s.ws, "kernel_info_request", {}, session, args.cell_timeout)
        s.kernel_s = time.monotonic() - t0
        await run_cells(hub, s, cells, session, args, t0, t_kernel)
    except Exception as e:  # noqa: BLE001 - every failure is reported per student
        s.failure = str(e) if isinstance(e, BenchError) else f"{type(e).__name__}: {e}"


def compare_outputs(students: list[Student], cells: list[str]):
    """Every student's cells must print what the first student's printed."""
    ref = students[0]
    for s in students[1:]:
        if s.failure or ref.failure:
            continue
        for i, (a, b) in enumerate(zip(ref.outputs, s.outputs), 1):
            if a != b:
                s.failure = (f"cell {i} printed something else than {ref.name}'s:\n"
                             f"--- {ref.name}:\n{a}\n--- {s.name}:\n{b}\n--- cell {i}:\n{cells[i - 1]}")
                break


# ----------------------------------------------------------------------------- one phase

@dataclasses.dataclass
class Phase:
    label: str
    kernelspec: str
    cells: list[str]
    students: list[Student] = dataclasses.field(default_factory=list)
    baseline_mb: int = 0
    after_mb: int = 0
    peak_mb: int = 0
    steady_mb: int = 0
    settle_s: float = 0.0
    load_before: tuple = ()
    load_steady: tuple = ()
    all_rss_mb: float = 0.0
    all_pss_mb: float | None = None
    wall_s: float = 0.0
    new_slots: list[str] = dataclasses.field(default_factory=list)
    left_by_servers: list[str] = dataclasses.field(default_factory=list)


def user_server_pids(table, hub_pid: int) -> dict[str, int]:
    """Each user's server: the hub's child whose JUPYTERHUB_USER is that user (the proxy, the
    hub's other child, has none)."""
    out = {}
    for pid, (ppid, environ) in table.items():
        if ppid != hub_pid:
            continue
        user = next((v.split("=", 1)[1] for v in environ.split("\0") if v.startswith("JUPYTERHUB_USER=")), None)
        if user:
            out[user] = pid
    return out


def measure_steady(phase: Phase, sampler: MemorySampler, marker: str, hub_pid: int, settle_limit_s: float):
    """Once the run's processes are idle (kernels still running): machine memory over 3 s, and
    RSS/PSS of each student's server tree and of the whole run."""
    phase.settle_s = wait_until_idle(marker, settle_limit_s)
    start = time.monotonic()
    time.sleep(3)
    phase.steady_mb = int(statistics.median(sampler.between(start, time.monotonic())))
    phase.load_steady = os.getloadavg()
    table = processes()
    servers = user_server_pids(table, hub_pid)
    for s in phase.students:
        pid = servers.get(s.name)
        if pid:
            tree = descendants(pid, table)
            s.rss_mb, s.pss_mb = rss_pss_mb(tree)
            s.cpu_s = cpu_seconds(tree)
            s.breakdown = [f"{describe(p)} {fmt(rss_pss_mb([p])[1], 0, ' MB')}" for p in tree]
    phase.all_rss_mb, phase.all_pss_mb = rss_pss_mb(run_pids(marker))


def session_slots(kernelspec: str, names: list[str] | None = None) -> set[str]:
    """The session slots of the kernelspec's FERROKERAS_HOME (new ones are copies of slot-0);
    with real accounts, those in the students' homes (copies of the prebuilt session)."""
    from jupyter_client.kernelspec import KernelSpecManager

    if names:
        return {f"{n}:{p.name}" for n in names
                for p in (accounts.home_of(n) / ".cache/ferrokeras/sessions").glob("slot-*") if p.is_dir()}
    try:
        spec = KernelSpecManager().get_kernel_spec(kernelspec)
    except Exception:  # noqa: BLE001 - not a ferrokeras kernelspec, or missing: checked later
        return set()
    home = spec.env.get("FERROKERAS_HOME") or os.environ.get("FERROKERAS_HOME", "")
    sessions = pathlib.Path(home) / "sessions"
    return {p.name for p in sessions.glob("slot-*") if p.is_dir()} if home and sessions.is_dir() else set()


async def run_students(hub: Hub, phase: Phase, args, names: list[str]):
    api = Api(hub.url, args.users)
    await wait_for_hub(api, hub)
    phase.students = [Student(name) for name in names]
    await asyncio.gather(*(student(api, hub, s, phase.kernelspec, phase.cells, args) for s in phase.students))
    return api


async def stop_server(api: Api, hub: Hub, s: Student, limit_s: float = 120):
    """Stops the student's server as the hub's admin (and jupyterhub-idle-culler) does, with its
    kernel still running."""
    if s.ws is not None:
        s.ws.close()
    await api.call("DELETE", f"/hub/api/users/{s.name}/server", hub.token)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if not (await api.call("GET", f"/hub/api/users/{s.name}", hub.token))["servers"]:
            return
        await asyncio.sleep(0.5)


async def stop_servers(api: Api, hub: Hub, phase: Phase):
    await asyncio.gather(*(stop_server(api, hub, s) for s in phase.students if s.server_s is not None))


def left_by_servers(marker: str) -> list[str]:
    """Processes of the students (not the hub or proxy) still alive after their servers
    stopped: kernels the server did not end, a standby session."""
    time.sleep(3)
    return [describe(pid) for pid, (_, env) in processes().items()
            if f"{MARKER}={marker}\0" in env + "\0" and "\0JUPYTERHUB_USER=" in "\0" + env]


def run_phase(phase: Phase, args, root: pathlib.Path, data_dir, proxy_bin, sampler: MemorySampler):
    """One hub, N students at once, measurements, then everything of the phase stopped."""
    marker = str(root / phase.label)
    real = args.accounts == "real"
    names = (accounts.create_accounts(f"fk{phase.label[:2]}", args.users) if real
             else [f"student{i:02d}" for i in range(1, args.users + 1)])
    slots_before = session_slots(phase.kernelspec, names if real else None)
    phase.load_before = os.getloadavg()
    # Baseline: the machine over 3 s before this phase's hub exists.
    t = time.monotonic()
    time.sleep(3)
    phase.baseline_mb = int(statistics.median(sampler.between(t, time.monotonic())))
    hub = Hub(root / phase.label, spawner_environment(args, data_dir, marker), proxy_bin, marker, real)
    print(f"\n== {phase.label}: kernelspec {phase.kernelspec}, {args.users} students, "
          f"{len(phase.cells)} cells, FERROKERAS_STANDBY={args.standby}, {args.think:g} s between cells, "
          f"hub at {hub.url} (log {hub.log})", flush=True)
    start = time.monotonic()
    try:
        hub.start()
        loop = asyncio.new_event_loop()
        try:
            api = loop.run_until_complete(run_students(hub, phase, args, names))
            phase.wall_s = time.monotonic() - start
            if real:
                for s in phase.students:
                    s.disk_mb = accounts.disk_mb(s.name)
            compare_outputs(phase.students, phase.cells)
            measure_steady(phase, sampler, marker, hub.process.pid, args.settle_limit)
            phase.peak_mb = max(sampler.between(start, time.monotonic()))
            loop.run_until_complete(stop_servers(api, hub, phase))
            phase.left_by_servers = left_by_servers(marker)
        finally:
            loop.close()
    finally:
        hub.stop()
        left = kill_run(marker)
        if left:
            print(f"   ended what outlived the hub: {', '.join(left)}", flush=True)
        phase.new_slots = sorted(session_slots(phase.kernelspec, names if real else None) - slots_before)
        if real:
            accounts.remove_accounts(names)
    # The machine once the phase is gone: far from the baseline, other work on the machine
    # changed its memory meanwhile and the machine-wide figures mean little (PSS still holds).
    t = time.monotonic()
    time.sleep(3)
    phase.after_mb = int(statistics.median(sampler.between(t, time.monotonic())))
    return phase


# ----------------------------------------------------------------------------- report

def p90(values):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def spread(values, unit="s", digits=1) -> str:
    if not values:
        return "—"
    f = f"{{:.{digits}f}}"
    return f"{f.format(statistics.median(values))} / {f.format(p90(values))} / {f.format(max(values))} {unit}"


def fmt(value, digits=1, unit=" s"):
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def print_phase(phase: Phase, users: int):
    print(f"\n-- {phase.label} ({phase.kernelspec}): per student, seconds from the start of its login")
    print(f"   {'user':<10} {'server':>7} {'kernel':>7} {'1st result':>10} {'(kernel→1st)':>12}  "
          f"{'RSS MB':>7} {'PSS MB':>7} {'CPU s':>6} {'disk MB':>7}  cells (s)")
    for s in phase.students:
        cells = ", ".join(f"{c:.2f}" for c in s.cells_s)
        print(f"   {s.name:<10} {fmt(s.server_s, 1, ''):>7} {fmt(s.kernel_s, 1, ''):>7} "
              f"{fmt(s.first_s, 1, ''):>10} {fmt(s.kernel_start_s, 1, ''):>12}  "
              f"{fmt(s.rss_mb, 0, ''):>7} {fmt(s.pss_mb, 0, ''):>7} {fmt(s.cpu_s, 0, ''):>6} "
              f"{fmt(s.disk_mb, 0, ''):>7}  {cells}")
    if phase.students and phase.students[0].breakdown:
        print(f"   {phase.students[0].name}'s processes (PSS): {', '.join(phase.students[0].breakdown)}")
    ok = [s for s in phase.students if not s.failure]
    later = [c for s in ok for c in s.cells_s[1:]]
    print(f"   time to first result, median / p90 / max: {spread([s.first_s for s in ok])}")
    print(f"   later cells (each student's first excluded, n={len(later)}), median / p90 / max: "
          f"{spread(later, 's', 2)}")
    print(f"   memory used (MemTotal − MemAvailable): baseline {phase.baseline_mb} MB, "
          f"peak {phase.peak_mb} MB, steady {phase.steady_mb} MB (after {phase.settle_s:.0f} s "
          f"to idle) → {(phase.steady_mb - phase.baseline_mb) / users:.0f} MB per student; "
          f"{phase.after_mb} MB once the phase had ended")
    pss = "—" if phase.all_pss_mb is None else f"{phase.all_pss_mb:.0f}"
    print(f"   all processes of the phase (hub, proxy, servers, kernels): RSS {phase.all_rss_mb:.0f} MB, "
          f"PSS {pss} MB")
    print(f"   load average before {fmt_load(phase.load_before)}, at steady state "
          f"{fmt_load(phase.load_steady)}; phase wall time to last result {phase.wall_s:.0f} s")
    if phase.left_by_servers:
        print(f"   still running 3 s after the hub stopped the servers (kernels left running): "
              f"{', '.join(phase.left_by_servers)}")
    if phase.new_slots:
        print(f"   new session slots made during the phase (copies of slot-0): {', '.join(phase.new_slots)}")


def median_of(values, unit=" MB") -> str:
    values = [v for v in values if v is not None]
    return f"{statistics.median(values):.0f}{unit}" if values else "—"


def fmt_load(load) -> str:
    return " ".join(f"{x:.1f}" for x in load) if load else "—"


def print_table(phases: list[Phase], args):
    """The table for docs/jupyterhub.md."""
    mem = meminfo()["MemTotal"]
    today = datetime.date.today().isoformat()
    who = "each a Unix account of its own" if args.accounts == "real" else "one Unix account"
    print(f"\n{args.users} students at once ({who}), {today}, {os.cpu_count()} cores, "
          f"{mem / 1024:.1f} GiB (MemTotal), FERROKERAS_STANDBY={args.standby}, "
          f"{args.think:g} s between cells:\n")
    print("| figure | " + " | ".join(f"{p.label} (`{p.kernelspec}`)" for p in phases) + " |")
    print("|---|" + "---|" * len(phases))

    def row(name, cell):
        print(f"| {name} | " + " | ".join(cell(p) for p in phases) + " |")

    def ok(p):
        return [s for s in p.students if not s.failure]

    row("cells run (each student)", lambda p: str(len(p.cells)))
    row("server ready, median / p90 / max", lambda p: spread([s.server_s for s in ok(p)]))
    row("time to first result, median / p90 / max", lambda p: spread([s.first_s for s in ok(p)]))
    row("later cells, median / p90 / max", lambda p: spread([c for s in ok(p) for c in s.cells_s[1:]], "s", 2))
    row("memory per student, (steady − baseline) / N", lambda p: f"{(p.steady_mb - p.baseline_mb) / args.users:.0f} MB")
    row("PSS of a student's server tree, median", lambda p: median_of([s.pss_mb for s in ok(p)]))
    row("RSS of a student's server tree, median", lambda p: median_of([s.rss_mb for s in ok(p)]))
    row("CPU time of a student's server tree (login to idle), median",
        lambda p: median_of([s.cpu_s for s in ok(p)], " s"))
    if args.accounts == "real":
        row("disk per student (home after the cells), median", lambda p: median_of([s.disk_mb for s in ok(p)]))
    row("machine used before / after the phase",
        lambda p: f"{p.baseline_mb / 1024:.1f} / {p.after_mb / 1024:.1f} GiB")
    row("peak used / MemTotal", lambda p: f"{p.peak_mb / 1024:.1f} / {mem / 1024:.1f} GiB")
    row("load average (1 min) at steady state", lambda p: f"{p.load_steady[0]:.1f}" if p.load_steady else "—")


# ----------------------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--standby", type=int, choices=[0, 1], default=0,
                    help="FERROKERAS_STANDBY for the users' kernels (0: what docs/jupyterhub.md recommends for a class)")
    ap.add_argument("--kernelspec", default="ferrokeras", help="the Rust kernelspec to measure")
    ap.add_argument("--python-kernelspec", default="python3")
    ap.add_argument("--phases", default="rust,python",
                    help="which kernels, in this order (rust, python, or both comma-separated)")
    ap.add_argument("--cells", type=int, default=None, help="run only the first K of the selected cells")
    ap.add_argument("--think", type=float, default=0.0,
                    help="seconds each student waits between its cells (0: back to back)")
    ap.add_argument("--cell-timeout", type=float, default=900)
    ap.add_argument("--settle-limit", type=float, default=180,
                    help="longest wait for the run's processes to go idle before the steady-state memory")
    ap.add_argument("--keep-temp", action="store_true", help="keep the hubs' folders and logs")
    ap.add_argument("--server-env", action="append", default=[], metavar="K=V",
                    help="one more variable for the users' servers and kernels (repeatable)")
    ap.add_argument("--accounts", choices=["one", "real"], default="one",
                    help="one: every student is the current Unix user; real: one Unix account each, "
                         "on the shared install of docs/jupyterhub.md (root only)")
    ap.add_argument("--installed", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--kernel-timing", action="store_true",
                    help="FERROKERAS_TIMING=1 for the kernels: their phases go to the hub log (with --keep-temp)")
    return ap.parse_args()


def check_environment():
    for key in ("FERROKERAS_HOME", "FERROKERAS_VENV", "LIBTORCH"):
        if not os.environ.get(key):
            raise BenchError(f"{key} is not set: `source kernel/scripts/env.sh` first")
    if pathlib.Path(sys.prefix).resolve() != pathlib.Path(os.environ["FERROKERAS_VENV"]).resolve():
        raise BenchError(f"run this with the project venv's python ({os.environ['FERROKERAS_VENV']}/bin/python)")


def check_kernelspec(name: str):
    """The students' servers look for kernelspecs in the venv and system-wide only: their HOME
    is in the temporary folder, so one installed in this user's ~/.local is not theirs."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_core.paths import jupyter_data_dir

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise BenchError(f"no kernelspec {name!r} (see `jupyter kernelspec list`)") from None
    if pathlib.Path(spec.resource_dir).is_relative_to(jupyter_data_dir()):
        raise BenchError(f"kernelspec {name!r} is installed in {spec.resource_dir}, which the students' "
                         f"servers do not see: install it into the venv (--sys-prefix) or system-wide")


def build_phases(args, data_dir) -> list[Phase]:
    phases = []
    for name in args.phases.split(","):
        if name == "rust":
            phases.append(Phase("ferrokeras", args.kernelspec, rust_cells(data_dir)[: args.cells]))
        elif name == "python":
            cells, notes = python_cells()
            for note in notes:
                print(f"ipykernel cells: {note}")
            phases.append(Phase("ipykernel", args.python_kernelspec, cells[: args.cells]))
        else:
            raise BenchError(f"unknown phase {name!r} (rust or python)")
    for p in phases:
        check_kernelspec(p.kernelspec)
        print(f"{p.label} cells:")
        for i, code in enumerate(p.cells, 1):
            first = code.strip().splitlines()[0]
            print(f"  {i}. {first}{' …' if len(code.strip().splitlines()) > 1 else ''}")
    return phases


def report_failures(phases) -> int:
    failed = [(p, s) for p in phases for s in p.students if s.failure]
    for p, s in failed:
        print(f"\nFAILED: {p.label} ({p.kernelspec}) {s.name}: {s.failure}", file=sys.stderr)
    return 1 if failed else 0


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run(args) -> int:
    """Installs what is missing, runs the phases, prints; always stops what it started."""
    check_environment()
    ensure_python_packages()
    proxy_bin = ensure_proxy(pathlib.Path(os.environ["FERROKERAS_HOME"]))
    root = pathlib.Path(tempfile.mkdtemp(prefix="ferrokeras-hub-bench-"))
    if args.accounts == "real":
        os.chmod(root, 0o755)  # the students read the data folder in it
    sampler = MemorySampler()
    sampler.start()
    phases = []
    try:
        data_dir = prepare_data_dir(root / "data")
        print(f"machine: {os.cpu_count()} cores, MemTotal {meminfo()['MemTotal']} MB, "
              f"load {fmt_load(os.getloadavg())}; temporary folder {root}")
        phases = build_phases(args, data_dir)
        for phase in phases:
            run_phase(phase, args, root, data_dir, proxy_bin, sampler)
            print_phase(phase, args.users)
        print_table(phases, args)
    finally:
        sampler.stopped.set()
        # Anything of the run still alive (an interrupted phase) goes before the folder does.
        for phase in phases:
            kill_run(str(root / phase.label))
        if args.keep_temp:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return report_failures(phases)


def install_real_accounts(args):
    """The shared install as docs/jupyterhub.md makes it, then this script again in its venv."""
    if os.geteuid() != 0:
        raise BenchError("--accounts real creates Unix accounts and a system-wide install: run it as root")
    accounts.install_as_documented(REPO)
    env = accounts.shared_environment()
    python = pathlib.Path(env["FERROKERAS_VENV"]) / "bin" / "python"
    # The Python comparison imports Keras in the shared venv too (an administrator would add it).
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r",
                    str(REPO / "kernel/scripts/requirements-test.txt")], check=True)
    # The course's shared folder stays this checkout's (the shared install has no ../shared).
    env["FERROKERAS_SHARED_DATASETS"] = str(SHARED)
    script = accounts.SHARED_HOME / "src" / "kernel" / "scripts" / pathlib.Path(__file__).name
    os.execve(python, [str(python), str(script), *sys.argv[1:], "--installed"], env)


def main() -> int:
    args = parse_args()
    if args.accounts == "real" and not args.installed:
        try:
            install_real_accounts(args)
        except (BenchError, subprocess.CalledProcessError) as e:
            print(f"\nERROR: {e}", file=sys.stderr)
            return 2
    # A SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the finally blocks stop the hub.
    signal.signal(signal.SIGTERM, interrupted)
    try:
        return run(args)
    except BenchError as e:
        print(f"\nERROR: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"\ninterrupted ({e or 'Ctrl-C'}); everything the run started has been stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
