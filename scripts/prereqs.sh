#!/usr/bin/env bash
# Installs what the project's scripts need on a fresh machine of the kind it is
# developed on (Debian with Go, Rust and Python preinstalled): a few Debian
# packages and the Rust components for linting. Safe to run again.
set -euo pipefail

# NODEPOOL_PREREQS_FORCE="pkg ..." installs these packages as if they were missing (used by
# tests/env/check-prereqs.sh to run the install branch where everything is present).
missing=()
need() { [[ " ${missing[*]} " == *" $1 "* ]] || missing+=("$1"); }
for pkg in ${NODEPOOL_PREREQS_FORCE:-}; do need "$pkg"; done
command -v openssl >/dev/null || need openssl
command -v curl >/dev/null || need curl
command -v ss >/dev/null || need iproute2
command -v lua5.1 >/dev/null || need lua5.1
# The real node (tests/env/node-up.sh) and the image build: a container runtime, its CNI plugins,
# iptables for the kubelet and the plugins, podman to build images. By path: sbin is not on every
# user's PATH.
[ -x /usr/bin/containerd ] || need containerd
[ -x /usr/sbin/runc ] || [ -x /usr/bin/runc ] || need runc
[ -x /usr/lib/cni/bridge ] || need containernetworking-plugins
[ -x /usr/sbin/iptables ] || need iptables
[ -x /usr/bin/podman ] || need podman
if [ ${#missing[@]} -gt 0 ]; then
  echo "prereqs: installing ${missing[*]} from Debian" >&2
  # As root: apt-get directly (a fresh container has no sudo); otherwise through sudo.
  # `env` sets the variable for apt-get in both cases (`$SUDO VAR=x cmd` with an empty $SUDO
  # would run a command named "VAR=x").
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "prereqs: installing ${missing[*]} needs root or sudo" >&2; exit 1; }
    SUDO=(sudo)
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
for tool in go cargo python3; do
  command -v "$tool" >/dev/null || { echo "prereqs: $tool is required" >&2; exit 1; }
done
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt >&2
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy >&2
