#!/usr/bin/env bash
# Installs what is needed, builds and runs every test:
#   1. the concurrent tests (ctest label 'concurrent') under ThreadSanitizer;
#   2. every test under AddressSanitizer + UndefinedBehaviorSanitizer.
# The last thing printed is ctest's summary of step 2. With CI set, warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
prefix=""
[ -n "${CI:-}" ] && prefix="ci-"
jobs=$(nproc)

echo "== ThreadSanitizer: concurrent tests"
cmake --preset "${prefix}tsan" >/dev/null
cmake --build --preset "${prefix}tsan" -j "$jobs" --target concurrent_tests
ctest --preset "${prefix}tsan" -j "$jobs"

echo "== AddressSanitizer + UBSan: all tests"
cmake --preset "${prefix}dev" >/dev/null
cmake --build --preset "${prefix}dev" -j "$jobs"
ctest --preset "${prefix}dev" -j "$jobs"
