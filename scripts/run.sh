#!/usr/bin/env bash
# uplane's main job on a fresh Debian 12 machine: installs what is needed, builds the
# release preset, runs the example IPv4 router (a Click configuration fed from capture
# files) and then the router benchmark against DPDK. Until ports exist this stands in for
# the network demo. Extra arguments go to the benchmark, e.g. --reps 9.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --bench
cmake --preset release >/dev/null
cmake --build --preset release --target uplane router_bench packet_core_bench

echo "== uplane run examples/router.click"
build/release/tools/uplane/uplane run -h dump0.count -h dump1.count -h tohost.count \
  -h rt.drop_reasons examples/router.click
echo "(what left each interface: /tmp/uplane-router-out0.pcap, /tmp/uplane-router-out1.pcap)"

echo "== router benchmark: uplane's graph against a DPDK loop doing the same work"
exec build/release/bench/router_bench "$@"
