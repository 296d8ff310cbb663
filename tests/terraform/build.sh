#!/usr/bin/env bash
# Builds a Terraform provider (huaweicloud or alicloud) from the Go module
# proxy once per provider version and Go toolchain; prints the directory that
# holds terraform-provider-<name>, ready for a CLI `dev_overrides` entry.
#
#   tests/terraform/build.sh huaweicloud   # ~3 min, ~1.4 GB the first time
#   tests/terraform/build.sh alicloud      # ~9 min, ~5 GB peak the first time
#
# The proxy refuses version listings, so versions are exact. The huaweicloud
# module's checksum is not in the public checksum database: GONOSUMDB names
# that one module, every other module is still checked against sum.golang.org.
set -euo pipefail
. "$(dirname "$0")/versions.sh"
name=${1:?usage: build.sh huaweicloud|alicloud}
case "$name" in
  huaweicloud) module=$HUAWEICLOUD_MODULE version=$HUAWEICLOUD_VERSION ;;
  alicloud) module=$ALICLOUD_MODULE version=$ALICLOUD_VERSION ;;
  *) echo "unknown provider: $name" >&2; exit 2 ;;
esac
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/terraform-provider-$name/$version-$(go env GOVERSION)-$(go env GOARCH)"
BIN="$DIR/terraform-provider-$name"
if [ ! -x "$BIN" ]; then
  mkdir -p "$DIR"
  tmp=$(mktemp -d "$DIR.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # Download the released module (its own go.mod and go.sum pin the graph) and
  # build it in place; `go install module@version` would ask the proxy for a
  # version list, which it refuses. nice keeps a shared machine responsive.
  src=$(GOTOOLCHAIN=local GONOSUMDB="$module" go mod download -json "$module@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  (cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 GONOSUMDB="$module" GOFLAGS="-mod=readonly -buildvcs=false" \
    nice -n 10 go build -trimpath -ldflags="-s -w" -o "$tmp/terraform-provider-$name" . >&2)
  mv "$tmp/terraform-provider-$name" "$BIN.tmp"
  rmdir "$tmp"
  mv "$BIN.tmp" "$BIN"
fi
echo "$DIR"
