#!/usr/bin/env bash
# Runs every ferrokeras test: set-up (idempotent, no JupyterLab), the workspace's Rust tests
# (unit, integration, doctests; the kernel's protocol tests talk to the real kernel binary
# over ZeroMQ), then the end-to-end notebook tests (nbclient against the installed kernelspec).
#
#   bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
bash kernel/scripts/setup.sh --no-lab
source kernel/scripts/env.sh
# The test and benchmark packages (pytest, selenium), apart from what users need; installed
# again only when the list changes.
TEST_REQS=kernel/scripts/requirements-test.txt
TEST_STAMP="$FERROKERAS_VENV/.ferrokeras-test-requirements"
if ! cmp -s "$TEST_REQS" "$TEST_STAMP"; then
  pip install -q -r "$TEST_REQS"
  cp "$TEST_REQS" "$TEST_STAMP"
fi
# Kernels the tests start leave a standby session for the next kernel (kernel/src/standby.rs);
# the last one ends with the run, pass or fail.
stop_standbys() {
  pkill -f "ferrokeras-kernel standby --session-root $FERROKERAS_HOME/sessions" || true
  rm -f "$FERROKERAS_HOME/sessions/standby.sock"
}
trap stop_standbys EXIT
# Tests never touch the network: loaders fail with a clear error instead of downloading.
export FERROKERAS_OFFLINE=1

echo "==> prelude tests (cargo test --release -p ferrokeras)"
cargo test --release --locked -p ferrokeras

echo "==> kernel tests (real kernel over ZeroMQ; one at a time, they share the build cache)"
cargo test --release --locked -p ferrokeras-kernel -- --test-threads=1

echo "==> end-to-end notebook tests (nbclient)"
# --durations: the slowest tests, and each notebook run (a module fixture), in the log.
python -m pytest -q --durations=12 tests/
echo "all tests finished in $(( $(date +%s) - START ))s"
