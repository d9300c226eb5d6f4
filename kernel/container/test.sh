#!/usr/bin/env bash
# Tests the image built by kernel/container/build.sh (kernel/container/test_container.py):
# JupyterLab from `podman run` runs the German course notebook, and the image serves a user as
# jupyterhub-singleuser under a JupyterHub. Not part of tests/run.sh: it takes about half an
# hour on 2 cores. Needs port 8888 free (the image's own command listens there).
#
#   bash kernel/container/test.sh                 # IMAGE=localhost/ferrokeras:latest
#   bash kernel/container/test.sh -k singleuser   # arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/../.."
STATE=${FERROKERAS_CONTAINER_STATE:-/var/tmp/ferrokeras-container}
export FERROKERAS_CONTAINER_STATE=$STATE
# A venv of the test's own (the hub, pytest), apart from the project's: JupyterHub 5 as pinned
# for the benchmark. configurable-http-proxy comes from npm into $STATE/bench-node.
VENV="$STATE/test-venv"
if [ ! -x "$VENV/bin/pytest" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pytest "$(grep '^jupyterhub==' kernel/scripts/requirements-bench.txt)"
fi
command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm; }
podman image exists "${IMAGE:-localhost/ferrokeras:latest}" || {
  echo "no image ${IMAGE:-localhost/ferrokeras:latest}: run kernel/container/build.sh first" >&2; exit 1; }
exec "$VENV/bin/python" -m pytest -q -s -p no:cacheprovider kernel/container/test_container.py "$@"
