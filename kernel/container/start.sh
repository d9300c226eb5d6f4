#!/usr/bin/env bash
# The image's entrypoint: gives the user a copy of the course notebooks in ~/notebooks the first
# time (a spawner's volume may hide what the image had in the home folder; an existing folder
# is the student's work and is left as it is), then runs the command.
set -euo pipefail
if [ ! -e "$HOME/notebooks" ] && [ -w "$HOME" ]; then
  cp -r /opt/ferrokeras/src/notebooks "$HOME/notebooks"
fi
exec "$@"
