#!/usr/bin/env bash
# Starts a real local control plane (etcd + kube-apiserver, built from the Go
# modules pinned in tests/kube) on loopback with TLS, RBAC and token auth,
# installs crds/, and prints `export KUBECONFIG=...`. Idempotent: when the
# control plane of this checkout is already up, it only prints the export.
#
# Environment: NODEPOOL_ENV_DIR (state dir, default target/env), KUBE_PORT
# (default 16443), ETCD_PORT (default 12379). NODEPOOL_NODE=1 adds what a real
# node (tests/env/node-up.sh) needs: the apiserver on the machine's address as
# well, ServiceAccount admission, in-cluster issuer and SANs, a kubelet client
# certificate and the Node authorizer.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KUBE_PORT=${KUBE_PORT:-16443}
ETCD_PORT=${ETCD_PORT:-12379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
KCFG="$ENV_DIR/admin.kubeconfig"

alive() { [ -f "$ENV_DIR/$1.pid" ] && kill -0 "$(cat "$ENV_DIR/$1.pid")" 2>/dev/null; }
log() { echo "up.sh: $*" >&2; }

BIN=$("$ROOT/tests/env/build.sh")
KUBECTL="$BIN/kubectl --kubeconfig=$KCFG"

# The ServiceAccount issuer's discovery document and JWKS readable without credentials, the
# documented way (what a cloud's OIDC provider, and the simulator's, fetch).
bind_discovery() {
  $KUBECTL apply --server-side --force-conflicts -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: service-account-issuer-discovery-unauthenticated}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:service-account-issuer-discovery}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}
YAML
}

NODE_MODE=${NODEPOOL_NODE:-0}
if alive etcd && alive kube-apiserver && $KUBECTL get --raw=/readyz >/dev/null 2>&1 \
   && [ "$(cat "$ENV_DIR/node-mode" 2>/dev/null || echo 0)" = "$NODE_MODE" ]; then
  $KUBECTL apply --server-side --force-conflicts -f "$ROOT/crds/" >/dev/null
  bind_discovery
  echo "export KUBECONFIG=$KCFG"
  exit 0
fi
# A half-started or dead control plane from an earlier run is cleaned up first.
"$ROOT/tests/env/down.sh" >/dev/null 2>&1 || true

# A control plane whose run was killed before its down.sh (a CI job stopped at its time limit,
# its clone then removed) keeps the ports. Such an orphan is stopped: a process of this cache's
# etcd or kube-apiserver binary whose state directory is gone, or whose PID file there no longer
# names it. Anything else on the ports is left alone and refused.
listener() { ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }
state_dir() { # the --data-dir (etcd) or --cert-dir (kube-apiserver) a process was started with
  tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | sed -n 's/^--data-dir=//p; s/^--cert-dir=//p' | head -1
}
orphan() { # pid: "etcd|kube-apiserver DIR" when it is an orphan of this cache's control plane
  local pid=$1 exe name dir env
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  name=$(basename "$exe")
  { [ "$exe" = "$BIN/etcd" ] || [ "$exe" = "$BIN/kube-apiserver" ]; } || return 1
  dir=$(state_dir "$pid")
  [ -n "$dir" ] || return 1
  env=$(dirname "$dir")   # <env>/etcd or <env>/pki
  if [ -d "$dir" ] && [ "$(cat "$env/$name.pid" 2>/dev/null)" = "$pid" ]; then return 1; fi
  echo "$name $env"
}
for port in "$KUBE_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT"; do
  pid=$(listener "$port")
  [ -n "$pid" ] || continue
  if what=$(orphan "$pid"); then
    log "port $port: stopping an orphaned $what (pid $pid, its run ended without down.sh)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -z "$(listener "$port")" ] && break; sleep 0.1; done
  fi
done
for port in "$KUBE_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT"; do
  if ss -ltnH "sport = :$port" | grep -q .; then
    log "port $port is taken by another process; set KUBE_PORT / ETCD_PORT to free ports"
    exit 1
  fi
done

mkdir -p "$ENV_DIR/pki" "$ENV_DIR/etcd"
PKI="$ENV_DIR/pki"
start=$(date +%s.%N)

# A throw-away CA, a serving certificate for 127.0.0.1/localhost, and the
# service-account signing key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/CN=nodepool-local-ca" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kube-apiserver" \
  -keyout "$PKI/apiserver.key" -out "$PKI/apiserver.csr" 2>/dev/null
SANS=IP:127.0.0.1,DNS:localhost
NODE_ARGS=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --authorization-mode=RBAC
  --service-account-issuer="https://127.0.0.1:$KUBE_PORT" --disable-admission-plugins=ServiceAccount)
if [ "$NODE_MODE" = 1 ]; then
  # Pods reach the apiserver at the machine's address (the first service IP is DNATed there).
  NODE_IP=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  [ -n "$NODE_IP" ] || { log "NODEPOOL_NODE=1: no IPv4 address with a default route"; exit 1; }
  echo "$NODE_IP" >"$ENV_DIR/node-ip"
  SANS="$SANS,IP:$NODE_IP,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" \
    -keyout "$PKI/kubelet-client.key" -out "$PKI/kubelet-client.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$PKI/cli.ext"
  openssl x509 -req -in "$PKI/kubelet-client.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/cli.ext" -out "$PKI/kubelet-client.crt" 2>/dev/null
  NODE_ARGS=(--bind-address=0.0.0.0 --advertise-address="$NODE_IP" --authorization-mode=Node,RBAC
    --service-account-issuer=https://kubernetes.default.svc
    --kubelet-client-certificate="$PKI/kubelet-client.crt" --kubelet-client-key="$PKI/kubelet-client.key"
    --kubelet-preferred-address-types=InternalIP)
fi
echo "$NODE_MODE" >"$ENV_DIR/node-mode"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$SANS" >"$PKI/srv.ext"
openssl x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
  -days 3650 -extfile "$PKI/srv.ext" -out "$PKI/apiserver.crt" 2>/dev/null
openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
ADMIN_TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s,admin,admin,system:masters\n' "$ADMIN_TOKEN" >"$ENV_DIR/tokens.csv"
chmod 600 "$ENV_DIR/tokens.csv" "$PKI"/*.key

"$BIN/etcd" --name=local --data-dir="$ENV_DIR/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="local=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync --log-level=warn >"$ENV_DIR/etcd.log" 2>&1 &
echo $! >"$ENV_DIR/etcd.pid"

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1 && break
  alive etcd || { log "etcd exited; its log:"; tail -20 "$ENV_DIR/etcd.log" >&2; exit 1; }
  sleep 0.1
done

"$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  "${NODE_ARGS[@]}" --secure-port="$KUBE_PORT" \
  --cert-dir="$PKI" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" --token-auth-file="$ENV_DIR/tokens.csv" \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --profiling=false --v=1 >"$ENV_DIR/kube-apiserver.log" 2>&1 &
echo $! >"$ENV_DIR/kube-apiserver.pid"

"$BIN/kubectl" config set-cluster local --kubeconfig="$KCFG" --server="https://127.0.0.1:$KUBE_PORT" \
  --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
"$BIN/kubectl" config set-credentials admin --kubeconfig="$KCFG" --token="$ADMIN_TOKEN" >/dev/null
"$BIN/kubectl" config set-context local --kubeconfig="$KCFG" --cluster=local --user=admin \
  --namespace=default >/dev/null
"$BIN/kubectl" config use-context local --kubeconfig="$KCFG" >/dev/null
chmod 600 "$KCFG"

ready=""
for _ in $(seq 1 900); do
  if $KUBECTL get --raw=/readyz >/dev/null 2>&1; then ready=1; break; fi
  alive kube-apiserver || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  log "kube-apiserver did not become ready; the end of its log:"
  tail -30 "$ENV_DIR/kube-apiserver.log" >&2
  "$ROOT/tests/env/down.sh" >/dev/null 2>&1 || true
  exit 1
fi

$KUBECTL apply --server-side --force-conflicts -f "$ROOT/crds/" >/dev/null
# `kubectl wait` fails at once on a CRD that has no status yet, so poll instead.
established=""
for _ in $(seq 1 600); do
  established=$($KUBECTL get crd nodepools.cloud.nodepool.dev \
    -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null || true)
  [ "$established" = True ] && break
  sleep 0.1
done
if [ "$established" != True ]; then
  log "the NodePool CRD did not become Established"
  exit 1
fi
bind_discovery
log "control plane ready on https://127.0.0.1:$KUBE_PORT in $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")s"
echo "export KUBECONFIG=$KCFG"
