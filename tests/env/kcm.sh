#!/usr/bin/env bash
# Runs kube-controller-manager (built by build-node.sh at the control plane's
# release) against the local control plane of $NODEPOOL_ENV_DIR, with that
# control plane's admin kubeconfig. Idempotent; stopped by PID, never by name.
#
# Usage: kcm.sh start [controllers]   controllers: comma-separated, as kube-controller-manager's
#                                      --controllers takes them (default: namespace,garbagecollector)
#        kcm.sh stop
#
# Leader election is off and HTTPS serving is disabled (--secure-port=0), so
# several control planes on one machine never collide on a port. A running
# instance started with other controllers is restarted with the new list.
# Files in the env dir: kube-controller-manager.pid, .log, .controllers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PIDF="$ENV_DIR/kube-controller-manager.pid"
LISTF="$ENV_DIR/kube-controller-manager.controllers"
LOGF="$ENV_DIR/kube-controller-manager.log"
KCFG="$ENV_DIR/admin.kubeconfig"
log() { echo "kcm.sh: $*" >&2; }
alive() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }

stop() {
  if alive; then
    local pid
    pid=$(cat "$PIDF")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDF" "$LISTF"
}

start() {
  local controllers=${1:-namespace,garbagecollector}
  if alive && [ "$(cat "$LISTF" 2>/dev/null)" = "$controllers" ]; then
    return 0
  fi
  stop
  [ -f "$KCFG" ] || { log "no control plane in $ENV_DIR (run tests/env/up.sh with the same NODEPOOL_ENV_DIR)"; exit 1; }
  local bin
  bin=$("$ROOT/tests/env/build-node.sh" kube-controller-manager)
  # The ServiceAccount token controller starts whenever a signing key is given: only when asked.
  local token_flags=()
  case ",$controllers," in
    *,\*,*|*,serviceaccount-token*) token_flags=(--service-account-private-key-file="$ENV_DIR/pki/sa.key") ;;
  esac
  "$bin/kube-controller-manager" --kubeconfig="$KCFG" --controllers="$controllers" \
    --leader-elect=false --secure-port=0 --use-service-account-credentials=false \
    "${token_flags[@]}" --root-ca-file="$ENV_DIR/pki/ca.crt" \
    --v=1 >"$LOGF" 2>&1 &
  echo $! >"$PIDF"
  echo "$controllers" >"$LISTF"
  # Up when it has synced its informers and started the controllers; the log says so.
  for _ in $(seq 1 300); do
    if ! alive; then
      log "kube-controller-manager exited; the end of its log:"
      tail -20 "$LOGF" >&2
      rm -f "$PIDF" "$LISTF"
      exit 1
    fi
    grep -q "Controller starting" "$LOGF" 2>/dev/null && { log "started ($controllers)"; return 0; }
    sleep 0.1
  done
  log "kube-controller-manager started no controller within 30 s; the end of its log:"
  tail -20 "$LOGF" >&2
  exit 1
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop; log "stopped" ;;
  *) echo "usage: kcm.sh start [controllers] | kcm.sh stop" >&2; exit 2 ;;
esac
