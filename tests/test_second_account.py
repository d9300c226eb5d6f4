"""A class's shared install used by other Unix accounts (docs/jupyterhub.md): two student
accounts, created for the test, each start a kernel through a system-wide kernelspec with the
real jupyter_client and run a prelude cell. Their sessions start from the shared prebuilt
session without compiling the prelude again; neither can write into the shared install or into
the other's files. A kernelspec whose PATH reaches Rust only through the administrator's rustup
proxies gives the student an error that says so.

The shared install is this test run's own build (kernel, venv, crates, toolchain, prebuilt
session made from the tests' slot-0), as `setup.sh --shared` lays one out under /opt; where the
build sits in root's private home, the test opens that home to others for traversal only
(o+x, as /opt is) while it runs, and restores its mode after.
"""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid

import pytest

from conftest import REPO

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creates Unix accounts: needs root")

HOME = pathlib.Path(os.environ.get("FERROKERAS_HOME", pathlib.Path.home() / ".cache" / "ferrokeras"))
KERNEL = pathlib.Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "ferrokeras-kernel"
VENV_PYTHON = pathlib.Path(sys.executable)
DYLIB = "target/x86_64-unknown-linux-gnu/debug/libferrokeras_dylib.so"

# What the student runs: the real jupyter_client against the kernelspec Jupyter finds.
STUDENT_SCRIPT = r"""
import json, sys, time
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name=sys.argv[1], startup_timeout=600)
outputs = []
def hook(msg):
    if msg["msg_type"] in ("execute_result", "display_data"):
        outputs.append(msg["content"]["data"].get("text/plain", ""))
    elif msg["msg_type"] == "stream":
        outputs.append(msg["content"]["text"])
    elif msg["msg_type"] == "error":
        outputs.append(msg["content"]["ename"] + ": " + msg["content"]["evalue"] + "\n"
                       + "\n".join(msg["content"]["traceback"]))
reply = kc.execute_interactive(sys.argv[2], timeout=900, output_hook=hook)
print(json.dumps({"status": reply["content"]["status"], "outputs": outputs}))
kc.stop_channels()
km.shutdown_kernel(now=True)
"""

# What a curious student tries on files that are not theirs.
WRITE_SCRIPT = r"""
import json, pathlib, sys
results = {}
for target in sys.argv[1:]:
    p = pathlib.Path(target)
    try:
        if p.is_dir():
            (p / "intruder.txt").write_text("x")
        else:
            with open(p, "ab") as f:
                f.write(b"x")
        results[target] = "written"
    except PermissionError:
        results[target] = "denied"
print(json.dumps(results))
"""

# `?` and a variable whose type the kernel must infer (rust-analyzer, reading std's workspace
# from the shared CARGO_HOME): both failed for students before set-up fetched std's crates.
CELL = "let t = Tensor::f_from_slice(&[1.0f32, 2.0, 3.0])?;\nt.sum(Kind::Float).double_value(&[])"


def _sysroot() -> pathlib.Path:
    out = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, check=True)
    return pathlib.Path(out.stdout.strip())


def _cargo_home() -> pathlib.Path:
    return pathlib.Path(os.environ.get("CARGO_HOME", pathlib.Path.home() / ".cargo"))


def _closed_dirs(path: pathlib.Path) -> list[pathlib.Path]:
    """Directories above `path` that other users cannot enter."""
    return [d for d in path.resolve().parents if not os.stat(d).st_mode & stat.S_IXOTH]


@pytest.fixture(scope="module")
def shared_install():
    """A shared install from this run's build, and two student accounts; everything undone after."""
    needed = [KERNEL, VENV_PYTHON.resolve(), _sysroot(), _cargo_home(), REPO / "prelude",
              pathlib.Path(os.environ["LIBTORCH"])]
    opened = {}
    for d in {d for p in needed for d in _closed_dirs(p)}:
        opened[d] = stat.S_IMODE(os.stat(d).st_mode)
        os.chmod(d, opened[d] | stat.S_IXOTH)
    root = pathlib.Path(tempfile.mkdtemp(prefix="ferrokeras-shared-", dir="/var/tmp"))
    users = [f"fk{uuid.uuid4().hex[:6]}s{i}" for i in (1, 2)]
    try:
        env = dict(os.environ, FERROKERAS_PREBUILT=str(HOME / "sessions" / "slot-0"),
                   FERROKERAS_PRELUDE_DIR=str(REPO / "prelude"))
        # The prebuilt session, as the install's `warm` makes it (here seeded from the tests'
        # slot-0, so nothing is compiled that the tests did not already compile).
        subprocess.run([str(KERNEL), "warm", "--session-root", str(root / "prebuilt")],
                       env=env, check=True, capture_output=True, timeout=1200)
        os.chmod(root, 0o755)
        subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
        env.pop("FERROKERAS_HOME", None)
        env.pop("FERROKERAS_PREBUILT")
        install = subprocess.run(
            [str(KERNEL), "install", "--prefix", str(root / "sys"),
             "--env", f"FERROKERAS_PREBUILT={root / 'prebuilt' / 'slot-0'}",
             "--env", "FERROKERAS_STANDBY=0"],
            env=env, check=True, capture_output=True, text=True)
        # Every path the kernelspec names is reachable by other users (with the home opened).
        assert "warning" not in install.stderr, install.stderr
        # A second kernelspec, as an install made without the fix would be: Rust only through
        # the administrator's rustup proxies.
        proxies = shutil.which("rustup")
        if proxies:
            subprocess.run(
                [str(KERNEL), "install", "--prefix", str(root / "sys-proxy"),
                 "--env", f"PATH={pathlib.Path(proxies).parent}:/usr/bin:/bin",
                 "--env", f"FERROKERAS_PREBUILT={root / 'prebuilt' / 'slot-0'}",
                 "--env", "FERROKERAS_STANDBY=0"],
                env=env, check=True, capture_output=True, text=True)
        subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
        for user in users:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", user], check=True)
            os.chmod(pathlib.Path("/home") / user, 0o700)
        yield root, users, proxies
    finally:
        for user in users:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
        for d, mode in opened.items():
            os.chmod(d, mode)


def as_user(user: str, args: list[str], jupyter_path: pathlib.Path | None = None, timeout=900):
    """Runs `args` as `user` with a login-like environment: the user's HOME, a plain PATH and
    nothing of root's (no FERROKERAS_HOME, CARGO_HOME or RUSTUP_HOME)."""
    env = ["HOME=/home/" + user, "USER=" + user, "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"]
    if jupyter_path:
        env.append(f"JUPYTER_PATH={jupyter_path}")
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *env, *args],
                          capture_output=True, text=True, timeout=timeout, cwd="/tmp")


def run_cell(user, jupyter_path, kernelspec="ferrokeras", cell=CELL):
    done = as_user(user, [str(VENV_PYTHON), "-c", STUDENT_SCRIPT, kernelspec, cell], jupyter_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_students_run_the_prelude_from_the_shared_install(shared_install):
    root, users, _ = shared_install
    for user in users:
        result = run_cell(user, root / "sys" / "share" / "jupyter")
        assert result["status"] == "ok", result
        assert result["outputs"] == ["6.0"], result
        slot = pathlib.Path("/home") / user / ".cache" / "ferrokeras" / "sessions" / "slot-0"
        assert slot.is_dir(), "the student's session is in their own home"
        assert os.stat(slot).st_uid == int(subprocess.check_output(["id", "-u", user]))
        # No second compile: the prelude's library is the prebuilt one, not rebuilt.
        prebuilt = root / "prebuilt" / "slot-0" / DYLIB
        assert (slot / DYLIB).stat().st_mtime == prebuilt.stat().st_mtime


def test_students_cannot_write_the_install_or_each_others_files(shared_install):
    root, (first, second), _ = shared_install
    first_home = pathlib.Path("/home") / first
    targets = [root / "prebuilt" / "slot-0", root / "prebuilt" / "slot-0" / DYLIB,
               root / "sys" / "share" / "jupyter" / "kernels" / "ferrokeras" / "kernel.json",
               KERNEL, REPO / "prelude" / "src", first_home,
               first_home / ".cache" / "ferrokeras" / "sessions" / "slot-0" / "Cargo.toml"]
    done = as_user(second, [str(VENV_PYTHON), "-c", WRITE_SCRIPT, *map(str, targets)])
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results == {str(t): "denied" for t in targets}


def test_rust_reached_only_through_rustup_proxies_is_a_clear_error(shared_install):
    root, users, proxies = shared_install
    if not proxies:
        pytest.skip("Rust here is not installed with rustup")
    result = run_cell(users[0], root / "sys-proxy" / "share" / "jupyter", cell="1 + 1")
    assert result["status"] == "error"
    text = "\n".join(result["outputs"])
    assert "target-libdir" in text and "rustup" in text, text
