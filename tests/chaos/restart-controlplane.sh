#!/usr/bin/env bash
# Restarts the local control plane started by tests/env/up.sh IN PLACE: the same certificates,
# tokens and etcd data, the same ports. Used by the chaos run to break the controller's watches.
#
#   tests/chaos/restart-controlplane.sh apiserver   # kill -9 kube-apiserver, start it again
#   tests/chaos/restart-controlplane.sh both        # kill -9 kube-apiserver and etcd, start both
#
# Environment: NODEPOOL_ENV_DIR, KUBE_PORT, ETCD_PORT (as for up.sh). DOWN_SECONDS: how long
# the control plane stays down (default 2). Processes are stopped by the PIDs in the env dir,
# never by name. The command lines mirror tests/env/up.sh.
set -euo pipefail
. "$(dirname "$0")/../env/lib.sh"

WHAT=${1:?usage: restart-controlplane.sh apiserver|both}
KUBE_PORT=${KUBE_PORT:-16443}
ETCD_PORT=${ETCD_PORT:-12379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
DOWN_SECONDS=${DOWN_SECONDS:-2}
KCFG="$ENV_DIR/admin.kubeconfig"
PKI="$ENV_DIR/pki"
BIN=$("$ROOT/tests/env/build.sh")

stop() {
  local f="$ENV_DIR/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}
port_free() { ! ss -ltnH "sport = :$1" | grep -q .; }

stop kube-apiserver
[ "$WHAT" = both ] && stop etcd
for _ in $(seq 1 100); do port_free "$KUBE_PORT" && break; sleep 0.1; done
sleep "$DOWN_SECONDS"

if [ "$WHAT" = both ]; then
  for _ in $(seq 1 100); do port_free "$ETCD_PORT" && port_free "$ETCD_PEER_PORT" && break; sleep 0.1; done
  "$BIN/etcd" --name=local --data-dir="$ENV_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --log-level=warn >>"$ENV_DIR/etcd.log" 2>&1 &
  echo $! >"$ENV_DIR/etcd.pid"
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

"$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$KUBE_PORT" \
  --cert-dir="$PKI" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" --token-auth-file="$ENV_DIR/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer="https://127.0.0.1:$KUBE_PORT" \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --disable-admission-plugins=ServiceAccount \
  --profiling=false --v=1 >>"$ENV_DIR/kube-apiserver.log" 2>&1 &
echo $! >"$ENV_DIR/kube-apiserver.pid"

for _ in $(seq 1 900); do
  if "$BIN/kubectl" --kubeconfig="$KCFG" get --raw=/readyz >/dev/null 2>&1; then
    echo "restart-controlplane.sh: $WHAT back" >&2
    exit 0
  fi
  sleep 0.1
done
echo "restart-controlplane.sh: kube-apiserver did not become ready; the end of its log:" >&2
tail -30 "$ENV_DIR/kube-apiserver.log" >&2
exit 1
