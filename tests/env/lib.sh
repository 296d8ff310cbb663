# Shared settings for the local control plane scripts. Sourced, not run.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
K8S_VERSION=v1.36.3
K8S_MINOR=36
# Binaries are cached outside the repository, keyed by the pinned module graph
# and the Go toolchain, so a second run costs nothing.
kube_bin_dir() {
  local key
  key=$(cat "$ROOT/tests/kube/go.mod" "$ROOT/tests/kube/go.sum" | sha256sum | cut -c1-16)
  echo "${NODEPOOL_KUBE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/kube/$K8S_VERSION-$key-$(go env GOVERSION)-$(go env GOARCH)}"
}
# Where a running control plane keeps its state, certificates, logs and PIDs.
ENV_DIR=${NODEPOOL_ENV_DIR:-$ROOT/target/env}
