#!/usr/bin/env bash
# Creates (once) a virtualenv outside the repository with what the benchmark's
# plot needs (matplotlib); prints its path. Keyed by requirements.txt.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
KEY=$(sha256sum "$HERE/requirements.txt" | cut -c1-12)
VENV="${NODEPOOL_BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/bench-venv-$KEY}"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.complete" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2
  touch "$VENV/.complete"
fi
echo "$VENV"
