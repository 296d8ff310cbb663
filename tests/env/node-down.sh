#!/usr/bin/env bash
# Tears down the real node of $NODEPOOL_ENV_DIR (tests/env/node-up.sh) and gives the host back
# what it had: Pods deleted through the API first (so the kubelet runs CNI teardown and unmounts),
# then kube-scheduler, kube-controller-manager, the kubelet and containerd stopped by PID,
# leftover containers killed through runc and their shims by PID, mounts under the node's
# directory unmounted, the node's network namespaces, bridge, iptables chains and cgroups
# removed, and the kernel settings recorded at start restored. Safe to run again, and on a node
# whose start failed half way; run it before tests/env/down.sh (the API is needed for the first
# step, which is skipped when the apiserver is gone).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/env/node-lib.sh
. "$(dirname "$0")/node-lib.sh"

start=$(date +%s.%N)
[ "$(id -u)" -eq 0 ] || fail "needs root"
[ "${NODEPOOL_NODE_KEEP_LOCK:-}" = 1 ] || node_lock
if [ ! -d "$NODE_DIR" ]; then
  [ "${NODEPOOL_NODE_KEEP_LOCK:-}" = 1 ] || rm -f "$NODE_LOCK"
  log "no node in $NODE_DIR"
  exit 0
fi

stop_pid() { # name: TERM, wait up to $2 s, then KILL
  local f="$NODE_DIR/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $(( ${2:-5} * 10 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# 1. Nothing recreates Pods any more; then the API deletes this node's Pods while the kubelet
#    still runs, so it stops the containers and tears their network down itself.
stop_pid kube-scheduler
"$ROOT/tests/env/kcm.sh" stop >/dev/null 2>&1 || true
KCFG="$ENV_DIR/admin.kubeconfig"
if [ -f "$KCFG" ] && KUBE_BIN=$("$ROOT/tests/env/build.sh") \
   && "$KUBE_BIN/kubectl" --kubeconfig="$KCFG" get --raw=/readyz >/dev/null 2>&1; then
  K=("$KUBE_BIN/kubectl" --kubeconfig="$KCFG")
  if alive kubelet; then
    "${K[@]}" delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --wait=true --timeout=60s \
      >/dev/null 2>&1 || log "some Pods were not deleted in 60 s; their containers are killed below"
  fi
  "${K[@]}" delete node "$NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  log "Pods deleted through the API after $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")s"
fi

# 2. The kubelet, then what is left in containerd, then containerd and its shims.
stop_pid kubelet 10
if alive containerd; then
  for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$id" >/dev/null 2>&1 || true; done
fi
if [ -d "$NODE_DIR/runc" ]; then
  for id in $(runc --root "$NODE_DIR/runc/k8s.io" list -q 2>/dev/null); do
    runc --root "$NODE_DIR/runc/k8s.io" kill -a "$id" KILL >/dev/null 2>&1 || true
    runc --root "$NODE_DIR/runc/k8s.io" delete -f "$id" >/dev/null 2>&1 || true
  done
fi
stop_pid containerd 10
log "kubelet and containerd stopped after $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")s"
# Shims outlive containerd; they are ours when their command line names our containerd socket.
for proc in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' 2>/dev/null <"$proc/cmdline") || continue
  case "$cmd" in
    *containerd-shim*"$CONTAINERD_SOCK"*) kill -KILL "${proc#/proc/}" 2>/dev/null || true ;;
  esac
done

# 3. Mounts under the node's directory (deepest first), and the Pods' network namespaces.
for _ in 1 2 3; do
  mapfile -t mounts < <(awk -v d="$NODE_DIR/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
  [ ${#mounts[@]} -eq 0 ] && break
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
done
if [ -d /run/netns ]; then
  for ns in /run/netns/cni-*; do
    [ -e "$ns" ] || continue
    grep -qxF "$(basename "$ns")" "$NODE_DIR/saved/netns" 2>/dev/null && continue
    umount "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
fi

# 4. Network: the bridge (its veths went with the namespaces), then every iptables chain the node
#    added, with the rules that jump to it; chains that existed before are left alone.
if ip link show "$NODE_BRIDGE" >/dev/null 2>&1 && ! grep -qxF "$NODE_BRIDGE" "$NODE_DIR/saved/links" 2>/dev/null; then
  ip link delete "$NODE_BRIDGE" || log "could not delete the bridge $NODE_BRIDGE"
fi
remove_new_chains() { # iptables|ip6tables
  local cmd=$1 table chain rule
  for table in filter nat mangle raw; do
    mapfile -t chains < <("$cmd" -t "$table" -S 2>/dev/null | awk '$1 == "-N" {print $2}' \
      | grep -E "^(KUBE-|CNI-|$NODE_CHAIN$)" || true)
    local new=()
    for chain in "${chains[@]}"; do
      grep -qxF "$table $chain" "$NODE_DIR/saved/$cmd-chains" 2>/dev/null || new+=("$chain")
    done
    [ ${#new[@]} -eq 0 ] && continue
    for chain in "${new[@]}"; do
      # Rules anywhere in the table that jump to the chain go first.
      while read -r rule; do
        [ -n "$rule" ] || continue
        eval "$cmd -t $table ${rule/#-A /-D }" 2>/dev/null || true
      done < <("$cmd" -t "$table" -S 2>/dev/null | grep -E -- "^-A .* -j $chain( |$)" || true)
    done
    for chain in "${new[@]}"; do "$cmd" -t "$table" -F "$chain" 2>/dev/null || true; done
    for chain in "${new[@]}"; do "$cmd" -t "$table" -X "$chain" 2>/dev/null || log "$cmd -t $table: $chain not removed"; done
  done
}
remove_new_chains iptables
remove_new_chains ip6tables
# Tables iptables-nft created for the node, once they hold nothing but empty built-in chains
# that accept (the state they were made in).
if [ -f "$NODE_DIR/saved/nft-tables" ] && command -v nft >/dev/null; then
  while read -r _ family table; do
    grep -qxF "table $family $table" "$NODE_DIR/saved/nft-tables" && continue
    case "$family" in ip) cmd=iptables ;; ip6) cmd=ip6tables ;; *) continue ;; esac
    [ -z "$("$cmd" -t "$table" -S 2>/dev/null | grep -v '^-P [A-Z]* ACCEPT$')" ] || continue
    nft delete table "$family" "$table" 2>/dev/null || true
  done < <(nft list tables 2>/dev/null)
fi

# 5. cgroups made while the node ran (deepest first; empty ones only, as the kernel requires).
if [ -f "$NODE_DIR/saved/cgroups" ]; then
  for c in /sys/fs/cgroup/*/; do
    [ -d "$c" ] || continue
    while read -r dir; do
      grep -qxF "$dir" "$NODE_DIR/saved/cgroups" && continue
      # Only the trees containerd and the kubelet make; others' cgroups are not ours to judge.
      case "$(basename "$dir")" in k8s.io|kubepods*|kubelet*) ;; *) continue ;; esac
      find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [ -d "$dir" ] && log "cgroup $dir is still in use; left in place"
    done < <(find "$c" -mindepth 1 -maxdepth 1 -type d)
  done
fi

# 6. Kernel settings back to what they were, directories the node created on the host removed.
if [ -f "$NODE_DIR/saved/sysctl" ]; then
  while IFS='=' read -r key value; do
    [ "$(sysctl -n "$key" 2>/dev/null)" = "$value" ] || sysctl -qw "$key=$value" \
      || log "could not restore $key=$value"
  done <"$NODE_DIR/saved/sysctl"
fi
for d in /var/lib/cni /var/log/containers /var/log/pods; do
  [ -e "$d" ] || continue
  grep -qxF "$d" "$NODE_DIR/saved/dirs" 2>/dev/null && continue
  rm -rf "$d"
done
# containerd made /run/netns for the Pods' namespaces; removed again when it is empty.
if [ -d /run/netns ] && ! grep -qxF /run/netns "$NODE_DIR/saved/dirs" 2>/dev/null; then
  rmdir /run/netns 2>/dev/null || true
fi

# 7. The node's state, and the machine's lock.
left=$(awk -v d="$NODE_DIR/" 'index($2, d) == 1' /proc/self/mounts)
if [ -n "$left" ]; then
  fail "mounts under $NODE_DIR remain; not removing it"
fi
rm -rf "$NODE_DIR"
[ "${NODEPOOL_NODE_KEEP_LOCK:-}" = 1 ] || rm -f "$NODE_LOCK"
log "node stopped and the host restored in $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")s"
