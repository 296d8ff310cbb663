#!/usr/bin/env bash
# Prints the path of the Terraform CLI that the harness, the migration test and the benchmark run:
#   1. $NODEPOOL_TERRAFORM when set;
#   2. else `terraform` on PATH;
#   3. else OpenTofu (same language, same providers, same `dev_overrides`), built once from its Go
#      module at the version in versions.sh and cached outside the repository (~10 min and
#      ~1 GB of module downloads the first time on 2 cores).
# tests/terraform/check-cli.sh runs branch 3 where it would run: no terraform, an empty cache.
set -euo pipefail
. "$(dirname "$0")/versions.sh"
if [ -n "${NODEPOOL_TERRAFORM:-}" ]; then
  [ -x "$NODEPOOL_TERRAFORM" ] || { echo "cli.sh: NODEPOOL_TERRAFORM=$NODEPOOL_TERRAFORM is not an executable" >&2; exit 1; }
  echo "$NODEPOOL_TERRAFORM"
  exit 0
fi
if command -v terraform >/dev/null; then
  command -v terraform
  exit 0
fi
command -v go >/dev/null || { echo "cli.sh: no terraform on PATH and no Go to build OpenTofu with (scripts/prereqs.sh)" >&2; exit 1; }
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/nodepool-controller/opentofu/$OPENTOFU_VERSION-$(go env GOVERSION)-$(go env GOARCH)"
BIN="$DIR/tofu"
if [ ! -x "$BIN" ]; then
  echo "cli.sh: no terraform on PATH; building OpenTofu $OPENTOFU_VERSION into $DIR" >&2
  mkdir -p "$DIR"
  # As tests/terraform/build.sh: download the released module (its go.mod and go.sum pin the
  # graph) and build in place, since the proxy refuses version listings.
  src=$(GOTOOLCHAIN=local go mod download -json "$OPENTOFU_MODULE@$OPENTOFU_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] || { echo "cli.sh: the Go module proxy did not serve $OPENTOFU_MODULE@$OPENTOFU_VERSION" >&2; exit 1; }
  (cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    nice -n 10 go build -trimpath -o "$BIN.tmp" \
    -ldflags="-s -w -X github.com/opentofu/opentofu/version.dev=no" ./cmd/tofu >&2)
  mv "$BIN.tmp" "$BIN"
fi
echo "$BIN"
