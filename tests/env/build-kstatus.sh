#!/usr/bin/env bash
# Builds the kstatus tool (tests/kstatus, sigs.k8s.io/cli-utils) once per
# source version; prints the binary's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KEY=$(cat "$ROOT/tests/kstatus/go.mod" "$ROOT/tests/kstatus/go.sum" "$ROOT/tests/kstatus/main.go" | sha256sum | cut -c1-16)
OUT="${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/kstatus/$KEY-$(go env GOVERSION)/kstatus"
if [ ! -x "$OUT" ]; then
  mkdir -p "$(dirname "$OUT")"
  (cd "$ROOT/tests/kstatus" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -o "$OUT.tmp" . >&2)
  mv "$OUT.tmp" "$OUT"
fi
echo "$OUT"
