#!/usr/bin/env bash
# What a user sees from the uplane command: exit codes, error positions, DOT output, and
# `run` stopping on SIGINT/SIGTERM and then printing handlers as Click's -h does.
#   cli_test.sh UPLANE
set -u
uplane=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() {  # check NAME CONDITION-RESULT
  if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

# check: a good configuration exits 0 and prints nothing.
printf 'InfiniteSource(LIMIT 3, STOP true) -> c :: Counter -> Discard;\n' >"$dir/good.click"
out=$(timeout 30 "$uplane" check "$dir/good.click" 2>&1); rc=$?
check "check accepts a good configuration" $([ $rc = 0 ] && [ -z "$out" ]; echo $?)

# check: errors name file:line:col and exit 1.
printf 'a :: Counter;\n\n  InfiniteSource -> a -> Discard;\nb :: Frob(3);\n' >"$dir/bad.click"
out=$(timeout 30 "$uplane" check "$dir/bad.click" 2>&1); rc=$?
check "check rejects an unknown class with file:line:col" \
  $([ $rc = 1 ] && grep -q "bad.click:4:1: .*unknown element class 'Frob'" <<<"$out"; echo $?)
printf 'c :: Counter;\nInfiniteSource -> c[1] -> Discard;\n' >"$dir/port.click"
out=$(timeout 30 "$uplane" check "$dir/port.click" 2>&1); rc=$?
check "check rejects a bad port number" $([ $rc = 1 ] && grep -q "port.click:2:" <<<"$out"; echo $?)
printf 'q :: Queue(CAPACITY x) -> Discard;\nInfiniteSource -> q;\n' >"$dir/kw.click"
out=$(timeout 30 "$uplane" check "$dir/kw.click" 2>&1); rc=$?
check "check names the element and keyword of a bad argument" \
  $([ $rc = 1 ] && grep -q "kw.click:1:.*CAPACITY" <<<"$out"; echo $?)

# graph: DOT with one node per element and the edges.
out=$(timeout 30 "$uplane" graph "$dir/good.click" 2>&1); rc=$?
check "graph prints DOT" $([ $rc = 0 ] && grep -q '^digraph' <<<"$out" && grep -q '"c"' <<<"$out" &&
  [ "$(grep -c -- '->' <<<"$out")" -ge 2 ]; echo $?)

# run: STOP ends the run; -h prints the handler value alone when there is one.
out=$(timeout 30 "$uplane" run -h c.count "$dir/good.click" 2>&1); rc=$?
check "run stops when the source says STOP and prints the handler" \
  $([ $rc = 0 ] && [ "$out" = "3" ]; echo $?)

# run: an endless source stops on SIGINT and on SIGTERM; handlers are printed after.
printf 'InfiniteSource(BURST 32) -> c :: Counter -> Discard;\n' >"$dir/endless.click"
for sig in INT TERM; do
  timeout 30 "$uplane" run -j 2 -h c.count -h c.byte_count "$dir/endless.click" >"$dir/out" 2>&1 &
  pid=$!
  # Wait (bounded) until the run is under way, then signal it.
  for _ in $(seq 50); do sleep 0.1; done
  kill -s "$sig" "$pid"
  wait "$pid"; rc=$?
  count=$(sed -n '/^c.count:$/{n;p}' "$dir/out")
  check "run stops on SIG$sig, exits 0 and prints handlers" \
    $([ $rc = 0 ] && [ -n "$count" ] && [ "$count" -gt 0 ] && grep -q '^c.byte_count:$' "$dir/out"; echo $?)
done

# run --rates: a line a second (here every 0.2 s) with the rate of each moving count handler,
# while it runs; the rates agree with the final count.
timeout 30 "$uplane" run --rates 0.2 -h c.count "$dir/endless.click" >"$dir/rates" 2>&1 &
pid=$!
for _ in $(seq 100); do  # bounded: until three lines, or 10 s
  [ "$(grep -c '^rates' "$dir/rates")" -ge 3 ] && break
  sleep 0.1
done
kill -s INT "$pid"
wait "$pid"; rc=$?
lines=$(grep -c '^rates t=[0-9.]*s InfiniteSource@1=[0-9]*/s c=[0-9]*/s Discard@3=[0-9]*/s$' "$dir/rates")
rate=$(grep -m1 '^rates' "$dir/rates" | sed 's/.* c=\([0-9]*\)\/s.*/\1/')
check "run --rates prints each count handler's rate while running" \
  $([ $rc = 0 ] && [ "$lines" -ge 3 ] && [ "${rate:-0}" -gt 0 ]; echo $?)
out=$(timeout 30 "$uplane" run --rates 0 "$dir/good.click" 2>&1); rc=$?
check "run --rates refuses an interval below 0.1 s" $([ $rc != 0 ] && grep -q rates <<<"$out"; echo $?)

# host --check: the example host passes; a broken one gets every error, file:line:col, exit 1.
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$(timeout 30 "$uplane" host --check "$src/examples/host/host.toml" 2>&1); rc=$?
check "host --check accepts the example host" \
  $([ $rc = 0 ] && [ "$out" = "$src/examples/host/host.toml: OK (2 ports, 1 worker, 2 tenants)" ]; echo $?)
printf '[[port]]\nname = "p0"\ndevice = "veth0"\nqueus = 2\n[[tenant]]\nname = "1x"\nclick = "Idle -> Discard"\n' >"$dir/host.toml"
out=$(timeout 30 "$uplane" host --check "$dir/host.toml" 2>&1); rc=$?
check "host --check reports every error with file:line:col and exits 1" \
  $([ $rc = 1 ] && grep -q "host.toml:4:1: unknown key 'queus' in \[\[port\]\]" <<<"$out" &&
    grep -q "host.toml:6:8: tenant.name: '1x' is not a valid name" <<<"$out"; echo $?)

exit $fail
