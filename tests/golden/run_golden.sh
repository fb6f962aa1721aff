#!/usr/bin/env bash
# run_golden.sh UPLANE PCAP_TEXT CASE_DIR — runs one golden case and diffs it.
#
# Copies the case into a fresh temporary directory (so the case's files stay untouched and
# paths in config.click are relative to it), runs
#   uplane run -h H1 -h H2 ... config.click        (H* from the case's `handlers` file)
# bounded by `timeout 60`, converts every out*.pcap it wrote to text with PCAP_TEXT, appends
# the handler values uplane printed, and compares the result with the case's expected.txt.
# Exits nonzero on any difference, or when uplane fails, times out or leaks packets (uplane
# run exits nonzero on leaks).
#
# UPDATE_GOLDEN=1 writes the result to expected.txt instead of comparing: for reviewing a
# new case. Check every line against Click's documented behaviour before committing it
# (tests/golden/README.md says how each case was checked).
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 UPLANE PCAP_TEXT CASE_DIR" >&2
  exit 2
fi
uplane=$(realpath "$1")
text=$(realpath "$2")
case_dir=$(realpath "$3")
name=$(basename "$case_dir")

work=$(mktemp -d "${TMPDIR:-/tmp}/golden_${name}_XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$case_dir"/. "$work"/
rm -f "$work"/out*.pcap "$work"/expected.txt

args=()
if [ -f "$case_dir/handlers" ]; then
  while IFS= read -r h || [ -n "$h" ]; do
    h=${h%%#*}
    h=$(echo "$h" | tr -d '[:space:]')
    [ -n "$h" ] && args+=(-h "$h")
  done < "$case_dir/handlers"
fi

cd "$work" || exit 1
timeout 60 "$uplane" run "${args[@]}" config.click > handlers.out 2> uplane.err
rc=$?
if [ $rc -ne 0 ]; then
  if [ $rc -eq 124 ]; then
    echo "golden $name: uplane did not stop within 60 s" >&2
  else
    echo "golden $name: uplane run exited with status $rc" >&2
  fi
  cat uplane.err >&2
  exit 1
fi

shopt -s nullglob
outputs=(out*.pcap)
{
  for f in "${outputs[@]}"; do
    echo "== $f"
    "$text" "$f" || echo "# golden_pcap_text failed on $f"
  done
  echo "== handlers"
  cat handlers.out
} > actual.txt

if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
  cp actual.txt "$case_dir/expected.txt"
  echo "golden $name: wrote $case_dir/expected.txt — review it line by line"
  exit 0
fi
if [ ! -f "$case_dir/expected.txt" ]; then
  echo "golden $name: no expected.txt (run with UPDATE_GOLDEN=1, then review it)" >&2
  cat actual.txt
  exit 1
fi
if ! diff -u "$case_dir/expected.txt" actual.txt; then
  echo "golden $name: output differs from expected.txt (uplane's stderr follows)" >&2
  cat uplane.err >&2
  exit 1
fi
