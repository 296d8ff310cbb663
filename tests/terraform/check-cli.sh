#!/usr/bin/env bash
# Runs tests/terraform/cli.sh's install branch in the condition it was written for: no
# `terraform` on PATH and an empty cache (the Go build cache is kept, so a warm machine relinks
# in about a minute). The OpenTofu it builds must report its pinned version and validate the
# huaweicloud configuration with the cached provider through `dev_overrides` (no registry).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/terraform/versions.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "check-cli: $*" >&2; exit 1; }
# The real cache keeps the provider builds; GOCACHE would otherwise move with XDG_CACHE_HOME.
"$ROOT/tests/terraform/cliconfig.sh" "$TMP/terraform.rc" huaweicloud >/dev/null
gocache=$(go env GOCACHE)
# A PATH with every directory of the current one except those holding a terraform.
path=
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do [ -e "$d/terraform" ] || path=${path:+$path:}$d; done
PATH=$path command -v terraform >/dev/null && fail "terraform is still on the stripped PATH"
bin=$(PATH=$path XDG_CACHE_HOME="$TMP/cache" GOCACHE="$gocache" NODEPOOL_TERRAFORM= \
  "$ROOT/tests/terraform/cli.sh" 2>"$TMP/err") || fail "cli.sh failed: $(cat "$TMP/err")"
case "$bin" in "$TMP/cache/nodepool-controller/opentofu/$OPENTOFU_VERSION-"*/tofu) ;;
  *) fail "expected a fresh OpenTofu build in the empty cache, got '$bin'" ;; esac
TF_CLI_CONFIG_FILE="$TMP/terraform.rc" "$bin" version | head -1 | grep -qx "OpenTofu ${OPENTOFU_VERSION}" || fail "version: $("$bin" version)"
mkdir "$TMP/work"
cp "$ROOT/tests/terraform/huaweicloud/main.tf" "$TMP/work/"
(cd "$TMP/work" && TF_CLI_CONFIG_FILE="$TMP/terraform.rc" "$bin" validate -no-color >"$TMP/validate" 2>&1) \
  || fail "validate with the cached provider: $(cat "$TMP/validate")"
grep -q "The configuration is valid" "$TMP/validate" || fail "validate: $(cat "$TMP/validate")"
# Built again only when missing: a second call prints the cached binary without building.
again=$(PATH=$path XDG_CACHE_HOME="$TMP/cache" GOCACHE=/nonexistent NODEPOOL_TERRAFORM= "$ROOT/tests/terraform/cli.sh")
[ "$again" = "$bin" ] || fail "second call: '$again' instead of the cached '$bin'"
echo "check-cli: no terraform on PATH and an empty cache: OpenTofu $OPENTOFU_VERSION built, validates the huaweicloud configuration: ok"
