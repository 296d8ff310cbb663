#!/usr/bin/env bash
# Builds kube-apiserver, etcd and a matching kubectl from the Go modules pinned
# in tests/kube, once per version; prints the directory holding them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=$(kube_bin_dir)
if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/etcd" ] && [ -x "$OUT/kubectl" ]; then
  echo "$OUT"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d "$OUT.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
stamp() {
  echo "-X $1.gitVersion=$K8S_VERSION -X $1.gitMajor=1 -X $1.gitMinor=$K8S_MINOR" \
       "-X $1.gitTreeState=clean -X $1.buildDate=2026-01-01T00:00:00Z"
}
LDFLAGS="-s -w $(stamp k8s.io/component-base/version) $(stamp k8s.io/client-go/pkg/version)"
cd "$ROOT/tests/kube"
start=$(date +%s)
echo "building etcd, kube-apiserver and kubectl $K8S_VERSION (first time only; cached in $OUT)" >&2
go build -ldflags "-s -w" -o "$TMP/etcd" go.etcd.io/etcd/server/v3 >&2
go build -tags selinux,notest,grpcnotrace -ldflags "$LDFLAGS" -o "$TMP/kube-apiserver" \
  k8s.io/kubernetes/cmd/kube-apiserver >&2
go build -tags notest -ldflags "$LDFLAGS" -o "$TMP/kubectl" k8s.io/kubernetes/cmd/kubectl >&2
"$TMP/kube-apiserver" --version >&2
"$TMP/etcd" --version | head -1 >&2
echo "built in $(( $(date +%s) - start ))s" >&2
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "$OUT"
