#!/usr/bin/env bash
# Builds the ferrokeras kernel of an earlier commit beside the current one and installs it as
# the kernelspec `ferrokeras-<commit>`, so that bench_kernel.py --baseline <commit> measures
# both in the same run (speed targets are ratios: machines of one kind differ by 2x).
#
#   source kernel/scripts/env.sh
#   bash kernel/scripts/build_baseline.sh fcaa165
#
# The commit is checked out as a git worktree under $FERROKERAS_HOME/baselines/<commit>/src
# (the kernel finds its prelude by the path it was built at); it shares CARGO_TARGET_DIR, so
# only the crates that differ are compiled, and its binary is copied out before the current
# kernel is linked again. Its sessions live in their own FERROKERAS_HOME
# ($FERROKERAS_HOME/baselines/<commit>/home), seeded with a copy of the current slot-0 so that
# tch and the other registry crates are not compiled again.
set -euo pipefail
COMMIT="${1:?usage: build_baseline.sh COMMIT}"
cd "$(dirname "$0")/../.."
REPO="$(pwd)"
source kernel/scripts/env.sh
BASE="$FERROKERAS_HOME/baselines/$COMMIT"
SRC="$BASE/src"
mkdir -p "$BASE/bin"
if [ ! -d "$SRC" ]; then
  git worktree add --detach "$SRC" "$COMMIT"
fi
(cd "$SRC" && cargo build --release --locked -p ferrokeras-kernel)
cp "$CARGO_TARGET_DIR/release/ferrokeras-kernel" "$BASE/bin/ferrokeras-kernel.tmp"
mv "$BASE/bin/ferrokeras-kernel.tmp" "$BASE/bin/ferrokeras-kernel"
# Put the current kernel back where its kernelspec points.
cargo build --release --locked -p ferrokeras-kernel

HOME_DIR="$BASE/home"
if [ ! -d "$HOME_DIR/sessions/slot-0" ] && [ -d "$FERROKERAS_HOME/sessions/slot-0" ]; then
  mkdir -p "$HOME_DIR/sessions"
  cp -a --reflink=auto "$FERROKERAS_HOME/sessions/slot-0" "$HOME_DIR/sessions/slot-0"
fi
SPEC="$BASE/spec"
rm -rf "$SPEC"
FERROKERAS_HOME="$HOME_DIR" FERROKERAS_PRELUDE_DIR="$SRC/prelude" \
  "$BASE/bin/ferrokeras-kernel" install --prefix "$SPEC"
# The kernelspec under its own name, beside the current one.
KERNELS="$FERROKERAS_VENV/share/jupyter/kernels"
rm -rf "$KERNELS/ferrokeras-$COMMIT"
cp -r "$SPEC/share/jupyter/kernels/ferrokeras" "$KERNELS/ferrokeras-$COMMIT"
sed -i "s/\"Rust (ferrokeras)\"/\"Rust (ferrokeras $COMMIT)\"/" "$KERNELS/ferrokeras-$COMMIT/kernel.json"
FERROKERAS_HOME="$HOME_DIR" FERROKERAS_PRELUDE_DIR="$SRC/prelude" "$BASE/bin/ferrokeras-kernel" warm
echo "baseline kernelspec ferrokeras-$COMMIT ready"
