#!/usr/bin/env bash
# Builds the test images with podman from local parts (no registry) and prints the image name.
#   build.sh pause              the sandbox image of the local node (a static Go program,
#                               built once per source and Go version, cached)
#   build.sh controller BINARY  the controller's image of tests/image/Containerfile around BINARY
# Images are tagged localhost/nodepool-pause:test and localhost/nodepool-controller:test.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF="$HERE/containers.conf"
log() { echo "image/build.sh: $*" >&2; }
command -v podman >/dev/null || { log "podman is missing (scripts/prereqs.sh installs it)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

case "${1:-}" in
  pause)
    IMAGE=localhost/nodepool-pause:test
    key=$(cat "$HERE/pause/main.go" "$HERE/pause/go.mod" | sha256sum | cut -c1-16)
    out="${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/pause/$key-$(go env GOVERSION)-$(go env GOARCH)"
    if [ ! -x "$out/pause" ]; then
      mkdir -p "$out"
      (cd "$HERE/pause" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath \
         go build -ldflags "-s -w" -o "$out/pause.tmp.$$" .)
      mv "$out/pause.tmp.$$" "$out/pause"
    fi
    cp "$out/pause" "$HERE/pause/Containerfile" "$TMP/"
    ;;
  controller)
    IMAGE=localhost/nodepool-controller:test
    bin=${2:?usage: build.sh controller BINARY}
    [ -x "$bin" ] || { log "$bin is not an executable"; exit 1; }
    cp "$HERE/Containerfile" "$TMP/"
    cp "$bin" "$TMP/nodepool-controller"
    strip "$TMP/nodepool-controller" 2>/dev/null || true
    root="$TMP/rootfs"
    mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/home/nonroot"
    # The libraries and loader the binary links, at the paths the loader looks for them.
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
    printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
      'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
      'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$root/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$root/etc/group"
    chmod 1777 "$root/tmp"
    chown 65532:65532 "$root/home/nonroot"
    ;;
  *) echo "usage: build.sh pause | build.sh controller BINARY" >&2; exit 2 ;;
esac
old=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
podman build --quiet --pull=never -t "$IMAGE" "$TMP" >/dev/null
# The image this tag named before is left without a name: removed, so builds do not pile up.
new=$(podman image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$old" ] && [ "$old" != "$new" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
echo "$IMAGE"
