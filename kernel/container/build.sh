#!/usr/bin/env bash
# Builds the ferrokeras image (kernel/container/Containerfile) with podman on a fresh Debian or
# Ubuntu machine, from Debian's packages and the package registries only: no image registry is
# needed, because the base image is made here with debootstrap and `podman import`.
#
#   sudo bash kernel/container/build.sh              # image localhost/ferrokeras:latest
#   IMAGE=ferrokeras:dev bash kernel/container/build.sh
#
# Settings (environment): IMAGE (the tag), BASE (use this base image instead of making one;
# e.g. docker.io/library/debian:bookworm-slim where Docker Hub is reachable), DATA (dataset
# folder copied to /opt/ferrokeras/data; default ../shared/datasets beside the repository),
# RUST_FROM=rustup|host (default: rustup when sh.rustup.rs answers, else the host's toolchain),
# FERROKERAS_TORCH_INDEX (passed to set-up: torch from another index, e.g. CPU-only wheels).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
IMAGE=${IMAGE:-localhost/ferrokeras:latest}
STATE=${FERROKERAS_CONTAINER_STATE:-/var/tmp/ferrokeras-container}   # rootfs, toolchain copy
DATA=${DATA:-$REPO/../shared/datasets}
START=$(date +%s)
step() { printf '\n==> %s\n' "$*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

step "host packages"
need=()
for p in podman debootstrap uidmap runc curl; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
# Sandboxed machines (like ours) have no crun-compatible cgroup set-up and refuse podman's
# default rlimits; runc and no default ulimits work there and everywhere else.
conf=/etc/containers/containers.conf.d/ferrokeras.conf
if [ ! -f "$conf" ]; then
  $SUDO mkdir -p "$(dirname "$conf")"
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' | $SUDO tee "$conf" >/dev/null
fi
PODMAN=($SUDO podman)

if [ -z "${BASE:-}" ]; then
  BASE=localhost/ferrokeras-base:bookworm
  if ! "${PODMAN[@]}" image exists "$BASE"; then
    step "base image $BASE (debootstrap --variant=minbase bookworm)"
    rootfs="$STATE/rootfs"
    $SUDO rm -rf "$rootfs"
    $SUDO mkdir -p "$STATE"
    $SUDO debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian
    # What debian:bookworm-slim has too: no apt caches, all of Debian's security updates.
    echo 'deb http://deb.debian.org/debian-security bookworm-security main' | $SUDO tee -a "$rootfs/etc/apt/sources.list" >/dev/null
    echo 'deb http://deb.debian.org/debian bookworm-updates main' | $SUDO tee -a "$rootfs/etc/apt/sources.list" >/dev/null
    $SUDO rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    $SUDO tar -C "$rootfs" -c . | "${PODMAN[@]}" import --change 'CMD ["/bin/bash"]' - "$BASE"
    $SUDO rm -rf "$rootfs"
  fi
fi

build_args=(--build-arg "BASE=$BASE" --build-arg "FERROKERAS_TORCH_INDEX=${FERROKERAS_TORCH_INDEX:-}")
if [ -z "${RUST_FROM:-}" ]; then
  RUST_FROM=host
  curl -sSf --max-time 20 -o /dev/null https://sh.rustup.rs && RUST_FROM=rustup
fi
if [ "$RUST_FROM" = host ]; then
  step "Rust toolchain from this machine (sh.rustup.rs not reachable)"
  # rustup's layout under one folder, as the installer would make it: rustup/ (the default
  # toolchain, without its HTML docs) and cargo/bin/ (rustup and its proxies).
  sysroot=$(rustc --print sysroot)
  name=$(basename "$sysroot")
  rust="$STATE/rust"
  $SUDO rm -rf "$rust"
  $SUDO mkdir -p "$rust/rustup/toolchains" "$rust/cargo/bin"
  # Hard links where the state folder is on the same file system: no 1.5 GB copy.
  $SUDO cp -al "$sysroot" "$rust/rustup/toolchains/$name" 2>/dev/null \
    || $SUDO cp -a "$sysroot" "$rust/rustup/toolchains/$name"
  $SUDO rm -rf "$rust/rustup/toolchains/$name/share/doc"
  printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n' "$name" | $SUDO tee "$rust/rustup/settings.toml" >/dev/null
  rustup_bin=$(command -v rustup)
  for tool in rustup cargo rustc rustdoc rust-gdb rust-lldb cargo-clippy clippy-driver cargo-fmt rustfmt rust-analyzer; do
    $SUDO cp "$rustup_bin" "$rust/cargo/bin/$tool"
  done
  build_args+=(--build-arg RUST_FROM=context --build-context "rust=$rust")
fi
# Machines that reach the registries through a TLS-inspecting proxy (ours) trust its CA in the
# host's bundle; the build's RUN steps get that bundle (as a volume, not a layer) so pip, cargo
# and curl inside verify the same way, and the image itself keeps Debian's plain CA list.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  build_args+=(-v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro)
  for v in SSL_CERT_FILE PIP_CERT CARGO_HTTP_CAINFO CURL_CA_BUNDLE GIT_SSL_CAINFO; do
    build_args+=(--build-arg "$v=/run/host-ca.crt")
  done
fi
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
if [ -d "$DATA" ]; then cp -rL "$DATA/." "$data/"; else echo "no datasets at $DATA: the image gets none"; fi
build_args+=(--build-context "data=$data")

step "image $IMAGE"
"${PODMAN[@]}" build --network=host -f kernel/container/Containerfile \
  --ignorefile kernel/container/containerignore "${build_args[@]}" -t "$IMAGE" "$REPO"
"${PODMAN[@]}" image prune -f >/dev/null   # the dangling layers of earlier builds
[ "$RUST_FROM" != host ] || $SUDO rm -rf "$STATE/rust"

echo
echo "image: $IMAGE, $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.2f GB", $1/1e9}')"
echo "build time: $(( $(date +%s) - START )) s"
