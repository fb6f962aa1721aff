#!/usr/bin/env bash
# uplane's main job on a fresh Debian 12 machine: installs what is needed, builds the
# release preset and runs the packet-core benchmark against DPDK (until ports exist; then
# the network demo takes its place). Extra arguments go to the benchmark, e.g. --reps 9.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --bench
cmake --preset release >/dev/null
cmake --build --preset release --target packet_core_bench
exec build/release/bench/packet_core_bench "$@"
