#!/usr/bin/env bash
# Runs every test of the project: lints, unit tests, the Helm chart, alert
# rule and release workflow checks, the SDK field-coverage check, the
# integration tests against a real local control plane (kube-apiserver +
# etcd built from the pinned Go modules, cached by version), the huaweicloud
# Terraform provider against the simulator, the real-node run (the
# controller's image in Pods on a local kubelet), and the quick chaos run
# (seed 7; CHAOS_SEED=N for another).
# This is the README's second command, and exactly what CI runs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
start=$(date +%s)
step() { echo; echo "==> $* ($(( $(date +%s) - start ))s)"; }

step "prerequisites"
scripts/prereqs.sh
tests/env/check-prereqs.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo clippy --test chaos --locked -- -D warnings
cargo clippy --test real_node --locked -- -D warnings

step "local control plane binaries"
KUBE_BIN=$(tests/env/build.sh)
tests/env/check-staging.sh
tests/env/check-orphans.sh
NODEPOOL_KSTATUS=$(tests/env/build-kstatus.sh)
export NODEPOOL_KSTATUS
# The Huawei Cloud Go SDK client that drives the simulator (tests/sim_gosdk.rs).
NODEPOOL_GOSDK=$(tests/gosdk/build.sh)
export NODEPOOL_GOSDK

step "chart, alerts and release workflow (helm, promtool, actionlint)"
NODEPOOL_HELM=$(tests/tools/build.sh helm)
export NODEPOOL_HELM
tests/tools/lint.sh

step "official cloud SDKs (field coverage)"
VENV=$(tests/sdk/venv.sh)
export NODEPOOL_SDK_PYTHON="$VENV/bin/python"
"$VENV/bin/python" tests/sdk/check_fields.py crds/nodepool.yaml
"$VENV/bin/python" tests/sdk/check_immutable.py crds/nodepool.yaml

step "local control plane"
export NODEPOOL_ENV_DIR="$ROOT/target/env-test"
export KUBE_PORT=${KUBE_PORT:-17443} ETCD_PORT=${ETCD_PORT:-13379}
# Runs on every exit. Written with `if` rather than `a && b`: under `set -e` a
# failing last command of an && list (say, kill of a job that already ended)
# would replace the run's own exit status.
cleanup() {
  local status=$?
  if [ -n "${tf_pid:-}" ]; then kill "$tf_pid" 2>/dev/null || true; fi
  if [ "$status" -ne 0 ] && [ -f "$NODEPOOL_ENV_DIR/kube-apiserver.log" ]; then
    echo "--- kube-apiserver log (tail)"
    tail -20 "$NODEPOOL_ENV_DIR/kube-apiserver.log" || true
  fi
  tests/env/down.sh || true
  exit "$status"
}
trap cleanup EXIT
eval "$(tests/env/up.sh)"
export NODEPOOL_TEST_KUBECONFIG="$KUBECONFIG" NODEPOOL_KUBECTL="$KUBE_BIN/kubectl"

step "Terraform against the simulator (huaweicloud provider, beside cargo test)"
# Most of its ~5 minutes are the provider's own fixed waits, so it runs while cargo test does;
# so does the check of the CLI's OpenTofu fallback (a build on a machine that never made one).
tests/terraform/build.sh huaweicloud >/dev/null
NODEPOOL_TERRAFORM=$(tests/terraform/cli.sh)
export NODEPOOL_TERRAFORM
mkdir -p target/terraform
{ tests/terraform/check-cli.sh && tests/terraform/run.sh huaweicloud; } >target/terraform/lifecycle.log 2>&1 &
tf_pid=$!

step "cargo test"
cargo test --all-targets --locked

step "Terraform against the simulator: result"
wait "$tf_pid" || { tail -40 target/terraform/lifecycle.log; exit 1; }
grep '^check-cli:' target/terraform/lifecycle.log
tail -1 target/terraform/lifecycle.log

step "real node (the image in Pods: install, leader handover, rollout restart, PDB, metrics)"
# Its own control plane (target/node-e2e/env, ports 23443/15779) and the machine's one node.
tests/env/node-e2e.sh

step "chaos run (quick)"
# Its own control plane (target/chaos/env, ports 21443/16379): the test one is stopped first.
tests/env/down.sh
NODEPOOL_ENV_DIR="$ROOT/target/chaos/env" KUBE_PORT=21443 ETCD_PORT=16379 \
  tests/chaos/run.sh --quick --seed "${CHAOS_SEED:-7}"

step "done"
echo "all tests passed in $(( $(date +%s) - start ))s"
