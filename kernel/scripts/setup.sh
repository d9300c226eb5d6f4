#!/usr/bin/env bash
# ferrokeras set-up: on a fresh machine (Debian/Ubuntu, Rust, Python 3.10–3.13, package
# registries only)
# this creates the project's virtualenv with torch==2.13.0 (libtorch for tch 0.26), JupyterLab,
# jupyter_client and nbclient; builds the kernel in release; installs the `ferrokeras`
# kernelspec; compiles the prelude into the kernel's build cache; and starts JupyterLab.
# Re-running it on a set-up machine only checks and starts JupyterLab.
#
#   bash kernel/scripts/setup.sh            # everything, then JupyterLab
#   bash kernel/scripts/setup.sh --no-lab   # everything but JupyterLab (used by the tests)
#   bash kernel/scripts/setup.sh --port=9000 --no-browser   # other arguments go to jupyter lab
#   FERROKERAS_TORCH_INDEX=https://download.pytorch.org/whl/cpu bash kernel/scripts/setup.sh
#                                            # CPU-only torch wheel (laptops: no CUDA libraries)
#   FERROKERAS_PYTHON=python3.12 bash ...     # build the venv with this interpreter
#
# For every Unix account of a shared server (JupyterHub; docs/jupyterhub.md), as root:
#   FERROKERAS_HOME=/opt/ferrokeras CARGO_HOME=/opt/ferrokeras/cargo \
#     bash kernel/scripts/setup.sh --shared --no-lab
# which also builds a session every student's kernel starts from ($FERROKERAS_HOME/prebuilt),
# installs the kernelspec system-wide (${FERROKERAS_KERNELSPEC_PREFIX:-/usr/local}; none in
# the venv, where it would shadow that one) and opens everything to every user read-only. It
# checks first that the Python, the Rust toolchain and these folders are reachable by other
# users. FERROKERAS_STANDBY=1 keeps standby sessions on (off for a class by default).
set -euo pipefail
NO_LAB=0
SHARED=0
EXTRA_LAB_ARGS=()
for arg in "$@"; do
  case "$arg" in
    --no-lab) NO_LAB=1 ;;
    --shared) SHARED=1 ;;
    *) EXTRA_LAB_ARGS+=("$arg") ;;
  esac
done
cd "$(dirname "$0")/../.."
REPO="$(pwd)"
source kernel/scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }
START=$(date +%s)

step "system packages"
need=()
# C and C++: torch-sys's wrapper and the prelude's LSTM kernel (prelude/csrc) are C++ with OpenMP.
{ command -v cc && command -v c++; } >/dev/null || need+=(build-essential)
if [ "$SHARED" = 1 ]; then PY=$(ferrokeras_pick_python --shared); else PY=$(ferrokeras_pick_python); fi
"$PY" -c 'import ensurepip, venv' 2>/dev/null || need+=("$(basename "$PY")-venv")
# evcxr links every cell; mold makes that link several times faster than the system linker.
command -v mold >/dev/null || need+=(mold)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v cargo >/dev/null || { echo "Rust (cargo) is required: see https://rustup.rs" >&2; exit 1; }
ferrokeras_rust_ok "$REPO/Cargo.toml"
if [ "$SHARED" = 1 ]; then
  # Every student's kernel runs this toolchain, reads these crates and this venv: refuse now,
  # not after a 15-minute build, when another account could not.
  [ -n "${CARGO_HOME:-}" ] || { echo "--shared: set CARGO_HOME to a folder every user can read (e.g. /opt/ferrokeras/cargo)" >&2; exit 1; }
  mkdir -p "$FERROKERAS_HOME" "$CARGO_HOME"
  for what in "the Rust toolchain:$(rustc --print sysroot)" "the repository:$REPO" \
              "FERROKERAS_HOME:$FERROKERAS_HOME" "CARGO_HOME:$CARGO_HOME"; do
    if blocked=$(ferrokeras_reachable "${what#*:}"); then :; else
      echo "--shared: other users cannot reach ${what%%:*} (${what#*:}): ${blocked% *} has mode ${blocked#* }." >&2
      echo "Put it in a shared folder (Rust: RUSTUP_HOME and CARGO_HOME under /opt, docs/jupyterhub.md)." >&2
      exit 1
    fi
  done
fi

step "virtualenv $FERROKERAS_VENV"
STAMP="$FERROKERAS_VENV/.ferrokeras-requirements"
REQS="$REPO/kernel/scripts/requirements.txt"
if [ ! -x "$FERROKERAS_VENV/bin/python" ]; then
  "$PY" -m venv "$FERROKERAS_VENV"
fi
ferrokeras_python_ok "$FERROKERAS_VENV/bin/python" >/dev/null || {
  echo "$FERROKERAS_VENV was made with an unsupported Python; remove it and run set-up again" >&2; exit 1; }
# The stamp records the torch index too, so switching to the CPU wheel reinstalls torch.
TORCH_INDEX="${FERROKERAS_TORCH_INDEX:-}"
if ! { cat "$REQS"; echo "# torch index: $TORCH_INDEX"; } | cmp -s - "$STAMP"; then
  "$FERROKERAS_VENV/bin/pip" install -q --upgrade pip
  if [ -n "$TORCH_INDEX" ]; then
    # torch alone from that index (e.g. PyTorch's CPU-only wheels); the rest from PyPI.
    "$FERROKERAS_VENV/bin/pip" install -q --index-url "$TORCH_INDEX" "$(grep '^torch==' "$REQS")"
  fi
  "$FERROKERAS_VENV/bin/pip" install -q -r "$REQS"
  { cat "$REQS"; echo "# torch index: $TORCH_INDEX"; } > "$STAMP"
fi
source kernel/scripts/env.sh
test -f "${LIBTORCH:-}/lib/libtorch_cpu.so" || {
  echo "libtorch not found: the venv's torch is at '${LIBTORCH:-nowhere}'" >&2; exit 1; }

step "crates (cargo fetch: everything the kernel, the prelude and the tests use)"
# Sessions compile cells offline (a classroom may have no network), so every crate the prelude
# needs must be in cargo's cache before the first kernel start, not only the kernel's own.
cargo fetch --locked
# rust-analyzer (inside the kernel, for the types of cells' variables) loads the standard
# library's own workspace with `cargo metadata`, which needs std's dependencies in CARGO_HOME;
# without them (a fresh or read-only CARGO_HOME, offline) it guesses types wrongly and cells
# with `?` fail to compile. Fetch them too (the channel override is rust-analyzer's own: std's
# manifest uses a nightly-only key).
STD_MANIFEST="$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
if [ -f "$STD_MANIFEST" ]; then
  __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS=nightly cargo fetch --locked --manifest-path "$STD_MANIFEST"
else
  echo "warning: no $STD_MANIFEST: install the rust-src component (rustup component add rust-src)" >&2
fi

step "kernel (cargo build --release)"
cargo build --release --locked -p ferrokeras-kernel
KERNEL="$CARGO_TARGET_DIR/release/ferrokeras-kernel"

if [ "$SHARED" = 0 ]; then
  step "kernelspec"
  FERROKERAS_PRELUDE_DIR="$REPO/prelude" "$KERNEL" install --prefix "$FERROKERAS_VENV"
  # (grep without -q reads the whole list: -q stops early and jupyter dies of a broken pipe)
  jupyter kernelspec list | grep '^ *ferrokeras ' >/dev/null || { echo "kernelspec not listed" >&2; exit 1; }

  step "build cache (first start compiles the prelude; later starts reuse it)"
  FERROKERAS_PRELUDE_DIR="$REPO/prelude" "$KERNEL" warm
else
  step "prebuilt session for every user ($FERROKERAS_HOME/prebuilt)"
  FERROKERAS_PRELUDE_DIR="$REPO/prelude" "$KERNEL" warm --session-root "$FERROKERAS_HOME/prebuilt"
  step "kernelspec, system-wide"
  KERNELSPEC_PREFIX="${FERROKERAS_KERNELSPEC_PREFIX:-/usr/local}"
  # One left in the venv by an earlier set-up would shadow the system-wide one for Jupyter
  # servers run from this venv (jupyterhub-singleuser), with this FERROKERAS_HOME in it.
  if [ -e "$FERROKERAS_VENV/share/jupyter/kernels/ferrokeras" ]; then
    "$KERNEL" uninstall --prefix "$FERROKERAS_VENV"
  fi
  # Without FERROKERAS_HOME each student's sessions go to their own ~/.cache/ferrokeras.
  env -u FERROKERAS_HOME FERROKERAS_PRELUDE_DIR="$REPO/prelude" "$KERNEL" install \
    --prefix "$KERNELSPEC_PREFIX" \
    --env FERROKERAS_PREBUILT="$FERROKERAS_HOME/prebuilt/slot-0" \
    --env FERROKERAS_STANDBY="${FERROKERAS_STANDBY:-0}"
  chmod -R a+rX "$FERROKERAS_HOME" "$CARGO_HOME" "$REPO"
  found=$(jupyter kernelspec list --json | python -c 'import json,sys; print(json.load(sys.stdin)["kernelspecs"]["ferrokeras"]["resource_dir"])')
  [ "$found" = "$KERNELSPEC_PREFIX/share/jupyter/kernels/ferrokeras" ] || {
    echo "Jupyter finds the ferrokeras kernelspec in $found, not in $KERNELSPEC_PREFIX" >&2; exit 1; }
fi

echo "set-up finished in $(( $(date +%s) - START ))s"
if [ "$NO_LAB" = 0 ]; then
  # A warm standby session, so that the first notebook's kernel starts in about a second
  # (kernel/src/standby.rs); it exits after an hour if no kernel adopts it.
  [ "$SHARED" = 1 ] || FERROKERAS_PRELUDE_DIR="$REPO/prelude" "$KERNEL" standby </dev/null >/dev/null 2>&1 &
  step "JupyterLab"
  # JupyterLab refuses to start as root unless told; a container or a fresh VM often is root.
  lab_args=(--notebook-dir "$REPO/notebooks")
  [ "$(id -u)" != 0 ] || lab_args+=(--allow-root)
  exec jupyter lab "${lab_args[@]}" "${EXTRA_LAB_ARGS[@]}"
fi
