#!/usr/bin/env bash
# The README's first command: brings up a real local control plane
# (kube-apiserver + etcd, built once from the pinned Go modules), installs the
# NodePool CRD and applies the sample NodePools of both clouds.
#
#   scripts/demo.sh          bring it up and apply the samples
#   scripts/demo.sh down     stop the local control plane
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [ "${1:-}" = "down" ]; then
  exec tests/env/down.sh
fi

scripts/prereqs.sh
KUBE_BIN=$(tests/env/build.sh)
eval "$(tests/env/up.sh)"
K="$KUBE_BIN/kubectl"

$K create namespace demo --dry-run=client -o yaml | $K apply -f - >/dev/null
$K -n demo apply -f deploy/samples/
echo
$K -n demo get nodepools
echo
echo "The NodePool API is served by a real kube-apiserver. Try:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  $K explain nodepool.spec.huawei.autoscaling"
echo "  $K -n demo get cnp"
echo "Stop it with: scripts/demo.sh down"
