#!/usr/bin/env bash
# Verifies that tests/kube/go.mod and tests/node/go.mod map every staging module of the pinned
# Kubernetes release to its published tag (a new staging module otherwise
# shows up as a cryptic "unknown revision v0.0.0").
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT/tests/kube"
GOMOD=$(GOTOOLCHAIN=local go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
want=$(sed -n 's|^[[:space:]]*\(k8s\.io/[a-z0-9.-]*\) => \./staging/.*|\1|p' "$GOMOD" | sort)
for mod in kube node; do
  have=$(sed -n 's|^[[:space:]]*\(k8s\.io/[a-z0-9.-]*\) => k8s\.io/[a-z0-9.-]* v0\.'"$K8S_MINOR"'\.[0-9]*$|\1|p' "$ROOT/tests/$mod/go.mod" | sort)
  if [ "$want" != "$have" ]; then
    echo "tests/$mod/go.mod: staging replaces differ from k8s.io/kubernetes $K8S_VERSION:" >&2
    diff <(echo "$want") <(echo "$have") >&2 || true
    exit 1
  fi
done
