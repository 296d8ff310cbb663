#!/usr/bin/env bash
# The virtualenv with what the benchmark's plot needs (matplotlib), outside the
# repository; prints its path.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
exec "$HERE/../env/venv.sh" "$HERE/requirements.txt" bench "${NODEPOOL_BENCH_VENV:-}"
