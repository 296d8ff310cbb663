#!/usr/bin/env bash
# Builds one Go command-line tool pinned in tests/tools/NAME/go.mod (its `tool`
# line names the package; go.sum pins every module) once per module graph and
# Go toolchain, caches it under ~/.cache/nodepool-controller/NAME/ and prints
# the binary's path. NAME: helm, promtool or actionlint. An optional
# tests/tools/NAME/ldflags holds the -ldflags its own release build sets (for
# helm: its version and the Kubernetes version `helm template` assumes, taken
# from its client-go as helm's Makefile does).
#   tests/tools/build.sh helm        -> .../helm/<key>-go1.x.y/helm
# Builds run with `nice -n 10` (they share a small machine); the binary is
# published atomically, so a concurrent or interrupted build never leaves a
# half-written tool behind.
set -euo pipefail
NAME=${1:?usage: tests/tools/build.sh helm|promtool|actionlint}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR="$ROOT/tests/tools/$NAME"
[ -f "$DIR/go.mod" ] || { echo "no tool $NAME: $DIR/go.mod missing" >&2; exit 2; }
PKG=$(awk '$1 == "tool" { print $2; exit }' "$DIR/go.mod")
[ -n "$PKG" ] || { echo "$DIR/go.mod has no tool line" >&2; exit 2; }
LDFLAGS=""
[ -f "$DIR/ldflags" ] && LDFLAGS=$(cat "$DIR/ldflags")
KEY=$( { cat "$DIR/go.mod" "$DIR/go.sum"; [ -z "$LDFLAGS" ] || echo "$LDFLAGS"; } | sha256sum | cut -c1-16)
OUT="${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/$NAME/$KEY-$(GOTOOLCHAIN=local go env GOVERSION)-$(go env GOARCH)/$NAME"
if [ ! -x "$OUT" ]; then
  mkdir -p "$(dirname "$OUT")"
  echo "building $NAME ($PKG) once; cached at $OUT" >&2
  (cd "$DIR" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
    nice -n 10 go build -trimpath -ldflags "-s -w $LDFLAGS" -o "$OUT.tmp.$$" "$PKG" >&2)
  mv "$OUT.tmp.$$" "$OUT"
fi
echo "$OUT"
