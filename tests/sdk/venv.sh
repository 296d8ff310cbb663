#!/usr/bin/env bash
# The virtualenv holding the clouds' official Python SDKs at the versions the
# project is checked against (outside the repository); prints its path.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
exec "$HERE/../env/venv.sh" "$HERE/requirements.txt" sdk "${NODEPOOL_SDK_VENV:-}"
