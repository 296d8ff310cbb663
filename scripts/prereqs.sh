#!/usr/bin/env bash
# Installs what the project's scripts need on a fresh machine of the kind it is
# developed on (Debian with Go, Rust and Python preinstalled): a few Debian
# packages and the Rust components for linting. Safe to run again.
set -euo pipefail

missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v ss >/dev/null || missing+=(iproute2)
command -v lua5.1 >/dev/null || missing+=(lua5.1)
if [ ${#missing[@]} -gt 0 ]; then
  echo "prereqs: installing ${missing[*]} from Debian" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2 || true
  $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
for tool in go cargo python3; do
  command -v "$tool" >/dev/null || { echo "prereqs: $tool is required" >&2; exit 1; }
done
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt >&2
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy >&2
