#!/usr/bin/env bash
# The performance benchmark of issue 7 (docs/performance.md says what each figure means).
#
#   tests/bench/run.sh           full: storm of 1,000 NodePools, steady state and restart with 10,000
#   tests/bench/run.sh --quick   a few minutes: storm, steady state and restart with 100
#
# Builds the release binaries, starts its own control plane (target/bench/env, ports 20443 and
# 15379), the cloud simulator with a per-account rate limit, latency and provisioning time, and
# the release controller; prints a table and writes target/bench/report.json and
# target/bench/phases.png. Everything it starts is stopped on exit (by PID).
#
# Every input can be changed through the environment (defaults: quick / full):
#   BENCH_POOLS (100 / 1000)             NodePools of the create storm
#   BENCH_STEADY_POOLS (100 / 10000)     NodePools of steady state and restart (filled up
#                                        unmeasured, with the simulator's limits lifted)
#   BENCH_STEADY_SECONDS (60 / 600)      steady-state window
#   BENCH_CLUSTERS (10)                  cloud clusters, half CCE, half ACK
#   BENCH_RATE_PER_MINUTE (300 / 600)    simulator rate limit per account (one account per cloud)
#   BENCH_LATENCY_MS (100)               simulator latency per request
#   BENCH_PROVISION_SECONDS (20 / 60)    simulator: create until the first node
#   BENCH_NODE_SECONDS (5 / 10)          simulator: per node (every pool has one node)
#   BENCH_RESYNC_SECONDS (30 / 300)      controller --resync-seconds in steady state and restart
#   BENCH_STORM_RESYNC_SECONDS (300)     controller --resync-seconds during the storm (the
#                                        controller's default; a short one would add resync reads
#                                        of pools already Ready to the storm)
#   BENCH_POLL_SECONDS (10)              controller --poll-seconds
#   BENCH_CLOUD_RATE (rate/60)           controller --cloud-rate (per account and region)
#   BENCH_CLOUD_BURST (10)               controller --cloud-burst
#   BENCH_CONCURRENCY (16)               controller --concurrency
#   BENCH_SCOPE (namespace)              namespace: controller --namespace bench; cluster: all
#   BENCH_TIMEOUT (600 / 1800)           seconds any wait may take before the run fails
#   BENCH_SKIP_BUILD=1                   use the release binaries as they are
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/tests/bench"
cd "$ROOT"

MODE=full
case "${1:-}" in
  --quick) MODE=quick ;;
  "") ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$HERE/run.sh"; exit 0 ;;
  *) echo "usage: tests/bench/run.sh [--quick]" >&2; exit 2 ;;
esac
if [ "$MODE" = quick ]; then
  d_pools=100 d_steady=100 d_window=60 d_rate=300 d_prov=20 d_node=5 d_resync=30 d_timeout=600
else
  d_pools=1000 d_steady=10000 d_window=600 d_rate=600 d_prov=60 d_node=10 d_resync=300 d_timeout=1800
fi
POOLS=${BENCH_POOLS:-$d_pools}
STEADY_POOLS=${BENCH_STEADY_POOLS:-$d_steady}
STEADY_SECONDS=${BENCH_STEADY_SECONDS:-$d_window}
CLUSTERS=${BENCH_CLUSTERS:-10}
RATE=${BENCH_RATE_PER_MINUTE:-$d_rate}
LATENCY=${BENCH_LATENCY_MS:-100}
PROVISION=${BENCH_PROVISION_SECONDS:-$d_prov}
NODE=${BENCH_NODE_SECONDS:-$d_node}
RESYNC=${BENCH_RESYNC_SECONDS:-$d_resync}
STORM_RESYNC=${BENCH_STORM_RESYNC_SECONDS:-300}
POLL=${BENCH_POLL_SECONDS:-10}
CLOUD_RATE=${BENCH_CLOUD_RATE:-$(python3 -c "print($RATE/60)")}
CLOUD_BURST=${BENCH_CLOUD_BURST:-10}
CONCURRENCY=${BENCH_CONCURRENCY:-16}
SCOPE=${BENCH_SCOPE:-namespace}
TIMEOUT=${BENCH_TIMEOUT:-$d_timeout}

BENCH_DIR="$ROOT/target/bench"
export NODEPOOL_ENV_DIR="$BENCH_DIR/env" KUBE_PORT=${BENCH_KUBE_PORT:-20443} ETCD_PORT=${BENCH_ETCD_PORT:-15379}
SIM_PORT=${BENCH_SIM_PORT:-18280}
METRICS_PORT=${BENCH_METRICS_PORT:-18281}
log() { echo "run.sh: $*" >&2; }

stop_pidfile() {
  local f="$BENCH_DIR/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pidfile controller
  stop_pidfile cloudsim
  "$ROOT/tests/env/down.sh" >/dev/null 2>&1 || true
  rm -rf "$NODEPOOL_ENV_DIR"
  if [ "$rc" -ne 0 ]; then
    log "failed (exit $rc); logs are in $BENCH_DIR/ (controller*.log, cloudsim.log)"
  fi
  exit "$rc"
}

mkdir -p "$BENCH_DIR"
# Leftovers of an earlier run of this script (its own PID files only).
stop_pidfile controller
stop_pidfile cloudsim
for port in "$SIM_PORT" "$METRICS_PORT"; do
  if ss -ltnH "sport = :$port" | grep -q .; then
    log "port $port is taken; set BENCH_SIM_PORT / BENCH_METRICS_PORT to free ports"
    exit 1
  fi
done
rm -f "$BENCH_DIR"/report.json "$BENCH_DIR"/phases.jsonl "$BENCH_DIR"/phases.png \
  "$BENCH_DIR"/controller*.log "$BENCH_DIR"/cloudsim.log
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  log "building the release binaries"
  cargo build --release --bins --quiet
fi
CONTROLLER="$ROOT/target/release/nodepool-controller"
CLOUDSIM="$ROOT/target/release/nodepool-cloudsim"
[ -x "$CONTROLLER" ] && [ -x "$CLOUDSIM" ] || { log "release binaries missing"; exit 1; }
VENV=$("$HERE/venv.sh")
KUBE_BIN=$("$ROOT/tests/env/build.sh")

log "starting the control plane in $NODEPOOL_ENV_DIR (port $KUBE_PORT)"
eval "$("$ROOT/tests/env/up.sh")"
[ -n "${KUBECONFIG:-}" ] || { log "up.sh printed no KUBECONFIG"; exit 1; }

PY=(python3 "$HERE/bench.py" --dir "$BENCH_DIR" --pools "$POOLS" --steady-pools "$STEADY_POOLS"
  --steady-seconds "$STEADY_SECONDS" --clusters "$CLUSTERS" --rate-per-minute "$RATE"
  --latency-ms "$LATENCY" --provision-seconds "$PROVISION" --node-seconds "$NODE"
  --resync-seconds "$RESYNC" --storm-resync-seconds "$STORM_RESYNC" --poll-seconds "$POLL" --cloud-rate "$CLOUD_RATE"
  --cloud-burst "$CLOUD_BURST" --concurrency "$CONCURRENCY" --scope "$SCOPE" --timeout "$TIMEOUT")

"${PY[@]}" config >"$BENCH_DIR/cloudsim.yaml"
log "starting the cloud simulator on 127.0.0.1:$SIM_PORT ($RATE requests/min per account, ${LATENCY} ms, provisioning ${PROVISION}+${NODE}s)"
"$CLOUDSIM" --listen "127.0.0.1:$SIM_PORT" --config "$BENCH_DIR/cloudsim.yaml" \
  >"$BENCH_DIR/cloudsim.log" 2>&1 &
echo $! >"$BENCH_DIR/cloudsim.pid"
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$SIM_PORT/_sim/health" >/dev/null 2>&1 && break
  kill -0 "$(cat "$BENCH_DIR/cloudsim.pid")" 2>/dev/null || { log "the simulator exited:"; tail -20 "$BENCH_DIR/cloudsim.log" >&2; exit 1; }
  sleep 0.1
done

log "running the scenarios ($MODE)"
"${PY[@]}" run --kubectl "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG" --controller "$CONTROLLER" \
  --sim-url "http://127.0.0.1:$SIM_PORT" --metrics-port "$METRICS_PORT" | tee "$BENCH_DIR/table.txt"

"$VENV/bin/python" "$HERE/plot.py" "$BENCH_DIR/phases.jsonl" "$BENCH_DIR/report.json" "$BENCH_DIR/phases.png"
log "wrote $BENCH_DIR/report.json, $BENCH_DIR/phases.png and $BENCH_DIR/table.txt"
