#!/usr/bin/env bash
# Installs every Debian 12 package that uplane's build and tests need, with apt-get.
# Idempotent, and quiet when everything is already there.
#   scripts/install-deps.sh          build + tests
#   scripts/install-deps.sh --bench  also the peers the benchmarks run beside (DPDK's
#                                    libraries and dpdk-testpmd, Open vSwitch; perf)
#   scripts/install-deps.sh --fuzz   also clang and libFuzzer, for the 'fuzz' preset
set -euo pipefail

pkgs=(g++ cmake ninja-build pkg-config git libfmt-dev libgtest-dev libgmock-dev libcli11-dev
      libpcap-dev libxdp-dev libbpf-dev python3 mold)  # mold: the linker (cmake/uplane.cmake)
pkgs+=(iproute2 iputils-ping iperf3 ethtool)  # tests/netns and scripts/demo.sh
pkgs+=(libtomlplusplus-dev)  # toml++: the host configuration (src/tenant/host_config.cc)
for arg in "$@"; do
  case "$arg" in
    # bench/ports/run.sh: dpdk-testpmd (package dpdk), ovs-vswitchd/ovsdb-server (Debian's
    # openvswitch-switch; the script starts them itself, never as a service), perf.
    --bench) pkgs+=(dpdk-dev dpdk openvswitch-switch linux-perf) ;;
    --fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
    *) echo "usage: $0 [--bench] [--fuzz]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
