#!/usr/bin/env bash
# Stops the local control plane started by up.sh (by PID, never by name) and
# removes its state.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

stop() {
  local f="$ENV_DIR/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
stop kube-controller-manager   # when tests/env/kcm.sh started one
stop kube-apiserver
stop etcd
rm -rf "$ENV_DIR/etcd" "$ENV_DIR/pki" "$ENV_DIR/tokens.csv" "$ENV_DIR/admin.kubeconfig"
echo "down.sh: local control plane stopped" >&2
