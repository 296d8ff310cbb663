#!/usr/bin/env bash
# Runs scripts/prereqs.sh's install branch in the two conditions it was written for, with
# `apt-get`, `sudo` and `id` replaced by recorders on PATH (nothing is installed):
#   1. as root without sudo: apt-get is called directly, with DEBIAN_FRONTEND=noninteractive;
#   2. as a user with sudo: apt-get is called through sudo, with the same environment;
#   3. as a user without sudo: a clear error, no apt-get call.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin"
cat > "$TMP/bin/apt-get" <<'STUB'
#!/usr/bin/env bash
echo "apt-get $* DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-unset} via=${VIA_SUDO:-direct}" >> "$LOG"
STUB
cat > "$TMP/bin/sudo" <<'STUB'
#!/usr/bin/env bash
VIA_SUDO=sudo exec "$@"
STUB
cat > "$TMP/bin/id" <<'STUB'
#!/usr/bin/env bash
[ "${1:-}" = "-u" ] && { echo "$FAKE_UID"; exit 0; }
exec /usr/bin/id "$@"
STUB
chmod +x "$TMP/bin/"*
fail() { echo "check-prereqs: $*" >&2; exit 1; }
run() { # uid, path
  : > "$TMP/log"
  LOG="$TMP/log" FAKE_UID="$1" PATH="$2" NODEPOOL_PREREQS_FORCE="lua5.1" \
    "$ROOT/scripts/prereqs.sh" 2> "$TMP/err"
}
# 1. root, no sudo on PATH.
mkdir -p "$TMP/nosudo"
for t in apt-get id; do ln -s "$TMP/bin/$t" "$TMP/nosudo/$t"; done
run 0 "$TMP/nosudo:$PATH" || fail "as root without sudo: $(cat "$TMP/err")"
grep -q "^apt-get install -y -qq lua5.1 DEBIAN_FRONTEND=noninteractive via=direct$" "$TMP/log" \
  || fail "as root: apt-get install not run directly with DEBIAN_FRONTEND: $(cat "$TMP/log")"
# 2. a user with sudo.
run 1000 "$TMP/bin:$PATH" || fail "as a user with sudo: $(cat "$TMP/err")"
grep -q "^apt-get install -y -qq lua5.1 DEBIAN_FRONTEND=noninteractive via=sudo$" "$TMP/log" \
  || fail "as a user: apt-get install not run through sudo: $(cat "$TMP/log")"
# 3. a user without sudo (PATH without the sudo stub, and no system sudo visible).
mkdir -p "$TMP/user"
for t in apt-get id; do ln -s "$TMP/bin/$t" "$TMP/user/$t"; done
for t in bash env cat grep rustup cargo go python3 openssl curl ss lua5.1 dirname; do
  p=$(command -v "$t" 2>/dev/null) && ln -sf "$p" "$TMP/user/$t"
done
if run 1000 "$TMP/user"; then fail "as a user without sudo: it should have stopped"; fi
grep -q "needs root or sudo" "$TMP/err" || fail "as a user without sudo: unclear error: $(cat "$TMP/err")"
[ ! -s "$TMP/log" ] || fail "as a user without sudo: apt-get was called: $(cat "$TMP/log")"
echo "check-prereqs: root without sudo, user with sudo, user without sudo: ok"
