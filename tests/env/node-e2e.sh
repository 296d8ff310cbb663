#!/usr/bin/env bash
# The real-node end-to-end run (tests/real_node.rs): a control plane with the node flags
# (NODEPOOL_NODE=1 up.sh, its own env dir and ports), a real node (node-up.sh), the controller's
# image of this build in Pods of `kubectl apply -k deploy/test`, then of the Helm chart
# (charts/nodepool-controller, helm from tests/tools/build.sh); then the node and the control
# plane torn down, also when the test fails. Prints the bring-up, test and teardown times.
#
# Environment: NODEPOOL_ENV_DIR (default target/node-e2e/env), KUBE_PORT (default 23443),
# ETCD_PORT (default 15779). Needs root (see node-up.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export NODEPOOL_ENV_DIR=${NODEPOOL_ENV_DIR:-$ROOT/target/node-e2e/env}
export KUBE_PORT=${KUBE_PORT:-23443} ETCD_PORT=${ETCD_PORT:-15779} NODEPOOL_NODE=1
now() { date +%s.%N; }
secs() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }
log() { echo "node-e2e: $*" >&2; }

# Builds first, so that the times below are the node's and the test's own.
cargo test --locked --test real_node --no-run >&2
KUBE_BIN=$(tests/env/build.sh)
tests/env/build-node.sh >/dev/null
HELM=$(tests/tools/build.sh helm)

teardown() {
  local status=$? t
  t=$(now)
  tests/env/node-down.sh || status=1
  tests/env/down.sh || status=1
  log "teardown $(secs "$t")s"
  exit $status
}
trap teardown EXIT
t=$(now)
eval "$(tests/env/up.sh)"
tests/env/node-up.sh
log "control plane and node up in $(secs "$t")s"

export NODEPOOL_TEST_KUBECONFIG="$KUBECONFIG" NODEPOOL_KUBECTL="$KUBE_BIN/kubectl" \
  NODEPOOL_REAL_NODE="$NODEPOOL_ENV_DIR" NODEPOOL_HELM="$HELM"
t=$(now)
cargo test --locked --test real_node -- --nocapture
log "real-node test $(secs "$t")s"
