# Shared settings of the real-node scripts (node-up.sh, node-down.sh, node-load.sh). Sourced
# after lib.sh, not run.
# shellcheck shell=bash

NODE_DIR="$ENV_DIR/node"
NODE_NAME=nodepool-node
NODE_BRIDGE=nodepool0
NODE_CHAIN=NODEPOOL-NODE
POD_CIDR=10.244.0.0/24
CONTAINERD_SOCK="$NODE_DIR/containerd/containerd.sock"
# One node per machine: this file names the env dir whose node holds the machine.
NODE_LOCK=/run/nodepool-controller-node.lock
# What kube-controller-manager runs: the node lifecycle (it lifts the not-ready taint the kubelet
# registers with), and for a Deployment with a Service and a PodDisruptionBudget: the CA bundle
# for the Pods' projected tokens (the kubelet requests the tokens themselves), ServiceAccounts in
# new namespaces, rollouts, endpoints for the service proxy, the budget's status for evictions,
# and cleanup of replaced ReplicaSets and deleted namespaces.
KCM_CONTROLLERS=nodelifecycle,serviceaccount,root-ca-cert-publisher,deployment,replicaset,endpoint,endpointslice,disruption,garbagecollector,namespace
# Kernel settings the kubelet (and the bridge plugin's gateway) change at start; node-up.sh
# records them and node-down.sh puts them back.
NODE_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward
  net.ipv4.conf.all.forwarding net.ipv6.conf.all.forwarding)
NODE_BIN=$("$ROOT/tests/env/build-node.sh")

log() { echo "$(basename "$0"): $*" >&2; }
fail() { log "$*"; exit 1; }
alive() { [ -f "$NODE_DIR/$1.pid" ] && kill -0 "$(cat "$NODE_DIR/$1.pid")" 2>/dev/null; }
ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# Takes the machine's node lock for this env dir (and serialises node-up and node-down).
node_lock() {
  exec 9>"$NODE_LOCK.flock"
  flock -w 300 9 || fail "another node-up.sh or node-down.sh is still running"
  if [ -f "$NODE_LOCK" ]; then
    local owner
    owner=$(cat "$NODE_LOCK")
    [ "$owner" = "$NODE_DIR" ] || fail "the machine's node is held by $owner (one node per machine: port 10250 and iptables are shared); stop it with NODEPOOL_ENV_DIR=$(dirname "$owner") tests/env/node-down.sh"
  else
    echo "$NODE_DIR" >"$NODE_LOCK"
  fi
}
