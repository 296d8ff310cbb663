#!/usr/bin/env bash
# Lints and unit-tests what ships next to the binary, with the pinned tools (built once by
# tests/tools/build.sh): the Helm chart (helm lint, also --strict, and helm template, with the
# default values and with ci/all-toggles-values.yaml; helm package, as the release does), the
# alerting rules (promtool check rules and promtool test rules) and the release workflow
# (actionlint). No control plane needed; tests/chart.rs and tests/monitoring.rs check the rest.
# Part of scripts/test.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
HELM=$(tests/tools/build.sh helm)
PROMTOOL=$(tests/tools/build.sh promtool)
ACTIONLINT=$(tests/tools/build.sh actionlint)
# helm keeps its caches and configuration in target/, never in $HOME.
export HELM_CACHE_HOME="$ROOT/target/helm-home/cache" HELM_CONFIG_HOME="$ROOT/target/helm-home/config" \
  HELM_DATA_HOME="$ROOT/target/helm-home/data"
# The chart's files/ are links to crds/ and deploy/monitoring/: helm says so on every call.
helm() { "$HELM" "$@" 2> >(grep -v 'found symbolic link in path' >&2); }
CHART=charts/nodepool-controller
TOGGLES=$CHART/ci/all-toggles-values.yaml

helm lint "$CHART"
helm lint --strict "$CHART"
helm lint --strict "$CHART" -f "$TOGGLES"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
helm template nodepool-controller "$CHART" --namespace nodepool-system > "$out/default.yaml"
helm template nodepool-controller "$CHART" --namespace nodepool-system -f "$TOGGLES" > "$out/toggles.yaml"
echo "helm template: $(grep -c '^kind:' "$out/default.yaml") objects (defaults), $(grep -c '^kind:' "$out/toggles.yaml") (every toggle)"
# What the release workflow pushes: the package holds the linked files themselves.
helm package "$CHART" --destination "$out" >/dev/null
# The listing is read whole first: `grep -q` stopping early would make tar fail on a closed pipe.
listing=$(tar -tzf "$out"/nodepool-controller-*.tgz)
for f in files/nodepool-crd.yaml files/cloudaccount-crd.yaml files/alerts.yaml files/dashboard.json values.schema.json; do
  grep -qx "nodepool-controller/$f" <<<"$listing" \
    || { echo "helm package: $f missing from the chart archive" >&2; exit 1; }
done
echo "helm package: $(basename "$out"/nodepool-controller-*.tgz) ok"

"$PROMTOOL" check rules deploy/monitoring/alerts.yaml
"$PROMTOOL" test rules deploy/monitoring/alerts.test.yaml

# shellcheck is not part of the pinned tools: off, so the result does not depend on the machine.
"$ACTIONLINT" -shellcheck= -pyflakes= .github/workflows/*.yml
echo "actionlint: .github/workflows ok"
