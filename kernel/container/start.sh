#!/usr/bin/env bash
# The image's entrypoint. Gives the user a copy of the course notebooks in ~/notebooks the first
# time (a spawner's volume may hide what the image had in the home folder; an existing folder
# is the student's work and is left as it is), then runs the command.
set -euo pipefail
if [ ! -e "$HOME/notebooks" ] && [ -w "$HOME" ]; then
  cp -r /opt/ferrokeras/src/notebooks "$HOME/notebooks"
fi
# Started by a JupyterHub spawner that kept the image's own command (DockerSpawner's default):
# run the hub's single-user server with the same arguments, as Jupyter's docker-stacks images do.
if [ -n "${JUPYTERHUB_API_TOKEN:-}" ] && [ "${1:-}" = jupyter ] && [ "${2:-}" = lab ]; then
  shift 2
  exec jupyterhub-singleuser "$@"
fi
exec "$@"
