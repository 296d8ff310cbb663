#!/usr/bin/env bash
# Runs up.sh's orphan handling in the conditions it was written for:
#   1. a control plane whose run ended without down.sh and whose state directory was removed
#      (a CI job killed at its limit, its clone deleted) holds the ports: the next up.sh, from
#      another state directory, stops it and starts;
#   2. a process that is not this cache's etcd or kube-apiserver holds a port: up.sh refuses
#      and leaves it running.
# Ports 24443 / 17379-17380 (CHECK_KUBE_PORT / CHECK_ETCD_PORT).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
KP=${CHECK_KUBE_PORT:-24443} EP=${CHECK_ETCD_PORT:-17379}
foreign=
cleanup() {
  [ -z "$foreign" ] || kill "$foreign" 2>/dev/null || true
  for d in "$TMP"/*/; do NODEPOOL_ENV_DIR=${d%/} "$ROOT/tests/env/down.sh" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "check-orphans: $*" >&2; exit 1; }
up() { NODEPOOL_ENV_DIR="$TMP/$1" KUBE_PORT=$KP ETCD_PORT=$EP "$ROOT/tests/env/up.sh" >/dev/null 2>"$TMP/$1.err"; }

# 1. An orphan of a removed checkout.
up first || fail "the first control plane did not start: $(cat "$TMP/first.err")"
old_api=$(cat "$TMP/first/kube-apiserver.pid") old_etcd=$(cat "$TMP/first/etcd.pid")
rm -rf "$TMP/first"
kill -0 "$old_api" 2>/dev/null || fail "kube-apiserver exited with its state directory; nothing to test"
up second || fail "up.sh did not take over the orphan's ports: $(cat "$TMP/second.err")"
grep -q "stopping an orphaned kube-apiserver $TMP/first" "$TMP/second.err" || fail "no word of the orphan: $(cat "$TMP/second.err")"
! kill -0 "$old_api" 2>/dev/null || fail "the orphaned kube-apiserver ($old_api) still runs"
! kill -0 "$old_etcd" 2>/dev/null || fail "the orphaned etcd ($old_etcd) still runs"
NODEPOOL_ENV_DIR="$TMP/second" "$ROOT/tests/env/down.sh" 2>/dev/null

# 2. Somebody else's process on the port.
python3 -m http.server "$KP" --bind 127.0.0.1 >/dev/null 2>&1 &
foreign=$!
for _ in $(seq 1 50); do ss -ltnH "sport = :$KP" | grep -q . && break; sleep 0.1; done
if up third; then fail "up.sh started although port $KP is someone else's"; fi
grep -q "port $KP is taken by another process" "$TMP/third.err" || fail "unclear refusal: $(cat "$TMP/third.err")"
kill -0 "$foreign" 2>/dev/null || fail "up.sh stopped a process that is not its own"
echo "check-orphans: an orphaned control plane is stopped, a foreign port holder is refused and left alone: ok"
