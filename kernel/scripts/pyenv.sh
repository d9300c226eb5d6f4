# Sourced by env.sh and setup.sh: which Python set-up builds the venv with, and where the venv's
# torch wheel keeps libtorch. Kept apart (and free of side effects) so tests/test_setup_logic.py
# can run these functions against fake layouts.

# Python versions the torch wheel pinned in requirements.txt is published for and that we test.
FERROKERAS_PY_MIN=3.10
FERROKERAS_PY_MAX=3.13

# "3.11" when `$1` is an interpreter inside the accepted range; nothing (and status 1) otherwise.
ferrokeras_python_ok() {
  local v
  v=$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || return 1
  [ "$(printf '%s\n%s\n' "$FERROKERAS_PY_MIN" "$v" | sort -V | head -1)" = "$FERROKERAS_PY_MIN" ] || return 1
  [ "$(printf '%s\n%s\n' "$v" "$FERROKERAS_PY_MAX" | sort -V | tail -1)" = "$FERROKERAS_PY_MAX" ] || return 1
  echo "$v"
}

# Nothing (status 0) when every user can reach `$1` (each directory above it enterable by
# others, the path itself readable); else the first obstacle and its mode ("/root 700",
# status 1). A shared install (setup.sh --shared) must not point into an administrator's home.
ferrokeras_reachable() {
  local p mode
  p=$(readlink -f "$1") || return 1
  local d="$p"
  while [ "$d" != / ]; do
    d=$(dirname "$d")
    mode=$(stat -c %a "$d")
    (( 8#$mode & 1 )) || { echo "$d $mode"; return 1; }
  done
  mode=$(stat -c %a "$p")
  (( 8#$mode & 4 )) || { echo "$p $mode"; return 1; }
}

# The interpreter to build the venv with: $FERROKERAS_PYTHON if set (it must be in range), else
# the newest python3.1x on PATH in range, else python3. Distributions differ (Debian 12 has
# 3.11, Debian 13 and Ubuntu 24.04 have 3.12/3.13), so no version is hard-wired. With
# `--shared` (a venv for every user) only interpreters that every user can run count (the
# venv's python is a link to it), and the system's /usr/bin ones are tried after PATH's: a
# pyenv or conda Python in the administrator's home is the usual first find and no good.
ferrokeras_pick_python() {
  local c shared=0 cands
  [ "${1:-}" = --shared ] && shared=1
  if [ -n "${FERROKERAS_PYTHON:-}" ]; then
    ferrokeras_python_ok "$FERROKERAS_PYTHON" >/dev/null || {
      echo "FERROKERAS_PYTHON=$FERROKERAS_PYTHON is not Python $FERROKERAS_PY_MIN–$FERROKERAS_PY_MAX" >&2
      return 1; }
    if [ "$shared" = 1 ] && ! ferrokeras_reachable "$(command -v "$FERROKERAS_PYTHON")" >/dev/null; then
      echo "FERROKERAS_PYTHON=$FERROKERAS_PYTHON cannot be run by other users" \
        "($(ferrokeras_reachable "$(command -v "$FERROKERAS_PYTHON")") is not open to them)" >&2
      return 1
    fi
    echo "$FERROKERAS_PYTHON"; return 0
  fi
  cands=(python3.13 python3.12 python3.11 python3.10 python3)
  [ "$shared" = 1 ] && cands+=(/usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.11 /usr/bin/python3.10 /usr/bin/python3)
  for c in "${cands[@]}"; do
    command -v "$c" >/dev/null || continue
    ferrokeras_python_ok "$c" >/dev/null || continue
    if [ "$shared" = 1 ]; then
      # pyenv's shims are scripts that pick an interpreter in their owner's home.
      c=$("$c" -c 'import sys; print(sys.executable)')
      ferrokeras_reachable "$c" >/dev/null || continue
    fi
    command -v "$c"; return 0
  done
  if [ "$shared" = 1 ]; then
    echo "no Python $FERROKERAS_PY_MIN–$FERROKERAS_PY_MAX that every user can run:" \
      "install the system's (apt-get install python3 python3-venv) or set FERROKERAS_PYTHON" >&2
    return 1
  fi
  echo "Python $FERROKERAS_PY_MIN–$FERROKERAS_PY_MAX is required (found: $(python3 --version 2>&1 || echo none));" \
    "install one (apt-get install python3 python3-venv) or set FERROKERAS_PYTHON" >&2
  return 1
}

# The torch package directory of the venv whose interpreter is `$1` (libtorch is its lib/),
# asked from that Python so any python3.X layout works. find_spec does not import torch,
# so sourcing env.sh stays fast.
ferrokeras_libtorch_dir() {
  "$1" -c 'import importlib.util as u; s = u.find_spec("torch"); print(s.submodule_search_locations[0] if s else "")' 2>/dev/null
}

# Status 0 when rustc is at least the workspace's rust-version (`$1`: the workspace Cargo.toml).
ferrokeras_rust_ok() {
  local need have
  need=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$1" | head -1)
  have=$(rustc --version 2>/dev/null | awk '{print $2}' | sed 's/-.*//')
  if [ -z "$have" ]; then
    echo "Rust is required (rustc $need or newer): see https://rustup.rs" >&2; return 1
  fi
  if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
    echo "rustc $have is older than the $need this workspace needs: run \`rustup update stable\`" >&2
    return 1
  fi
}
