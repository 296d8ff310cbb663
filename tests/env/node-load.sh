#!/usr/bin/env bash
# Copies images from podman's store into the containerd of the local node of $NODEPOOL_ENV_DIR
# (tests/env/node-up.sh), where the kubelet finds them without a registry.
# Usage: node-load.sh IMAGE...
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/env/node-lib.sh
. "$(dirname "$0")/node-lib.sh"
export CONTAINERS_CONF="$ROOT/tests/image/containers.conf"
[ $# -gt 0 ] || fail "usage: node-load.sh IMAGE..."
alive containerd || fail "no node in $NODE_DIR (run tests/env/node-up.sh)"
for image in "$@"; do
  podman save --format docker-archive "$image" | ctr_ images import - >/dev/null \
    || fail "could not import $image"
  # Imported images are referenced by name; a name the kubelet cannot resolve is an error here.
  images=$(ctr_ images ls -q)
  grep -qxF "$image" <<<"$images" || fail "$image is not in containerd after the import"
done
log "imported $*"
