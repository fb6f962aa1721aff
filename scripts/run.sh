#!/usr/bin/env bash
# uplane's main job on a fresh Debian 12 machine: installs what is needed, builds the
# release preset (uplane and uplane-pktgen), and runs the demo — uplane routing ping,
# iperf3 and uplane-pktgen traffic between two hosts in network namespaces, printing its
# per-second rates from its own counters, then tearing everything down (scripts/demo.sh,
# about 30 seconds). Needs root, or sudo. Arguments go to the demo (--method XDP|PACKET).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target uplane uplane-pktgen
exec scripts/demo.sh "$@"
