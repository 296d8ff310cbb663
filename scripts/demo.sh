#!/usr/bin/env bash
# The README's first command: a real local control plane (kube-apiserver + etcd,
# built once from the pinned Go modules), the cloud simulator speaking the CCE
# and ACK APIs, the controller, and the sample NodePools of both clouds, shown
# live as they move through their phases to Ready.
#
#   scripts/demo.sh          run the demo (leaves everything running to explore)
#   scripts/demo.sh down     stop the controller, the simulator and the control plane
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. tests/env/lib.sh
DEMO_DIR="$ENV_DIR/demo"
SIM_PORT=${SIM_PORT:-18080}

stop_pid() {
  local f="$DEMO_DIR/$1.pid"
  [ -f "$f" ] || return 0
  kill "$(cat "$f")" 2>/dev/null || true
  rm -f "$f"
}

if [ "${1:-}" = "down" ]; then
  stop_pid controller
  stop_pid cloudsim
  # The simulated clouds go with the control plane, so the next demo starts clean.
  rm -f "$DEMO_DIR/cloudsim-state.json"
  exec tests/env/down.sh
fi

scripts/prereqs.sh
echo "==> building (first run: a few minutes)"
cargo build --quiet --bins
KUBE_BIN=$(tests/env/build.sh)
eval "$(tests/env/up.sh)"
K="$KUBE_BIN/kubectl"
mkdir -p "$DEMO_DIR"
stop_pid controller
stop_pid cloudsim

# The simulator holds the accounts and clusters the samples point at.
HW_AK=DEMOHUAWEIACCESSKEY01 HW_SK=demo-huawei-secret-key
ALI_AK=LTAIdemoAlibabaKey01 ALI_SK=demo-alibaba-secret
echo "==> cloud simulator on 127.0.0.1:$SIM_PORT"
target/debug/nodepool-cloudsim --listen "127.0.0.1:$SIM_PORT" \
  --huawei-account "$HW_AK:$HW_SK" --alibaba-account "$ALI_AK:$ALI_SK" \
  --huawei-cluster 0a1b2c3d4e5f60718293a4b5c6d7e8f9/7e2f3a4b-5c6d-11ee-8c90-0255ac100b03 \
  --alibaba-cluster c61da77e8bfbc4c4c999af2b51b65f3a7 --alibaba-cluster c8f2d1e0b7a64c3e9d5f1a2b3c4d5e6f7 \
  --provision-seconds 6 --node-seconds 1.5 --delete-seconds 4 --update-seconds 3 \
  --state "$DEMO_DIR/cloudsim-state.json" >"$DEMO_DIR/cloudsim.log" 2>&1 &
echo $! >"$DEMO_DIR/cloudsim.pid"

echo "==> controller"
NODEPOOL_HUAWEI_ENDPOINT="http://127.0.0.1:$SIM_PORT" NODEPOOL_ALIBABA_ENDPOINT="http://127.0.0.1:$SIM_PORT" \
  target/debug/nodepool-controller run --namespace demo --poll-seconds 1 --http-addr 127.0.0.1:18081 \
  >"$DEMO_DIR/controller.log" 2>&1 &
echo $! >"$DEMO_DIR/controller.pid"

echo "==> sample NodePools of both clouds (deploy/samples/) in namespace demo"
$K create namespace demo --dry-run=client -o yaml | $K apply -f - >/dev/null
# Credentials Secrets carry the label cloud.nodepool.dev/credentials=true: the controller reads no other.
$K -n demo create secret generic huawei-credentials --from-literal=accessKey=$HW_AK \
  --from-literal=secretKey=$HW_SK --dry-run=client -o yaml \
  | $K label --local -f - cloud.nodepool.dev/credentials=true -o yaml | $K apply -f - >/dev/null
$K -n demo create secret generic alibaba-credentials --from-literal=accessKeyId=$ALI_AK \
  --from-literal=accessKeySecret=$ALI_SK --dry-run=client -o yaml \
  | $K label --local -f - cloud.nodepool.dev/credentials=true -o yaml | $K apply -f - >/dev/null
for f in deploy/samples/*.yaml; do
  [ "$(basename "$f")" = credentials.yaml ] && continue
  $K -n demo apply -f "$f" >/dev/null
done

total=$($K -n demo get nodepools --no-headers | wc -l)
deadline=$(( $(date +%s) + 180 ))
while :; do
  table=$($K -n demo get nodepools 2>&1)
  ready=$($K -n demo get nodepools -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
  if [ -t 1 ]; then printf '\033[2J\033[H'; fi
  echo "NodePools in namespace demo ($ready of $total Ready)"
  echo "$table"
  echo
  [ "$ready" -eq "$total" ] && break
  if [ "$(date +%s)" -gt "$deadline" ]; then
    echo "not all NodePools became Ready in 3 minutes; see $DEMO_DIR/controller.log" >&2
    exit 1
  fi
  sleep 1
done
echo "All $total sample NodePools are Ready: created at the (simulated) clouds, IDs recorded, phases mirrored."
echo
echo "Explore:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  $K -n demo describe nodepool web-workers        # conditions and events"
echo "  $K explain nodepool.spec.alibaba.scalingGroup"
echo "  $K -n demo delete nodepool batch                 # deleted at the cloud, then released"
echo "  curl -s 127.0.0.1:18081/metrics | grep nodepool_"
echo "Stop everything: scripts/demo.sh down"
