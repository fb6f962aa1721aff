#!/usr/bin/env bash
# bench/tenant/tap_hop.sh — the baseline of issue 6: how many frames a second a conventional
# user-mode router on TAP devices forwards (tenant_tap_router, bench/tenant/tap_router.cc:
# one read() and one write() per frame, the design EUROPA was measured against).
#
#   ns uptapPID:  uplane-pktgen tx -i tA ──> tA ══ fd ══> tenant_tap_router ══ fd ══> tB
#                 (AF_PACKET, 64-byte frames)     (read)     (MAC swap, TTL - 1)   (write)
#
# Everything lives in one namespace named after this process: two TAP interfaces (tA, tB,
# `ip tuntap add ... mode tap`, up, IPv6 off so the kernel adds no frames of its own). Each
# round starts the router on tA -> tB, waits for tA's carrier (the router attached), then
# the generator: uplane-pktgen tx on tA through an AF_PACKET socket (--method packet, which
# bypasses the qdisc), 60-byte frames (64 with the FCS) at full rate. The kernel hands each
# frame to tA's descriptor, the router reads it and writes it to tB's, and the kernel counts
# it in tB's rx_packets. After --warmup seconds (default 1), the rate is the growth of tB's
# rx_packets over the next --seconds, divided by the time actually elapsed between the two
# reads. The router runs on CPU 1 and the generator on CPU 0 (when there are two); the
# kernel's receive work for what the router writes to tB runs in the router's write().
#
# Each round prints `tap_hop round=<i> pps=<x>`, and on stderr what else it saw: how often
# a second the generator's frames reached tA (tA's tx_packets + tx_dropped: the frames the
# router read, and the attempts tA refused because its queue was full, the router behind;
# AF_PACKET's transmit ring keeps a refused frame and sends it again, so a refusal is not
# a loss and the generator's own count equals the router's reads), the router's CPU use
# (utime + stime, /proc/PID/stat, as a percentage of one core; it includes the kernel's
# receive work on tB), pps divided by that share (what a whole core would forward: on a
# busy machine the router gets only part of its CPU) and the router's and the generator's
# summaries. The end prints
#   tap_hop median_pps=<x>
#
# Usage (root): bench/tenant/tap_hop.sh [--rounds N] [--seconds S] [--warmup S]
#                                       [--router PATH] [--pktgen PATH]
# --router defaults to build/release/bench/tenant_tap_router, else the newest
# build/*/bench/tenant_tap_router; --pktgen to build/release/tools/pktgen/uplane-pktgen,
# else the newest build/*/tools/pktgen/uplane-pktgen:
# `cmake --preset release && ninja -C build/release tenant_tap_router uplane-pktgen`.
# Defaults: 3 rounds, 3 s windows: about 20 s. The namespace and everything in it is torn
# down on exit, INT and TERM; every wait is bounded.
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
rounds=3 seconds=3 warmup=1 router='' pktgen=''
usage="usage: $0 [--rounds N] [--seconds S] [--warmup S] [--router PATH] [--pktgen PATH]"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:-}; shift 2 ;;
    --seconds) seconds=${2:-}; shift 2 ;;
    --warmup) warmup=${2:-}; shift 2 ;;
    --router) router=${2:-}; shift 2 ;;
    --pktgen) pktgen=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[[ $rounds =~ ^[1-9][0-9]?$ && $seconds =~ ^[1-9][0-9]?$ && $warmup =~ ^[0-9]$ ]] ||
  { echo "--rounds and --seconds: 1..99; --warmup: 0..9 whole seconds" >&2; exit 2; }

# build/release/REL, else the newest build/*/REL; empty when there is none.
find_built() {
  local rel=$1 best='' c
  [ -x "$repo/build/release/$rel" ] && { echo "$repo/build/release/$rel"; return; }
  for c in "$repo"/build/*/"$rel"; do
    [ -x "$c" ] || continue
    if [ -z "$best" ] || [ "$c" -nt "$best" ]; then best=$c; fi
  done
  echo "$best"
}
[ -n "$router" ] || router=$(find_built bench/tenant_tap_router)
[ -n "$pktgen" ] || pktgen=$(find_built tools/pktgen/uplane-pktgen)
[ -x "$router" ] ||
  { echo "no tenant_tap_router${router:+ at $router}: build it (see --help)" >&2; exit 1; }
[ -x "$pktgen" ] ||
  { echo "no uplane-pktgen${pktgen:+ at $pktgen}: build it (see --help)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (network namespaces, TAP devices)" >&2; exit 1; }
for t in ip taskset awk sort getconf; do
  command -v "$t" >/dev/null || { echo "missing tool: $t (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -e /dev/net/tun ] || { echo "no /dev/net/tun (modprobe tun)" >&2; exit 1; }

ns=uptap$$
T=$(mktemp -d /tmp/tap_hop.XXXXXX)
pids=()
log() { echo "$*" >&2; }
nsx() { ip netns exec "$ns" "$@"; }

# Stops PID (TERM, then KILL after up to 2 s) and reaps it.
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() {
  local p
  for p in "${pids[@]}"; do stop_pid "$p"; done
  if ip netns list 2>/dev/null | grep -qw "^$ns"; then
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns" || { log "could not create namespace $ns"; exit 1; }
nsx ip link set lo up
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for d in tA tB; do
  if ! { nsx ip tuntap add dev "$d" mode tap && nsx ip link set "$d" up; }; then
    log "could not create TAP $d in $ns"; exit 1
  fi
done

# Command prefixes that pin (none on a one-CPU machine). Not a function: a function run in
# the background is a subshell, and $! would name it instead of the process.
pin_router=() pin_gen=()
if [ "$(nproc)" -ge 2 ]; then pin_router=(taskset -c 1) pin_gen=(taskset -c 0); fi

hz=$(getconf CLK_TCK)
stat_of() { nsx cat "/sys/class/net/$1/statistics/$2"; }
proc_ticks() {  # utime + stime of PID, in clock ticks
  [ -r "/proc/$1/stat" ] || { echo 0; return; }
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
median() {  # median of the numbers on standard input ("nan" when none)
  sort -g | awk '{ v[n++] = $1 } END { if (!n) { print "nan"; exit }
    print (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}
per_s() { awk -v d="$1" -v ns="$2" 'BEGIN { printf "%.0f", (ns > 0) ? d * 1e9 / ns : 0 }'; }

: >"$T/pps"
for i in $(seq "$rounds"); do
  # The router outlives the round by a margin; the generator stops by itself too.
  "${pin_router[@]}" ip netns exec "$ns" "$router" --seconds $((warmup + seconds + 10)) tA tB \
    >"$T/router.$i" 2>&1 &
  rpid=$!
  pids+=("$rpid")
  up=0
  for _ in $(seq 50); do  # at most 5 s for the router to attach
    [ "$(nsx cat /sys/class/net/tA/carrier 2>/dev/null)" = 1 ] && { up=1; break; }
    kill -0 "$rpid" 2>/dev/null || break
    sleep 0.1
  done
  [ "$up" = 1 ] ||
    { log "round $i: the router did not attach to tA: $(cat "$T/router.$i")"; exit 1; }
  "${pin_gen[@]}" timeout -s KILL $((warmup + seconds + 15)) ip netns exec "$ns" \
    "$pktgen" tx -i tA --method packet --size 60 --dst-mac 02:00:00:00:00:01 \
    --duration $((warmup + seconds + 5)) --quiet >"$T/pktgen.$i" 2>&1 &
  gpid=$!
  pids+=("$gpid")
  sleep "$warmup"
  kill -0 "$gpid" 2>/dev/null ||
    { log "round $i: the generator exited: $(cat "$T/pktgen.$i")"; exit 1; }
  rx0=$(stat_of tB rx_packets) tx0=$(stat_of tA tx_packets) dr0=$(stat_of tA tx_dropped)
  c0=$(proc_ticks "$rpid") t0=$(date +%s%N)
  sleep "$seconds"
  rx1=$(stat_of tB rx_packets) tx1=$(stat_of tA tx_packets) dr1=$(stat_of tA tx_dropped)
  c1=$(proc_ticks "$rpid") t1=$(date +%s%N)
  stop_pid "$gpid"
  stop_pid "$rpid"
  pids=()
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  dt=$((t1 - t0))
  pps=$(per_s $((rx1 - rx0)) "$dt")
  offered=$(per_s $((tx1 - tx0 + dr1 - dr0)) "$dt")
  overflow=$(per_s $((dr1 - dr0)) "$dt")
  cpu=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v ns="$dt" 'BEGIN { printf "%.0f", c / hz * 1e11 / ns }')
  [ $((tx1 - tx0 + dr1 - dr0)) -gt 0 ] ||
    { log "round $i: the generator sent nothing to tA: $(cat "$T/pktgen.$i")"; exit 1; }
  echo "$pps" >>"$T/pps"
  echo "tap_hop round=$i pps=$pps"
  per_core=$(awk -v p="$pps" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0) ? p * 100 / c : 0 }')
  log "  round $i: frames at tA ${offered}/s (of which refused, queue full: ${overflow}/s)," \
    "router CPU ${cpu}% of a core (${per_core} pps per core);" \
    "$(tail -n 1 "$T/router.$i");" \
    "$(grep -o 'tx summary.*' "$T/pktgen.$i" | tail -n 1)"
done
echo "tap_hop median_pps=$(median <"$T/pps")"
