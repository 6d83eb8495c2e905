#!/usr/bin/env bash
# Starts a private containerd (CRI plugin, runc, CNI bridge) for the e2e tests.
#
#   setup.sh [BASE_DIR]        (or CRI_BASE=... setup.sh)
#
# Everything the instance owns lives under BASE_DIR: config, root, state, socket, logs, CNI
# config and IPAM data. What cannot live there (a bridge, a subnet, a cgroup root) comes from a
# numbered slot allocated under $KTCRI_RUN, so several instances can run side by side. Runs as
# root. Idempotent: if the instance in BASE_DIR is already running it is reused, and packages
# and images are installed or built only when missing.
#
# On success the last lines on stdout are KEY=VALUE pairs (also written to BASE_DIR/instance.env):
#   CRI_ENDPOINT CRI_SOCKET CRI_BASE CRI_PID CRI_SLOT CRI_SUBNET CRI_GATEWAY CRI_BRIDGE
#   CRI_CGROUP_ROOT CRI_SNAPSHOTTER
# Undo with teardown.sh BASE_DIR.
set -euo pipefail

BASE="${1:-${CRI_BASE:-}}"
if [[ -z "$BASE" ]]; then
  echo "usage: setup.sh BASE_DIR (or set CRI_BASE)" >&2
  exit 2
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "setup.sh: must run as root" >&2
  exit 2
fi
mkdir -p "$BASE"
BASE="$(cd "$BASE" && pwd -P)"
if [[ "$BASE" == "/" ]]; then
  echo "setup.sh: refusing to use / as base dir" >&2
  exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# Machine-wide state shared by all instances: slot claims, the original ip_forward, the lock.
KTCRI_RUN="${KTCRI_RUN:-/run/kubelet-ts-cri}"
# Built images, reused by every instance and every run.
KTCRI_CACHE="${KTCRI_CACHE:-/var/cache/kubelet-ts-cri}"
SOCK="$BASE/containerd.sock"
PIDFILE="$BASE/containerd.pid"
SUBNET_PREFIX="${KTCRI_SUBNET_PREFIX:-10.233}"   # slot N gets $SUBNET_PREFIX.N.0/24
PACKAGES=(containerd runc containernetworking-plugins busybox-static iptables)
IMAGE_RECIPE_VERSION=1

log() { printf 'setup.sh: %s\n' "$*" >&2; }

mkdir -p "$KTCRI_RUN/slots" "$KTCRI_CACHE"
# One lock for everything machine-wide (apt, image cache, slots, ip_forward). Held briefly.
exec 9>"$KTCRI_RUN/lock"
lock() { flock -w 600 9; }
unlock() { flock -u 9; }

pid_is_ours() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--config $BASE/config.toml"
}

print_env() {
  cat "$BASE/instance.env"
}

# --- Reuse a running instance ---------------------------------------------------------------
if [[ -f "$PIDFILE" && -f "$BASE/instance.env" ]] && pid_is_ours "$(cat "$PIDFILE")" && [[ -S "$SOCK" ]]; then
  if ctr -a "$SOCK" version >/dev/null 2>&1; then
    log "reusing running containerd (pid $(cat "$PIDFILE")) in $BASE"
    print_env
    exit 0
  fi
fi

# --- Packages ---------------------------------------------------------------------------------
missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
      printf '%s\n' "$p"
    fi
  done
}
lock
mapfile -t MISSING < <(missing_packages)
if ((${#MISSING[@]} > 0)); then
  log "installing ${MISSING[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_install() {
    apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "${MISSING[@]}" >&2
  }
  if ! apt_install; then
    apt-get update -o DPkg::Lock::Timeout=300 >&2
    apt_install
  fi
fi
for bin in containerd ctr runc /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/loopback /bin/busybox; do
  command -v "$bin" >/dev/null || { log "missing $bin after install"; exit 1; }
done

# --- Images (OCI layout tars, reproducible; cached machine-wide) -------------------------------
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# oci_tar OUT_TAR IMAGE_NAME LAYER_TAR CONFIG_JSON_WITHOUT_ROOTFS
# Writes an OCI image layout with one uncompressed layer.
oci_tar() {
  local out="$1" name="$2" layer="$3" cfg_base="$4"
  local dir
  dir="$(mktemp -d)"
  mkdir -p "$dir/blobs/sha256"
  local layer_digest layer_size
  layer_digest="$(sha256_of "$layer")"
  layer_size="$(stat -c %s "$layer")"
  cp "$layer" "$dir/blobs/sha256/$layer_digest"
  # The config is the caller's JSON object with rootfs appended.
  printf '%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "${cfg_base%\}}" "$layer_digest" >"$dir/config.json"
  local cfg_digest cfg_size
  cfg_digest="$(sha256_of "$dir/config.json")"
  cfg_size="$(stat -c %s "$dir/config.json")"
  mv "$dir/config.json" "$dir/blobs/sha256/$cfg_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cfg_digest" "$cfg_size" "$layer_digest" "$layer_size" >"$dir/manifest.json"
  local man_digest man_size
  man_digest="$(sha256_of "$dir/manifest.json")"
  man_size="$(stat -c %s "$dir/manifest.json")"
  mv "$dir/manifest.json" "$dir/blobs/sha256/$man_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$man_digest" "$man_size" "$ARCH" "$name" "${name##*:}" >"$dir/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out.tmp" oci-layout index.json blobs
  mv "$out.tmp" "$out"
  rm -rf "$dir"
}

# Reproducible tar of a directory tree (one layer).
layer_tar() {
  tar -C "$1" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$2" .
}

build_pause() {
  local work="$1"
  cat >"$work/pause.c" <<'EOF'
/* Sandbox holder for the test runtime: sleeps until told to stop, reaps orphans. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) { (void)sig; _exit(0); }

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {0}, child = {0};
  stop.sa_handler = on_stop;
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0 ||
      sigaction(SIGCHLD, &child, NULL) < 0)
    return 1;
  for (;;) pause();
}
EOF
  mkdir -p "$work/pause-root"
  gcc -static -Os -s -o "$work/pause-root/pause" "$work/pause.c"
  chmod 0755 "$work/pause-root/pause"
  layer_tar "$work/pause-root" "$work/pause-layer.tar"
  oci_tar "$KTCRI_CACHE/pause.tar" "localhost/pause:local" "$work/pause-layer.tar" \
    "{\"architecture\":\"$ARCH\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/pause\"],\"Env\":[\"PATH=/\"]}}"
}

build_busybox() {
  local work="$1" root="$1/busybox-root"
  mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" "$root/tmp" "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  local applet
  while IFS= read -r applet; do
    [[ -z "$applet" || "$applet" == "bin/busybox" ]] && continue
    mkdir -p "$root/$(dirname "$applet")"
    ln -sf /bin/busybox "$root/$applet"
  done < <(/bin/busybox --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  chmod 0644 "$root/etc/passwd" "$root/etc/group"
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  layer_tar "$root" "$work/busybox-layer.tar"
  oci_tar "$KTCRI_CACHE/busybox.tar" "docker.io/library/busybox:local" "$work/busybox-layer.tar" \
    "{\"architecture\":\"$ARCH\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]}}"
}

ARCH="$(dpkg --print-architecture)"
STAMP="recipe=$IMAGE_RECIPE_VERSION busybox=$(dpkg-query -W -f='${Version}' busybox-static) arch=$ARCH"
if [[ ! -f "$KTCRI_CACHE/pause.tar" || ! -f "$KTCRI_CACHE/busybox.tar" || "$(cat "$KTCRI_CACHE/stamp" 2>/dev/null)" != "$STAMP" ]]; then
  log "building images in $KTCRI_CACHE"
  work="$(mktemp -d)"
  (umask 022 && build_pause "$work" && build_busybox "$work")
  rm -rf "$work"
  printf '%s' "$STAMP" >"$KTCRI_CACHE/stamp"
fi

# --- Slot: bridge, subnet and cgroup root unique on this machine -------------------------------
slot_owner_alive() {
  # A slot is held while the base dir it names exists and still records that slot.
  local n="$1" owner
  owner="$(cat "$KTCRI_RUN/slots/$n" 2>/dev/null)" || return 1
  [[ -n "$owner" && "$(cat "$owner/slot" 2>/dev/null)" == "$n" ]]
}
SLOT=""
if [[ -f "$BASE/slot" ]] && [[ "$(cat "$KTCRI_RUN/slots/$(cat "$BASE/slot")" 2>/dev/null)" == "$BASE" ]]; then
  SLOT="$(cat "$BASE/slot")"
else
  for n in $(seq 1 250); do
    if slot_owner_alive "$n"; then continue; fi
    # A stale claim (its base dir is gone): drop what it may have left behind.
    if [[ -e "$KTCRI_RUN/slots/$n" ]]; then
      ip link del "ktcri$n" 2>/dev/null || true
    fi
    if ip -4 route show | grep -q "^$SUBNET_PREFIX\.$n\.0/24 " && ! ip link show "ktcri$n" >/dev/null 2>&1; then
      continue # the subnet is in use by something else on this machine
    fi
    SLOT="$n"
    break
  done
  [[ -n "$SLOT" ]] || { log "no free slot"; exit 1; }
  printf '%s' "$BASE" >"$KTCRI_RUN/slots/$SLOT"
  printf '%s' "$SLOT" >"$BASE/slot"
fi
# ip_forward: the bridge plugin turns it on; the first instance records the value to restore.
if [[ ! -f "$KTCRI_RUN/ip_forward.orig" ]]; then
  cat /proc/sys/net/ipv4/ip_forward >"$KTCRI_RUN/ip_forward.orig"
fi
unlock

SUBNET="$SUBNET_PREFIX.$SLOT.0/24"
GATEWAY="$SUBNET_PREFIX.$SLOT.1"
BRIDGE="ktcri$SLOT"
CGROUP_ROOT="/kubelet-ts-cri-$SLOT"
touch "$BASE/.kubelet-ts-cri" # marker: teardown.sh only deletes directories that carry it

# --- Snapshotter: overlayfs when the base dir's filesystem supports it ------------------------
SNAPSHOTTER=native
probe="$BASE/overlay-probe"
mkdir -p "$probe/l" "$probe/u" "$probe/w" "$probe/m"
if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
  umount "$probe/m"
  SNAPSHOTTER=overlayfs
fi
rm -rf "$probe"

# --- Config -----------------------------------------------------------------------------------
mkdir -p "$BASE/root" "$BASE/state" "$BASE/opt" "$BASE/net.d"
cat >"$BASE/config.toml" <<EOF
version = 2
root = "$BASE/root"
state = "$BASE/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$SOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$BASE/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:local"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  netns_mounts_under_state_dir = true
  restrict_oom_score_adj = true
  max_container_log_line_size = 16384

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$SNAPSHOTTER"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$BASE/state/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$BASE/net.d"
    max_conf_num = 1
EOF
cat >"$BASE/net.d/10-ktcri.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "ktcri$SLOT",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$SUBNET", "gateway": "$GATEWAY" }]],
        "dataDir": "$BASE/state/cni-ipam"
      }
    }
  ]
}
EOF

# --- Start containerd -------------------------------------------------------------------------
if [[ -f "$PIDFILE" ]] && pid_is_ours "$(cat "$PIDFILE")"; then
  log "containerd (pid $(cat "$PIDFILE")) is running but not answering; restarting it"
  kill -TERM "$(cat "$PIDFILE")" 2>/dev/null || true
  for _ in $(seq 1 100); do pid_is_ours "$(cat "$PIDFILE")" || break; sleep 0.1; done
  pid_is_ours "$(cat "$PIDFILE")" && kill -KILL "$(cat "$PIDFILE")" 2>/dev/null || true
fi
rm -f "$SOCK" "$SOCK.ttrpc"
# setsid: its own session and process group, so signals sent to the caller's group miss it.
# In a non-interactive shell the background child is not a group leader, so setsid execs
# containerd in place and $! is containerd's pid.
setsid containerd --config "$BASE/config.toml" </dev/null >>"$BASE/containerd.log" 2>&1 9>&- &
PID=$!
printf '%s\n' "$PID" >"$PIDFILE"

ready=0
for _ in $(seq 1 300); do
  if ! kill -0 "$PID" 2>/dev/null; then
    log "containerd exited during start; last log lines:"
    tail -n 20 "$BASE/containerd.log" >&2
    exit 1
  fi
  if [[ -S "$SOCK" ]] && ctr -a "$SOCK" plugins ls 2>/dev/null | awk '$2 == "cri" { print $NF }' | grep -qx ok; then
    ready=1
    break
  fi
  sleep 0.1
done
if ((ready == 0)); then
  log "containerd did not become ready within 30s; last log lines:"
  tail -n 20 "$BASE/containerd.log" >&2
  exit 1
fi

for image in pause busybox; do
  ctr -a "$SOCK" -n k8s.io images import --snapshotter "$SNAPSHOTTER" "$KTCRI_CACHE/$image.tar" >/dev/null
done

cat >"$BASE/instance.env" <<EOF
CRI_ENDPOINT=unix://$SOCK
CRI_SOCKET=$SOCK
CRI_BASE=$BASE
CRI_PID=$PID
CRI_SLOT=$SLOT
CRI_SUBNET=$SUBNET
CRI_GATEWAY=$GATEWAY
CRI_BRIDGE=$BRIDGE
CRI_CGROUP_ROOT=$CGROUP_ROOT
CRI_SNAPSHOTTER=$SNAPSHOTTER
EOF
log "containerd ready (pid $PID, socket $SOCK, subnet $SUBNET, bridge $BRIDGE, snapshotter $SNAPSHOTTER)"
print_env
