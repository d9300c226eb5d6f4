"""The set-up's environment logic (kernel/scripts/pyenv.sh) against fake layouts: which
Python builds the venv (3.10–3.13, the newest on PATH, or FERROKERAS_PYTHON), where the
venv's torch is (asked of its Python, whatever python3.X directory it lives in), and the
rustc check against the workspace's rust-version."""
import os
import subprocess
import sys
import venv

import pytest

from conftest import REPO

PYENV = REPO / "kernel" / "scripts" / "pyenv.sh"


def bash(script, path=None, env=None):
    """Runs `script` in bash after sourcing pyenv.sh; (status, stdout, stderr)."""
    full = dict(os.environ, **(env or {}))
    if path is not None:
        full["PATH"] = path
    done = subprocess.run(["/bin/bash", "-c", f'source "{PYENV}"\n{script}'],
                          capture_output=True, text=True, env=full, timeout=60)
    return done.returncode, done.stdout.strip(), done.stderr.strip()


def fake_python(bin_dir, name, version):
    """A `python3.X` that answers the version query as that Python would."""
    exe = bin_dir / name
    exe.write_text(f'#!/bin/sh\necho "{version}"\n')
    exe.chmod(0o755)
    return exe


@pytest.fixture
def tools(tmp_path):
    """A PATH with only the shell tools pyenv.sh uses (and no real Python)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sort", "head", "tail", "sed", "awk", "basename", "printf", "cat"):
        real = subprocess.run(["/bin/sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        if real.startswith("/"):
            (bin_dir / tool).symlink_to(real)
    return bin_dir


@pytest.mark.parametrize("available, picked", [
    ({"python3.13": "3.13", "python3.11": "3.11"}, "python3.13"),
    ({"python3.12": "3.12"}, "python3.12"),
    ({"python3.10": "3.10", "python3": "3.9"}, "python3.10"),
    ({"python3": "3.12"}, "python3"),
])
def test_newest_supported_python_is_picked(tools, available, picked):
    for name, version in available.items():
        fake_python(tools, name, version)
    status, out, err = bash("ferrokeras_pick_python", path=str(tools))
    assert status == 0, err
    assert out == str(tools / picked)


@pytest.mark.parametrize("version", ["3.9", "3.14"])
def test_unsupported_python_stops_with_what_to_do(tools, version):
    fake_python(tools, "python3", version)
    status, out, err = bash("ferrokeras_pick_python", path=str(tools))
    assert status != 0 and out == ""
    assert "Python 3.10–3.13 is required" in err and "FERROKERAS_PYTHON" in err


def test_ferrokeras_python_overrides_and_is_checked(tools):
    chosen = fake_python(tools, "my-python", "3.12")
    fake_python(tools, "python3.13", "3.13")
    status, out, _ = bash("ferrokeras_pick_python", path=str(tools), env={"FERROKERAS_PYTHON": str(chosen)})
    assert (status, out) == (0, str(chosen))
    old = fake_python(tools, "old-python", "3.8")
    status, _, err = bash("ferrokeras_pick_python", path=str(tools), env={"FERROKERAS_PYTHON": str(old)})
    assert status != 0 and "is not Python 3.10–3.13" in err


def test_libtorch_is_found_in_any_venv_layout(tmp_path):
    """A real venv (this Python's version) with a stand-in torch package: the directory comes
    from the venv's own Python, not from a lib/python3.11 path."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    site = next(env_dir.glob("lib/python3.*/site-packages"))
    torch = site / "torch"
    (torch / "lib").mkdir(parents=True)
    (torch / "__init__.py").write_text("raise ImportError('not imported: find_spec only')\n")
    status, out, err = bash(f'ferrokeras_libtorch_dir "{env_dir}/bin/python"')
    assert status == 0, err
    assert out == str(torch)
    # env.sh puts it (and its lib/) in the environment tch reads.
    status, out, err = bash(
        f'source "{REPO}/kernel/scripts/env.sh"; echo "$LIBTORCH"; echo "$LD_LIBRARY_PATH"',
        env={"FERROKERAS_VENV": str(env_dir)})
    libtorch, ld_path = out.splitlines()
    assert libtorch == str(torch)
    assert ld_path.split(":")[0] == str(torch / "lib")
    # Without torch in the venv, nothing is found (set-up then says so).
    (torch / "__init__.py").unlink()
    torch.rename(site / "not-torch")
    assert bash(f'ferrokeras_libtorch_dir "{env_dir}/bin/python"')[1] == ""


def test_rustc_is_checked_against_the_workspace_rust_version(tmp_path, tools):
    cargo_toml = tmp_path / "Cargo.toml"
    cargo_toml.write_text('[workspace.package]\nrust-version = "1.95"\n')
    for have, ok in [("1.94.1", False), ("1.95.0", True), ("1.101.0", True)]:
        rustc = tools / "rustc"
        rustc.unlink(missing_ok=True)
        rustc.write_text(f'#!/bin/sh\necho "rustc {have} (abc 2026-01-01)"\n')
        rustc.chmod(0o755)
        status, _, err = bash(f'ferrokeras_rust_ok "{cargo_toml}"', path=str(tools))
        assert (status == 0) == ok, (have, err)
        if not ok:
            assert "older than the 1.95" in err and "rustup update" in err
    (tools / "rustc").unlink()
    status, _, err = bash(f'ferrokeras_rust_ok "{cargo_toml}"', path=str(tools))
    assert status != 0 and "rustup.rs" in err


def test_workspace_rust_version_is_what_evcxr_needs():
    """The check uses the workspace's rust-version, which must be at least evcxr's."""
    def rust_version(path):
        for line in path.read_text().splitlines():
            if line.startswith("rust-version"):
                return tuple(int(p) for p in line.split('"')[1].split("."))
    assert rust_version(REPO / "Cargo.toml") >= rust_version(REPO / "kernel/vendor-evcxr/Cargo.toml")


@pytest.fixture
def open_dir():
    """A folder every user can enter (pytest's tmp_path is private: mode 700)."""
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="ferrokeras-setup-logic-", dir="/var/tmp")
    os.chmod(d, 0o755)
    yield __import__("pathlib").Path(d)
    shutil.rmtree(d)


def fake_python_at(exe, version):
    """A Python that answers the version query, and names itself when asked sys.executable."""
    exe.write_text(f'#!/bin/sh\ncase "$2" in *executable*) echo "{exe}";; *) echo "{version}";; esac\n')
    exe.chmod(0o755)


def test_reachable_names_the_private_folder(open_dir):
    home = open_dir / "home"
    (home / "lib").mkdir(parents=True)
    (home / "lib" / "x").write_text("x")
    os.chmod(home, 0o700)
    status, out, _ = bash(f'ferrokeras_reachable "{home}/lib/x"')
    assert (status, out) == (1, f"{home} 700")
    os.chmod(home, 0o711)
    assert bash(f'ferrokeras_reachable "{home}/lib/x"')[:2] == (0, "")


def test_shared_set_up_skips_a_python_other_users_cannot_run(tools, open_dir):
    private, public = open_dir / "private", open_dir / "public"
    private.mkdir()
    public.mkdir(mode=0o755)
    fake_python_at(private / "python3.13", "3.13")
    fake_python_at(public / "python3.11", "3.11")
    os.chmod(private, 0o700)
    for tool in ("readlink", "stat", "dirname"):
        real = subprocess.run(["/bin/sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        (tools / tool).symlink_to(real)
    path = f"{private}:{public}:{tools}"
    assert bash("ferrokeras_pick_python", path=path)[1] == str(private / "python3.13")
    status, out, err = bash("ferrokeras_pick_python --shared", path=path)
    assert (status, out) == (0, str(public / "python3.11")), err
    # FERROKERAS_PYTHON pointing into a private folder is refused with the reason.
    status, _, err = bash("ferrokeras_pick_python --shared", path=path,
                          env={"FERROKERAS_PYTHON": str(private / "python3.13")})
    assert status == 1 and f"{private} 700" in err
