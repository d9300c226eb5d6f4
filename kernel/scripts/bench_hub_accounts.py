"""Real student accounts for bench_jupyterhub.py (`--accounts real`): the shared install made by
the commands of docs/jupyterhub.md, run as they are written, and one Unix account per student,
created for the run and removed after, that the hub (running as root) spawns each server as.

Only the toolchain step differs from the docs: our machines cannot download rustup, so the
machine's own stable toolchain (the running user's rustup home) is copied to where the docs put
rustup's (`/opt/rust/rustup`, proxies in `/opt/rust/cargo/bin`), hard-linked where possible.
"""
import os
import pathlib
import re
import shutil
import subprocess

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "jupyterhub.md"
SECTION = "## Install once (as an administrator)"
SHARED_HOME = pathlib.Path("/opt/ferrokeras")
RUST = pathlib.Path("/opt/rust")


def documented_commands() -> list[str]:
    """The ```sh blocks of the docs' install section, in order."""
    text = DOCS.read_text()
    section = text[text.index(SECTION):]
    section = section[: section.index("\n## ", len(SECTION))]
    return [m.group(1) for m in re.finditer(r"```sh\n(.*?)```", section, re.S)]


def toolchain_from_this_machine():
    """rustup's part of the docs, from the machine's own rustup home instead of the network."""
    home = pathlib.Path(os.environ.get("RUSTUP_HOME", pathlib.Path.home() / ".rustup"))
    toolchain = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True,
                               check=True).stdout.strip()
    name = pathlib.Path(toolchain).name
    dest = RUST / "rustup" / "toolchains" / name
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-al", toolchain, str(dest)], check=True)
    (RUST / "rustup" / "settings.toml").write_text(
        f'version = "12"\ndefault_toolchain = "{name}"\nprofile = "minimal"\n')
    bin_dir = RUST / "cargo" / "bin"
    if not bin_dir.exists():
        cargo_bin = pathlib.Path(shutil.which("rustup")).parent
        shutil.copytree(cargo_bin, bin_dir, symlinks=True)
    subprocess.run(["chmod", "-R", "a+rX", str(RUST)], check=True)
    print(f"toolchain {name} from {home} made system-wide under {RUST}", flush=True)


def install_as_documented(repo: pathlib.Path):
    """Runs the docs' commands in one shell (their exports carry over), the rustup download
    replaced by `toolchain_from_this_machine`. Idempotent: set-up is."""
    blocks = documented_commands()
    script = ["set -euo pipefail"]
    for block in blocks:
        if "sh.rustup.rs" in block:
            toolchain_from_this_machine()
            # The block's exports still apply to what follows; only the download is left out.
            block = "\n".join(l for l in block.replace("\\\n", " ").splitlines()
                              if "sh.rustup.rs" not in l)
        block = block.replace("<this repository>", str(repo))
        # A clone that is already there is updated to this checkout's commit and set up again
        # (the docs' update path: pull, then set-up).
        block = re.sub(r"^git clone (\S+) (\S+)$",
                       r"if [ -d \2 ]; then git -C \2 fetch -q \1 HEAD && git -C \2 checkout -q --detach FETCH_HEAD;"
                       r" else git clone -q \1 \2; fi", block, flags=re.M)
        script.append(block)
    print("running docs/jupyterhub.md's install commands:\n" + "\n".join(script[1:]), flush=True)
    # A login-like environment: nothing of the caller's venv, cargo or ferrokeras settings.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FERROKERAS_", "CARGO", "RUSTUP", "LIBTORCH", "VIRTUAL_ENV"))}
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    subprocess.run(["bash", "-c", "\n".join(script)], env=env, check=True)


def shared_environment() -> dict[str, str]:
    """What `source kernel/scripts/env.sh` gives for the shared install."""
    out = subprocess.run(
        ["bash", "-c", f"source {SHARED_HOME}/src/kernel/scripts/env.sh && env -0"],
        env=dict(os.environ, FERROKERAS_HOME=str(SHARED_HOME), CARGO_HOME=str(SHARED_HOME / "cargo")),
        capture_output=True, check=True)
    return dict(line.split("=", 1) for line in out.stdout.decode().split("\0") if "=" in line)


def create_accounts(prefix: str, count: int) -> list[str]:
    names = [f"{prefix}{i:02d}" for i in range(1, count + 1)]
    for name in names:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        os.chmod(pathlib.Path("/home") / name, 0o700)
    return names


def remove_accounts(names: list[str]):
    for name in names:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        subprocess.run(["userdel", "--remove", name], capture_output=True)


def home_of(name: str) -> pathlib.Path:
    return pathlib.Path("/home") / name


def disk_mb(name: str) -> float:
    """What the student's home holds after the cells (their session slot, Jupyter's files)."""
    out = subprocess.run(["du", "-sk", str(home_of(name))], capture_output=True, text=True)
    return int(out.stdout.split()[0]) / 1024 if out.returncode == 0 else float("nan")
