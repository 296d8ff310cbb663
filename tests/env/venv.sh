#!/usr/bin/env bash
# Creates (once) a Python virtualenv outside the repository from a requirements
# file and prints its path; keyed by the file's contents, so a change makes a new one.
#   tests/env/venv.sh REQUIREMENTS NAME [OVERRIDE_DIR]
set -euo pipefail
REQ=$1 NAME=$2
KEY=$(sha256sum "$REQ" | cut -c1-12)
VENV="${3:-${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/$NAME-venv-$KEY}"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.complete" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ" >&2
  touch "$VENV/.complete"
fi
echo "$VENV"
