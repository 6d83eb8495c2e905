#!/usr/bin/env bash
# Stops the private containerd that setup.sh started in BASE_DIR and removes all it left:
# containers and shims, mounts under BASE_DIR, the bridge, the slot's cgroups, the slot claim,
# shim sockets, and finally BASE_DIR itself. Restores net.ipv4.ip_forward when the last
# instance on the machine goes away.
#
#   teardown.sh [BASE_DIR]      (or CRI_BASE=... teardown.sh)
#
# Processes are found through BASE_DIR (pid file, socket path in the command line), never by
# name alone. Safe to run twice, and on a half-finished setup.
set -uo pipefail

BASE="${1:-${CRI_BASE:-}}"
if [[ -z "$BASE" ]]; then
  echo "usage: teardown.sh BASE_DIR (or set CRI_BASE)" >&2
  exit 2
fi
if [[ ! -d "$BASE" ]]; then
  exit 0
fi
BASE="$(cd "$BASE" && pwd -P)"
if [[ "$BASE" == "/" || ! -e "$BASE/.kubelet-ts-cri" ]]; then
  echo "teardown.sh: $BASE was not made by setup.sh (no .kubelet-ts-cri marker); not touching it" >&2
  exit 2
fi

KTCRI_RUN="${KTCRI_RUN:-/run/kubelet-ts-cri}"
SOCK="$BASE/containerd.sock"
PIDFILE="$BASE/containerd.pid"
SLOT="$(cat "$BASE/slot" 2>/dev/null || true)"
status=0

log() { printf 'teardown.sh: %s\n' "$*" >&2; }

pid_is_ours() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--config $BASE/config.toml"
}

# Pids of shims serving this instance: their command line names our socket as -address.
our_shims() {
  # The pattern comes from a file so that grep's own command line does not match it.
  grep -lzxF -f <(printf '%s\n' "$SOCK") /proc/[0-9]*/cmdline 2>/dev/null | sed -e 's|^/proc/||' -e 's|/cmdline$||' || true
}

PID="$(cat "$PIDFILE" 2>/dev/null || true)"

# 1. While containerd answers, kill and delete every task so the shims exit on their own.
if pid_is_ours "$PID" && [[ -S "$SOCK" ]]; then
  for ns in $(ctr -a "$SOCK" namespaces ls -q 2>/dev/null); do
    for id in $(ctr -a "$SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
      ctr -a "$SOCK" -n "$ns" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr -a "$SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        ctr -a "$SOCK" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 && break
        sleep 0.1
      done
    done
  done
fi

# 2. Stop containerd: TERM, then KILL after 15 s.
if pid_is_ours "$PID"; then
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 150); do
    pid_is_ours "$PID" || break
    sleep 0.1
  done
  if pid_is_ours "$PID"; then
    log "containerd $PID ignored SIGTERM; sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
    sleep 0.2
  fi
fi

# 3. Anything still running: containers known to our runc root, then our shims.
for root in "$BASE"/state/runc/*; do
  [[ -d "$root" ]] || continue
  for id in $(runc --root "$root" list -q 2>/dev/null); do
    runc --root "$root" kill -a "$id" KILL >/dev/null 2>&1 || true
    runc --root "$root" delete -f "$id" >/dev/null 2>&1 || true
  done
done
for pid in $(our_shims); do
  kill -KILL "$pid" 2>/dev/null || true
done
# A killed shim leaves its socket in /run/containerd/s, named by sha256("<address>/<ns>/<id>").
for dir in "$BASE"/state/io.containerd.runtime.v2.task/*/*; do
  [[ -d "$dir" ]] || continue
  id="${dir##*/}"
  ns="${dir%/*}"
  ns="${ns##*/}"
  hash="$(printf '%s' "$SOCK/$ns/$id" | sha256sum | cut -d' ' -f1)"
  rm -f "/run/containerd/s/$hash"
done

# 4. Unmount everything under BASE (netns bind mounts, rootfs overlays, shm), deepest first.
# /proc/self/mountinfo escapes spaces and the like as \040; our paths have none.
unmount_all() {
  local m
  awk -v base="$BASE/" '{ if (index($5, base) == 1) print $5 }' /proc/self/mountinfo |
    awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- |
    while IFS= read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
}
unmount_all
unmount_all

# 5. Network: the bridge (veths die with their netns).
if [[ -n "$SLOT" ]]; then
  ip link del "ktcri$SLOT" 2>/dev/null || true
fi

# 6. Cgroups under the slot's cgroup root, in every hierarchy, children first (only empty ones
#    can go; a busy cgroup means a process survived and is reported).
if [[ -n "$SLOT" ]]; then
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    d="${h%/}/kubelet-ts-cri-$SLOT"
    [[ -d "$d" ]] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    if [[ -d "$d" ]]; then
      log "cgroup $d still busy"
      status=1
    fi
  done
fi

# 7. Release the slot; restore ip_forward when no other instance is left.
mkdir -p "$KTCRI_RUN/slots"
exec 9>"$KTCRI_RUN/lock"
flock -w 600 9
if [[ -n "$SLOT" && "$(cat "$KTCRI_RUN/slots/$SLOT" 2>/dev/null)" == "$BASE" ]]; then
  rm -f "$KTCRI_RUN/slots/$SLOT"
fi
others=0
for f in "$KTCRI_RUN"/slots/*; do
  [[ -f "$f" ]] || continue
  owner="$(cat "$f")"
  if [[ -n "$owner" && "$(cat "$owner/slot" 2>/dev/null)" == "${f##*/}" ]]; then
    others=$((others + 1))
  fi
done
if ((others == 0)) && [[ -f "$KTCRI_RUN/ip_forward.orig" ]]; then
  cat "$KTCRI_RUN/ip_forward.orig" >/proc/sys/net/ipv4/ip_forward || true
  rm -f "$KTCRI_RUN/ip_forward.orig"
fi
flock -u 9

# 8. Remove BASE, but never through a mount that is still there.
if awk -v base="$BASE/" '{ if (index($5, base) == 1) found = 1 } END { exit !found }' /proc/self/mountinfo; then
  log "mounts remain under $BASE; leaving it in place"
  status=1
else
  rm -rf --one-file-system "$BASE"
fi
if pid_is_ours "$PID"; then
  log "containerd $PID is still running"
  status=1
fi
leftover="$(our_shims | tr '\n' ' ')"
if [[ -n "$leftover" ]]; then
  log "shims still running: $leftover"
  status=1
fi
exit "$status"
