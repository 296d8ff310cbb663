#!/usr/bin/env bash
# Terraform against the cloud simulator: the real providers (built from the Go module proxy,
# cached by tests/terraform/build.sh) apply, update and destroy node pools, and every step is
# asserted at the simulator's admin API.
#
#   tests/terraform/run.sh huaweicloud   # in scripts/test.sh (~5 min, most of it the provider's own waits)
#   tests/terraform/run.sh alicloud      # on demand (its first build takes ~9 min and ~5 GB)
#
# Needs no control plane. Logs, state and the generated CLI configuration are in
# target/terraform/<provider>/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
provider=${1:?usage: tests/terraform/run.sh huaweicloud|alicloud}
# The CLI: $NODEPOOL_TERRAFORM, else terraform on PATH, else a cached OpenTofu build (cli.sh).
NODEPOOL_TERRAFORM=$("$ROOT/tests/terraform/cli.sh")
export NODEPOOL_TERRAFORM
cd "$ROOT"
cargo build --locked --quiet --bin nodepool-cloudsim
"$ROOT/tests/terraform/build.sh" "$provider" >/dev/null
dir="$ROOT/target/terraform/$provider"
rm -rf "$dir"
exec python3 "$ROOT/tests/terraform/lifecycle.py" --provider "$provider" \
  --sim "$ROOT/target/debug/nodepool-cloudsim" --dir "$dir"
