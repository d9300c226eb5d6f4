# Sourced by the set-up and test scripts (and by developers): where ferrokeras keeps its
# virtualenv, build output and caches, and the environment tch needs to find libtorch.
# Everything heavy lives outside the clone so a warm machine rebuilds nothing.

FERROKERAS_HOME="${FERROKERAS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/ferrokeras}"
export FERROKERAS_HOME
export FERROKERAS_VENV="${FERROKERAS_VENV:-$FERROKERAS_HOME/venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FERROKERAS_HOME/target}"
source "$(dirname "${BASH_SOURCE[0]}")/pyenv.sh"
# libtorch comes from the torch wheel in the venv (torch==2.13.0, the version tch 0.26 pins);
# the venv's Python says where (lib/python3.X differs between distributions). Before set-up
# made the venv this stays empty and setup.sh sources this file again.
if [ -x "$FERROKERAS_VENV/bin/python" ]; then
  export LIBTORCH="$(ferrokeras_libtorch_dir "$FERROKERAS_VENV/bin/python")"
fi
export LIBTORCH_CXX11_ABI=1
# Sourced more than once (set-up sources it again, scripts call scripts): prepend only once.
if [ -n "${LIBTORCH:-}" ] && [[ ":${LD_LIBRARY_PATH:-}:" != *":$LIBTORCH/lib:"* ]]; then
  export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
[[ ":$PATH:" == *":$FERROKERAS_VENV/bin:"* ]] || export PATH="$FERROKERAS_VENV/bin:$PATH"
