#!/usr/bin/env bash
# Builds the node-side Kubernetes commands (kube-controller-manager,
# kube-scheduler, kubelet) from the Go modules pinned in tests/node (the same
# release as tests/kube), once per version; prints the directory holding them.
# Usage: build-node.sh [command...]   (default: all three)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KEY=$(cat "$ROOT/tests/node/go.mod" "$ROOT/tests/node/go.sum" | sha256sum | cut -c1-16)
OUT="${NODEPOOL_NODE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/kube-node/$K8S_VERSION-$KEY-$(go env GOVERSION)-$(go env GOARCH)}"
CMDS=("$@")
[ ${#CMDS[@]} -gt 0 ] || CMDS=(kube-controller-manager kube-scheduler kubelet)
for cmd in "${CMDS[@]}"; do
  case "$cmd" in
    kube-controller-manager|kube-scheduler|kubelet) ;;
    *) echo "build-node.sh: unknown command $cmd (kube-controller-manager, kube-scheduler, kubelet)" >&2; exit 2 ;;
  esac
done

export GOTOOLCHAIN=local GOFLAGS=-trimpath
stamp() {
  echo "-X $1.gitVersion=$K8S_VERSION -X $1.gitMajor=1 -X $1.gitMinor=$K8S_MINOR" \
       "-X $1.gitTreeState=clean -X $1.buildDate=2026-01-01T00:00:00Z"
}
LDFLAGS="-s -w $(stamp k8s.io/component-base/version) $(stamp k8s.io/client-go/pkg/version)"
mkdir -p "$OUT"
for cmd in "${CMDS[@]}"; do
  [ -x "$OUT/$cmd" ] && continue
  start=$(date +%s)
  echo "building $cmd $K8S_VERSION (first time only; cached in $OUT)" >&2
  # The kubelet needs cgo off too: the upstream release builds it static.
  (cd "$ROOT/tests/node" && CGO_ENABLED=0 go build -tags selinux,notest,grpcnotrace \
     -ldflags "$LDFLAGS" -o "$OUT/$cmd.tmp.$$" "k8s.io/kubernetes/cmd/$cmd" >&2)
  mv "$OUT/$cmd.tmp.$$" "$OUT/$cmd"
  echo "built $cmd in $(( $(date +%s) - start ))s" >&2
done
echo "$OUT"
