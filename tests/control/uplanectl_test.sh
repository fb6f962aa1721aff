#!/usr/bin/env bash
# uplanectl as a user meets it: `uplane run` on a configuration with ControlSocket(unix, ...),
# then reads, writes, listings, errors with Click's codes and exit statuses, and a stop
# through the socket.
#   uplanectl_test.sh UPLANE UPLANECTL
set -u
uplane=$1
ctl=$2
dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail=0
check() {  # check NAME CONDITION-RESULT
  if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

sock=$dir/ctl.sock
cat >"$dir/run.click" <<CFG
ControlSocket(unix, $sock);
src :: RatedSource(RATE 2000, LIMIT -1) -> c :: Counter -> Discard;
CFG

# Not running yet: exit 2, and the reason.
out=$(timeout 30 "$ctl" -s "$sock" -t 1 read c.count 2>&1); rc=$?
check "no server: exit 2 with the reason" $([ $rc = 2 ] && grep -q "connect to $sock" <<<"$out"; echo $?)

timeout 60 "$uplane" run "$dir/run.click" >"$dir/out" 2>"$dir/err" &
pid=$!
up=1
for _ in $(seq 1 100); do
  if "$ctl" -s "$sock" -t 1 check >/dev/null 2>&1; then up=0; break; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.1
done
check "uplane run opens the control socket" $up
if [ $up != 0 ]; then
  echo "uplane said:"; cat "$dir/err"
  grep -q "unknown element class 'ControlSocket'" "$dir/err" &&
    echo "(the uplane binary must link uplane_control)"
  exit 1
fi

out=$("$ctl" -s "$sock" check); rc=$?
check "check prints the protocol greeting" $([ $rc = 0 ] && [ "$out" = "$sock: Click::ControlSocket/1.3" ]; echo $?)

# read: the value as the handler prints it; counts move while it runs.
a=$("$ctl" -s "$sock" read c.count); rc1=$?
sleep 0.3
b=$("$ctl" -s "$sock" read c.count); rc2=$?
check "read prints a counter that grows while the router runs" \
  $([ $rc1 = 0 ] && [ $rc2 = 0 ] && [[ "$a" =~ ^[0-9]+$ ]] && [[ "$b" =~ ^[0-9]+$ ]] && [ "$b" -gt "$a" ]; echo $?)
out=$(UPLANE_CONTROL=$sock "$ctl" read c.class); rc=$?
check "UPLANE_CONTROL names the socket" $([ $rc = 0 ] && [ "$out" = "Counter" ]; echo $?)
out=$("$ctl" -s "$sock" read version); rc=$?
check "read of a router handler" $([ $rc = 0 ] && [ -n "$out" ]; echo $?)

out=$("$ctl" -s "$sock" list); rc=$?
check "list prints the element names" $([ $rc = 0 ] && grep -qx "c" <<<"$out" && grep -qx "src" <<<"$out" &&
  [ "$(wc -l <<<"$out")" = 4 ]; echo $?)
out=$("$ctl" -s "$sock" handlers c); rc=$?
check "handlers lists an element's handlers" \
  $([ $rc = 0 ] && grep -qP "^count\tr$" <<<"$out" && grep -qP "^reset\tw$" <<<"$out"; echo $?)

# Errors: Click's code and message on stderr, exit 1.
out=$("$ctl" -s "$sock" read nosuch.count 2>&1 >/dev/null); rc=$?
check "unknown element: 510, exit 1" $([ $rc = 1 ] && [ "$out" = "uplanectl: 510 No element named 'nosuch'" ]; echo $?)
out=$("$ctl" -s "$sock" read c.nosuch 2>&1 >/dev/null); rc=$?
check "unknown handler: 511, exit 1" $([ $rc = 1 ] && [ "$out" = "uplanectl: 511 No handler named 'c.nosuch'" ]; echo $?)
out=$("$ctl" -s "$sock" write c.count 5 2>&1 >/dev/null); rc=$?
check "write to a read-only handler: 530, exit 1" \
  $([ $rc = 1 ] && [ "$out" = "uplanectl: 530 Handler 'c.count' read-only" ]; echo $?)
out=$("$ctl" -s "$sock" write c.reset 2>&1 >/dev/null); rc=$?
check "element write while running: 520 with the router's reason" \
  $([ $rc = 1 ] && grep -q "^uplanectl: 520 Write handler 'c.reset' error:" <<<"$out" &&
    grep -q "^uplanectl: 520 .*only while the router is stopped" <<<"$out"; echo $?)
out=$("$ctl" -s "$sock" check c.count); rc=$?
check "check HANDLER: readable" $([ $rc = 0 ] && [ "$out" = "Read handler 'c.count' OK" ]; echo $?)
out=$("$ctl" -s "$sock" check -w c.count 2>&1); rc=$?
check "check -w HANDLER: not writable, exit 1" \
  $([ $rc = 1 ] && [ "$out" = "uplanectl: 511 Handler 'c.count' not writable" ]; echo $?)

# call: any command as it is.
out=$("$ctl" -s "$sock" call READ c.class); rc=$?
check "call passes a command through and prints the reply and data" \
  $([ $rc = 0 ] && [ "$out" = "$(printf "200 Read handler 'c.class' OK\nCounter")" ]; echo $?)
out=$("$ctl" -s "$sock" call TENANT LIST 2>&1); rc=$?
check "call of a command the server lacks: 501, exit 1" \
  $([ $rc = 1 ] && [ "$out" = "uplanectl: 501 Command 'TENANT' unimplemented" ]; echo $?)
out=$(printf 'xyz' | "$ctl" -s "$sock" call -d - READDATA c.count 2>&1); rc=$?
check "call -d sends data after the line" \
  $([ $rc = 1 ] && grep -q "520 read handler 'count' takes no arguments" <<<"$out"; echo $?)

# A second router on the same socket is refused; the first keeps it.
out=$(timeout 30 "$uplane" check "$dir/run.click" 2>&1); rc=$?
check "a second server on the same socket is refused" \
  $([ $rc = 1 ] && grep -q "another server is listening" <<<"$out"; echo $?)
out=$("$ctl" -s "$sock" read c.class); rc=$?
check "the first server still answers" $([ $rc = 0 ] && [ "$out" = "Counter" ]; echo $?)

# Garbage on the socket does not hurt it.
if command -v python3 >/dev/null; then
  python3 - "$sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(bytes(range(256)) * 64 + b"A" * 200000)
s.close()
PY
fi
out=$("$ctl" -s "$sock" read c.class); rc=$?
check "the server survives garbage and a long line" $([ $rc = 0 ] && [ "$out" = "Counter" ]; echo $?)

# write stop: the router stops, uplane exits 0, the socket file goes.
out=$("$ctl" -s "$sock" write stop); rc=$?
check "write stop is accepted" $([ $rc = 0 ] && [ -z "$out" ]; echo $?)
stopped=1
for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then stopped=0; break; fi
  sleep 0.1
done
wait "$pid"; rc=$?
pid=
check "uplane exits 0 after stop" $([ $stopped = 0 ] && [ $rc = 0 ]; echo $?)
check "the socket file is removed" $([ ! -e "$sock" ]; echo $?)
[ $rc = 0 ] || cat "$dir/err"

exit $fail
