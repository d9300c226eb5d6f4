# Sourced by the set-up and test scripts (and by developers): where ferrokeras keeps its
# virtualenv, build output and caches, and the environment tch needs to find libtorch.
# Everything heavy lives outside the clone so a warm machine rebuilds nothing.

FERROKERAS_HOME="${FERROKERAS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/ferrokeras}"
export FERROKERAS_HOME
export FERROKERAS_VENV="${FERROKERAS_VENV:-$FERROKERAS_HOME/venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FERROKERAS_HOME/target}"
# libtorch comes from the torch wheel in the venv (torch==2.13.0, the version tch 0.26 pins).
export LIBTORCH="$FERROKERAS_VENV/lib/python3.11/site-packages/torch"
export LIBTORCH_CXX11_ABI=1
export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$FERROKERAS_VENV/bin:$PATH"
