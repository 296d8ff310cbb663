#!/usr/bin/env bash
# Joins a real node to the local control plane of $NODEPOOL_ENV_DIR (started with
# NODEPOOL_NODE=1 tests/env/up.sh): containerd + runc + CNI bridge, the kubelet,
# kube-scheduler and kube-controller-manager (tests/env/kcm.sh) with the controllers a
# Deployment needs. Pods run for real: sandbox image built locally (tests/image/build.sh pause),
# Pod network 10.244.0.0/24 on the bridge nodepool0, the first service IP DNATed to the
# apiserver (no kube-proxy).
#
# Idempotent: when this env dir's node is up and Ready it only says so. One node per machine
# (the kubelet's port 10250 and the host's iptables are shared): a lock in /run names the env
# dir that holds it. Before anything changes the host, node-up records what tests/env/node-down.sh
# must restore (the kernel settings the kubelet and the bridge plugin change, the iptables chains,
# cgroups, network namespaces and links that exist already).
#
# Needs root, cgroups, a free port 10250 and the packages of scripts/prereqs.sh.
# Prints nothing on stdout; the node's name is in $NODEPOOL_ENV_DIR/node/name.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/env/node-lib.sh
. "$(dirname "$0")/node-lib.sh"

start=$(date +%s.%N)
elapsed() { printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)"; }

# --- can this machine run a node? -------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fail "a node needs root (containerd, runc, iptables, mounts)"
NEEDED=(/usr/bin/containerd /usr/bin/ctr /usr/sbin/runc /usr/lib/cni/bridge /usr/lib/cni/host-local
  /usr/lib/cni/loopback /usr/lib/cni/portmap /usr/sbin/iptables /usr/bin/podman)
for f in "${NEEDED[@]}"; do
  [ -x "$f" ] && continue
  log "$f is missing: installing the node's packages with scripts/prereqs.sh"
  "$ROOT/scripts/prereqs.sh" >&2 || fail "scripts/prereqs.sh could not install the node's packages"
  break
done
for f in "${NEEDED[@]}"; do
  [ -x "$f" ] || fail "$f is missing (Debian: containerd, runc, containernetworking-plugins, iptables, podman)"
done
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] \
  || fail "no cgroup hierarchy with a memory controller under /sys/fs/cgroup"
[ -f "$ENV_DIR/admin.kubeconfig" ] && [ "$(cat "$ENV_DIR/node-mode" 2>/dev/null)" = 1 ] \
  || fail "no control plane for a node in $ENV_DIR: run NODEPOOL_NODE=1 tests/env/up.sh with the same NODEPOOL_ENV_DIR"
NODE_IP=$(cat "$ENV_DIR/node-ip")
KUBE_BIN=$("$ROOT/tests/env/build.sh")
KUBECTL=("$KUBE_BIN/kubectl" --kubeconfig="$ENV_DIR/admin.kubeconfig")
"${KUBECTL[@]}" get --raw=/readyz >/dev/null 2>&1 || fail "the control plane of $ENV_DIR does not answer"

node_lock
# From here on a failure tears down what was started and gives the machine's lock back.
cleanup_on_failure() {
  local status=$?
  [ $status -eq 0 ] && return
  log "start failed; tearing the node down again"
  NODEPOOL_NODE_KEEP_LOCK=1 "$ROOT/tests/env/node-down.sh" 9>&- || true
  rm -f "$NODE_LOCK"
  exit $status
}
trap cleanup_on_failure EXIT
# Ready, and schedulable: the node lifecycle controller has lifted the not-ready taint.
node_ready() {
  [ "$("${KUBECTL[@]}" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.spec.taints}' \
       2>/dev/null)" = True/ ]
}
if alive containerd && alive kubelet && alive kube-scheduler && node_ready; then
  "$ROOT/tests/env/kcm.sh" start "$KCM_CONTROLLERS" 9>&-
  log "node $NODE_NAME is up"
  exit 0
fi
# A half-started node of this env dir is torn down first (the lock is ours).
if [ -d "$NODE_DIR" ]; then
  NODEPOOL_NODE_KEEP_LOCK=1 "$ROOT/tests/env/node-down.sh" || fail "could not clear the earlier node in $NODE_DIR"
fi
taken=$(ss -ltnpH "sport = :10250")
[ -z "$taken" ] || fail "port 10250 (the kubelet's) is taken by another process: $taken"



# --- record what the node changes on the host ------------------------------------------------
mkdir -p "$NODE_DIR"/{containerd,kubelet,cni/net.d,cni/ipam,runc,pod-logs,pki,saved}
echo "$NODE_NAME" >"$NODE_DIR/name"
for key in "${NODE_SYSCTLS[@]}"; do
  value=$(sysctl -n "$key" 2>/dev/null) && printf '%s=%s\n' "$key" "$value"
done >"$NODE_DIR/saved/sysctl"
for cmd in iptables ip6tables; do
  for table in filter nat mangle raw; do
    "$cmd" -t "$table" -S 2>/dev/null | awk '$1 == "-N" {print $2}' | sed "s/^/$table /"
  done >"$NODE_DIR/saved/$cmd-chains"
done
# iptables-nft makes its tables on first use; the ones that do not exist yet are removed again.
{ command -v nft >/dev/null && nft list tables 2>/dev/null; } >"$NODE_DIR/saved/nft-tables" || true
ls /run/netns 2>/dev/null >"$NODE_DIR/saved/netns" || true
ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 >"$NODE_DIR/saved/links"
for c in /sys/fs/cgroup/*/; do
  [ -d "$c" ] && find "$c" -mindepth 1 -maxdepth 1 -type d
done >"$NODE_DIR/saved/cgroups" 2>/dev/null || true
for d in /var/lib/cni /var/log/containers /var/log/pods /run/netns; do
  [ -e "$d" ] && echo "$d"
done >"$NODE_DIR/saved/dirs"

# --- containerd --------------------------------------------------------------------------------
PAUSE=$("$ROOT/tests/image/build.sh" pause)
cat >"$NODE_DIR/containerd/config.toml" <<EOF
version = 2
root = "$NODE_DIR/containerd/root"
state = "$NODE_DIR/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  # Writing oom_score_adj is denied in the sandbox; without this every Pod sandbox fails.
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$NODE_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni/net.d"
EOF
cat >"$NODE_DIR/cni/net.d/10-nodepool.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "nodepool-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$NODE_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$NODE_DIR/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
containerd --config "$NODE_DIR/containerd/config.toml" >"$NODE_DIR/containerd.log" 2>&1 9>&- &
echo $! >"$NODE_DIR/containerd.pid"
for _ in $(seq 1 100); do
  ctr_ version >/dev/null 2>&1 && break
  alive containerd || { tail -20 "$NODE_DIR/containerd.log" >&2; fail "containerd exited"; }
  sleep 0.1
done
ctr_ version >/dev/null 2>&1 || fail "containerd did not answer on $CONTAINERD_SOCK"
log "containerd up in $(elapsed)s"
"$ROOT/tests/env/node-load.sh" "$PAUSE"

# --- kubelet -------------------------------------------------------------------------------------
PKI="$ENV_DIR/pki"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/O=system:nodes/CN=system:node:$NODE_NAME" \
  -keyout "$NODE_DIR/pki/kubelet.key" -out "$NODE_DIR/pki/kubelet.csr" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
  >"$NODE_DIR/pki/client.ext"
openssl x509 -req -in "$NODE_DIR/pki/kubelet.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
  -days 3650 -extfile "$NODE_DIR/pki/client.ext" -out "$NODE_DIR/pki/kubelet.crt" 2>/dev/null
chmod 600 "$NODE_DIR/pki/kubelet.key"
SERVER=$("${KUBECTL[@]}" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
KK="$NODE_DIR/kubelet.kubeconfig"
"$KUBE_BIN/kubectl" config set-cluster local --kubeconfig="$KK" --server="$SERVER" \
  --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
"$KUBE_BIN/kubectl" config set-credentials kubelet --kubeconfig="$KK" --embed-certs=true \
  --client-certificate="$NODE_DIR/pki/kubelet.crt" --client-key="$NODE_DIR/pki/kubelet.key" >/dev/null
"$KUBE_BIN/kubectl" config set-context local --kubeconfig="$KK" --cluster=local --user=kubelet >/dev/null
"$KUBE_BIN/kubectl" config use-context local --kubeconfig="$KK" >/dev/null
chmod 600 "$KK"
cat >"$NODE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: Webhook}
containerRuntimeEndpoint: "unix://$CONTAINERD_SOCK"
cgroupDriver: cgroupfs
# The sandbox has cgroup v1 and no systemd; the kubelet's own cgroup tree is not wanted here.
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
readOnlyPort: 0
healthzPort: 0
podLogsDir: "$NODE_DIR/pod-logs"
# No disk-pressure evictions and near-zero memory ones: a shared build machine's disk (often
# nearly full of others' builds) and memory must not evict the test Pods; images imported by hand
# cannot be pulled again, so they are never garbage-collected.
evictionHard: {memory.available: "1Mi", nodefs.available: "0%", nodefs.inodesFree: "0%", imagefs.available: "0%", imagefs.inodesFree: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
resolvConf: /etc/resolv.conf
EOF
"$NODE_BIN/kubelet" --config="$NODE_DIR/kubelet.yaml" --kubeconfig="$KK" \
  --root-dir="$NODE_DIR/kubelet" --cert-dir="$NODE_DIR/pki" \
  --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1 >"$NODE_DIR/kubelet.log" 2>&1 9>&- &
echo $! >"$NODE_DIR/kubelet.pid"

# --- no kube-proxy: the first service IP goes to the apiserver -----------------------------------
KUBE_PORT=${SERVER##*:}
iptables -t nat -N "$NODE_CHAIN"
iptables -t nat -A "$NODE_CHAIN" -d 10.0.0.1/32 -p tcp --dport 443 \
  -j DNAT --to-destination "$NODE_IP:$KUBE_PORT"
iptables -t nat -I PREROUTING -j "$NODE_CHAIN"

# --- scheduler and controller manager -----------------------------------------------------------
"$NODE_BIN/kube-scheduler" --kubeconfig="$ENV_DIR/admin.kubeconfig" --leader-elect=false \
  --secure-port=0 --v=1 >"$NODE_DIR/kube-scheduler.log" 2>&1 9>&- &
echo $! >"$NODE_DIR/kube-scheduler.pid"
"$ROOT/tests/env/kcm.sh" start "$KCM_CONTROLLERS" 9>&-

for _ in $(seq 1 600); do
  node_ready && break
  alive kubelet || { tail -30 "$NODE_DIR/kubelet.log" >&2; fail "the kubelet exited"; }
  sleep 0.1
done
node_ready || { tail -30 "$NODE_DIR/kubelet.log" >&2; fail "node $NODE_NAME did not become Ready in 60 s"; }
alive kube-scheduler || { tail -20 "$NODE_DIR/kube-scheduler.log" >&2; fail "kube-scheduler exited"; }
log "node $NODE_NAME ($NODE_IP) Ready in $(elapsed)s"
