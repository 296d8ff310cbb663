#!/usr/bin/env bash
# The chaos run of issue 8: crash chaos (SIGKILL, one replica and two with the leader killed),
# control-plane restarts, cloud faults, bad input and a secret-leak scan, against a fresh local
# control plane of its own and the cloud simulator, among foreign pools (made without an owner
# mark, some with the workload's names) and another team's NodePools of the same names.
# Writes target/chaos/report.json.
#
#   tests/chaos/run.sh --quick            # CI: 40 NodePools, >= 6 kills, about 3 minutes
#   tests/chaos/run.sh                    # full: 300 NodePools, >= 20 kills
#   tests/chaos/run.sh --quick --seed 42  # reproduce a run (the seed is printed and reported)
#   --keep                                # leave the control plane up afterwards (for digging)
#
# Environment: NODEPOOL_ENV_DIR (default target/chaos/env), KUBE_PORT (21443), ETCD_PORT
# (16379), CHAOS_TIMEOUT (seconds for the whole driver; default 270 quick, 1800 full).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODE=full
SEED=""
KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    --seed) SEED=${2:?--seed needs a number}; shift ;;
    --seed=*) SEED=${1#--seed=} ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case "$SEED" in
  "") SEED=$(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 1000000 )) ;;
  *[!0-9]*) echo "run.sh: --seed must be a non-negative integer" >&2; exit 2 ;;
esac

export NODEPOOL_ENV_DIR=${NODEPOOL_ENV_DIR:-$ROOT/target/chaos/env}
export KUBE_PORT=${KUBE_PORT:-21443}
export ETCD_PORT=${ETCD_PORT:-16379}
OUT=$ROOT/target/chaos
if [ "$MODE" = quick ]; then TIMEOUT=${CHAOS_TIMEOUT:-270}; else TIMEOUT=${CHAOS_TIMEOUT:-1800}; fi
echo "chaos: mode=$MODE seed=$SEED (reproduce: tests/chaos/run.sh $([ "$MODE" = quick ] && echo '--quick ')--seed $SEED)" >&2

cd "$ROOT"
# Build first (not counted in the driver's time budget; cached after the first run).
cargo build --bins --quiet
TEST_BIN=$(cargo test --test chaos --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("target",{}).get("name")=="chaos" and m.get("executable"): print(m["executable"])' | tail -1)
[ -x "$TEST_BIN" ] || { echo "run.sh: could not build the chaos test target" >&2; exit 1; }

# A fresh control plane of our own (never the developer's target/env).
tests/env/down.sh >/dev/null 2>&1 || true
rm -rf "$OUT/logs" "$OUT/report.json"
mkdir -p "$OUT/logs"
cleanup() {
  if [ -z "$KEEP" ]; then tests/env/down.sh >/dev/null 2>&1 || true
  else echo "chaos: control plane left up: export KUBECONFIG=${KUBECONFIG:-}" >&2; fi
}
trap cleanup EXIT
# up.sh's `kubectl wait ... crd --all` can race a CRD whose status is not written yet; a second
# try (up.sh is idempotent) gets past it.
UP=$(tests/env/up.sh) || UP=$(tests/env/up.sh) || { echo "run.sh: tests/env/up.sh failed twice" >&2; exit 1; }
eval "$UP"

BIN=$(tests/env/build.sh)
status=0
NODEPOOL_CHAOS=1 CHAOS_MODE=$MODE CHAOS_SEED=$SEED CHAOS_OUT=$OUT \
  CHAOS_RESTART="$ROOT/tests/chaos/restart-controlplane.sh" \
  NODEPOOL_TEST_KUBECONFIG=$KUBECONFIG NODEPOOL_KUBECTL=$BIN/kubectl \
  CARGO_BIN_EXE_DIR="$ROOT/target/debug" \
  timeout --kill-after=10 "$TIMEOUT" "$TEST_BIN" --exact chaos_run --nocapture --test-threads 1 || status=$?
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "chaos: the driver did not finish within ${TIMEOUT}s (seed $SEED)" >&2
fi
if [ -f "$OUT/report.json" ]; then
  python3 - "$OUT/report.json" <<'PY' >&2
import json, sys
r = json.load(open(sys.argv[1]))
keys = ["mode", "seed", "passed", "kills_survived", "faults_injected", "bad_inputs_tried",
        "duplicates_found", "orphans_found", "foreign_pools_watched", "foreign_pools_changed_or_deleted",
        "pools_changing_owner", "name_taken_stalls", "secret_hits",
        "longest_convergence_after_last_fault_seconds", "duration_seconds"]
for k in keys:
    print(f"chaos: {k} = {json.dumps(r.get(k))}")
for f in r.get("failures", []):
    print(f"chaos: FAILURE: {f}")
PY
fi
echo "chaos: report in $OUT/report.json; logs in $OUT/logs (seed $SEED, exit $status)" >&2
exit "$status"
