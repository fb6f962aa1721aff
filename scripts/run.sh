#!/usr/bin/env bash
# uplane's main job on a fresh Debian 12 machine: installs what is needed, builds the
# release preset (uplane, uplanectl, uplane-pktgen), and runs the two demos, each tearing
# down what it built:
#   1. scripts/demo.sh — uplane routing ping, iperf3 and uplane-pktgen traffic between two
#      hosts in network namespaces, printing its per-second rates from its own counters
#      (about 30 seconds; arguments go to it: --method XDP|PACKET);
#   2. scripts/demo-tenants.sh — two tenants' virtual routers on one `uplane host`, their
#      live per-tenant rates, one tenant replaced live over the control socket (about 20 s).
# Needs root, or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target uplane uplanectl uplane-pktgen
scripts/demo.sh "$@"
exec scripts/demo-tenants.sh
