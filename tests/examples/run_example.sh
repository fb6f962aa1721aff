#!/usr/bin/env bash
# Runs one example configuration from the repository root, as its header comment says,
# and compares what `uplane run` prints with the expected text.
#   run_example.sh UPLANE EXPECTED_FILE CONFIG [HANDLER...]
set -u
uplane=$1 expected=$2 config=$3
shift 3
args=()
for h in "$@"; do args+=(-h "$h"); done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 60 "$uplane" run "${args[@]}" "$config" >"$out" || { echo "uplane run failed ($?)"; exit 1; }
diff -u "$expected" "$out" || exit 1
echo "example $config: output as expected"
