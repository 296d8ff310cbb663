#!/usr/bin/env bash
# Side by side with Terraform (docs/performance.md, "Against Terraform"): the same N node pools
# of both clouds made once with `terraform apply` (huaweicloud and alicloud providers, one state,
# default -parallelism=10 and a tuned one) and once with NodePools through the controller, against
# the same simulator limits; then what a change to one pool costs with each.
#
#   tests/bench/vs-terraform.sh --quick   # 10 pools, parallelism 10 (a few minutes once the providers are built)
#   tests/bench/vs-terraform.sh           # full: 50 and 200 pools, parallelism 10 and 50 (about 1 h)
#
# Inputs (environment; defaults quick / full):
#   VS_TF_SIZES (10 / 50,200)            pools per run, split over both clouds like run.sh
#   VS_TF_PARALLELISM (10 / 10,50)       terraform -parallelism values
#   VS_TF_CLOUDS (huawei,alibaba)        clouds to include
#   BENCH_RATE_PER_MINUTE (600)          simulator rate limit per account (one per cloud)
#   BENCH_LATENCY_MS (100)               simulator latency per request
#   BENCH_PROVISION_SECONDS (20 / 60)    simulator: create until the first node
#   BENCH_NODE_SECONDS (5 / 10)          simulator: per node (every pool has one node)
#   BENCH_CLUSTERS (10)                  clusters, half CCE, half ACK
#   BENCH_KUBE_PORT / BENCH_ETCD_PORT (20643 / 15579), BENCH_METRICS_PORT (18291)
#   BENCH_SKIP_BUILD=1                   use the binaries as they are
#   BENCH_BIN_DIR (target/release)       where nodepool-controller and nodepool-cloudsim are
#   VS_TF_KUBECONFIG                     use this running control plane instead of starting one
# The Terraform CLI is tests/terraform/cli.sh's (NODEPOOL_TERRAFORM, terraform on PATH, or OpenTofu).
# The providers are the cached builds of tests/terraform/build.sh (built on first use: the
# alicloud one takes ~9 min and ~5 GB). Writes target/bench/report-terraform.json,
# target/bench/table-terraform.txt and target/bench/vs-terraform.png.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/tests/bench"
cd "$ROOT"
MODE=full
case "${1:-}" in
  --quick) MODE=quick ;;
  "") ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: tests/bench/vs-terraform.sh [--quick]" >&2; exit 2 ;;
esac
if [ "$MODE" = quick ]; then
  d_sizes=10 d_par=10 d_prov=20 d_node=5
else
  d_sizes=50,200 d_par=10,50 d_prov=60 d_node=10
fi
CLOUDS=${VS_TF_CLOUDS:-huawei,alibaba}
BENCH_DIR="$ROOT/target/bench"
export NODEPOOL_ENV_DIR="$BENCH_DIR/env-terraform" KUBE_PORT=${BENCH_KUBE_PORT:-20643} ETCD_PORT=${BENCH_ETCD_PORT:-15579}
log() { echo "vs-terraform.sh: $*" >&2; }
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  "$ROOT/tests/env/down.sh" >/dev/null 2>&1 || true
  rm -rf "$NODEPOOL_ENV_DIR"
  [ "$rc" -eq 0 ] || log "failed (exit $rc); logs are in $BENCH_DIR/ (tf-*/terraform.log, controller-vs-tf-*.log, cloudsim-vs-terraform.log)"
  exit "$rc"
}
mkdir -p "$BENCH_DIR"
if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  log "building the release binaries"
  cargo build --release --bins --locked --quiet
fi
BIN_DIR=${BENCH_BIN_DIR:-$ROOT/target/release}
providers=()
[[ ",$CLOUDS," == *,huawei,* ]] && providers+=(huaweicloud)
[[ ",$CLOUDS," == *,alibaba,* ]] && providers+=(alicloud)
"$ROOT/tests/terraform/cliconfig.sh" "$BENCH_DIR/terraform.rc" "${providers[@]}" >/dev/null
. "$ROOT/tests/terraform/versions.sh"
export HUAWEICLOUD_VERSION ALICLOUD_VERSION
VENV=$("$HERE/venv.sh")
NODEPOOL_TERRAFORM=$("$ROOT/tests/terraform/cli.sh")
export NODEPOOL_TERRAFORM
KUBE_BIN=$("$ROOT/tests/env/build.sh")
if [ -n "${VS_TF_KUBECONFIG:-}" ]; then
  export KUBECONFIG=$VS_TF_KUBECONFIG
else
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  log "starting the control plane in $NODEPOOL_ENV_DIR (port $KUBE_PORT)"
  eval "$("$ROOT/tests/env/up.sh")"
fi
python3 "$HERE/vs_terraform.py" --dir "$BENCH_DIR" --kubectl "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG" \
  --controller "$BIN_DIR/nodepool-controller" --sim "$BIN_DIR/nodepool-cloudsim" \
  --cli-config "$BENCH_DIR/terraform.rc" --sizes "${VS_TF_SIZES:-$d_sizes}" \
  --parallelism "${VS_TF_PARALLELISM:-$d_par}" --clouds "$CLOUDS" --clusters "${BENCH_CLUSTERS:-10}" \
  --rate-per-minute "${BENCH_RATE_PER_MINUTE:-600}" --latency-ms "${BENCH_LATENCY_MS:-100}" \
  --provision-seconds "${BENCH_PROVISION_SECONDS:-$d_prov}" --node-seconds "${BENCH_NODE_SECONDS:-$d_node}" \
  --metrics-port "${BENCH_METRICS_PORT:-18291}" | tee "$BENCH_DIR/table-terraform.txt"
"$VENV/bin/python" "$HERE/plot_terraform.py" "$BENCH_DIR/report-terraform.json" "$BENCH_DIR/vs-terraform.png"
log "wrote $BENCH_DIR/report-terraform.json, $BENCH_DIR/table-terraform.txt and $BENCH_DIR/vs-terraform.png"
