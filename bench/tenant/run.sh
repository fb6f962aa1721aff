#!/usr/bin/env bash
# bench/tenant/run.sh — what tenancy costs: `uplane host` against `uplane run`, and an idle
# host's CPU use and wake-up latency (issue 5, items 4 and 5).
#
#   host_overhead  The framework's cost of tenancy on null ports (no device, no kernel):
#                  `uplane run` with FromDevice(n0, METHOD NULL) -> ToDevice(n1, METHOD NULL)
#                  and n1 -> n0 (-j 1: one worker, pinned) against `uplane host` with two
#                  null host ports, one worker pinned to CPU 1 and one tenant,
#                  FromDevice(p0) -> ToDevice(p1) and p1 -> p0. Both directions, because a
#                  host polls every host port and a null port never runs dry: with p0 -> p1
#                  alone the host would also take p1's endless frames and drop them
#                  (no_input), work `uplane run` does not do. Both processes run under
#                  taskset -c 1, at the same priority. Forwarded Mpps = the mean of the
#                  `--rates 1` lines (run: td0 + td1; host: the tenant's tx) over --window
#                  seconds after --warmup. The tenant's selector is the full one (ports p0
#                  and p1, untagged, the null frame's MACs), so every frame goes through the
#                  demultiplexer's port, VLAN and MAC match, the tenant's ingress ring, the
#                  accounting (TSC around the tenant's graph work), the multiplexer and the
#                  egress check (port, VLAN, source MAC). ratio = host/run; 1 - ratio bounds
#                  the accounting overhead from above (issue 5: at most 5%): it also holds
#                  the demux, the rings and the egress checks.
#   accounting     What the per-tenant accounting alone costs (issue 5: at most 5%): the
#                  same null-port host as host_overhead, `uplane host` against
#                  `uplane host --no-accounting` (no per-tenant bytes, no cycle counter
#                  read around each graph pass; packets and drops are counted either way,
#                  one add per batch). ratio = with / without.
#   idle_cpu       `uplane host` on the tenants bed of tests/netns/lib.sh (tenant blue only,
#                  ports on AF_XDP, one unpinned worker), no traffic: the host process's CPU
#                  time (utime + stime of every thread, /proc/PID/stat) over --idle seconds,
#                  as a percentage of one core. Target: at most 2%. The round line also
#                  shows the same from /proc/PID/task/*/schedstat (nanoseconds, not ticks)
#                  and the frames the host ports received in the window (should be 0).
#   wake_latency   The same bed and host: single pings blue1 -> blue2 (through the host
#                  twice, request and reply), each after >= 1.2 s without traffic, through
#                  the host as it is (adaptive polling: its worker asleep in ppoll) and
#                  through the same host with --busy-poll (a worker that never sleeps), in
#                  turn; the round's value is the difference of the two medians of its
#                  --samples idle RTTs: what sleeping adds to the first packet after idle.
#                  Target: at most 50 us. The floor: tenant_wake_probe
#                  (bench/tenant/wake_probe.cc), a thread asleep in ppoll for 1.2 s on an
#                  eventfd, woken by a write from the other CPU: how long this machine takes
#                  to wake any sleeping poller. The RTTs are shown too (idle, with
#                  --busy-poll, 10 ms apart, back to back with -A) beside the kernel's own
#                  path through a Linux router namespace (k1 -- veth -- kr, ip_forward=1 --
#                  veth -- k2), pinged right after each uplane sample (idle as long).
#                  (Timing the worker's pick-up from the kernel's receive stamp, the host's
#                  `workers` handler, needs AF_PACKET ports, whose TPACKET_V3 ring hands a
#                  lone frame over only when its block retires, after up to 1 ms: it would
#                  time the ring, not the wake.)
#
# The steps run interleaved: every round runs `uplane run` on null ports, `uplane host` on
# null ports, and the bed host (idle_cpu, then wake_latency), in reverse order every other
# round. Each round prints what it measured; the end prints the medians over rounds and
#   RESULT <case> uplane=<x> <peer>=<y> ratio=<r> unit=<u>
# host_overhead: peer `run` (uplane run), ratio host/run (1.00 = tenancy is free).
# accounting: peer `no_accounting`, ratio with/without (at least 0.95 meets the issue). idle_cpu
# and wake_latency: peer `target` (the issue's), ratio value/target (at most 1 meets it).
# idle_rtt_vs_busy_poll, wake_vs_thread_wake: peer/uplane (above 1, uplane is ahead).
# idle_rtt_vs_kernel: the first ping's RTT after idle through uplane and through the kernel's
# path, ratio kernel/uplane (as in bench/ports: above 1, uplane is ahead).
# Rounds with CPU pressure (PSI "some") above --max-wait (default 20%) over the null window
# are marked * and left out of the host_overhead medians; when every round is (a shared,
# busy machine), the medians take them all and say so. host/run is also shown per round:
# the two ran seconds apart, under much the same load.
#
# Usage (root): bench/tenant/run.sh [--build DIR] [--rounds N] [--warmup S] [--window S]
#                                   [--idle S] [--samples N] [--cases "a b"] [--logs DIR]
#                                   [--max-wait PCT]
# DIR defaults to build/release (uplane, uplanectl and tenant_wake_probe built there:
# `cmake --preset release && ninja -C build/release uplane uplanectl tenant_wake_probe`).
# Defaults: 5 rounds, 1 s warm-up, 3 s window, 5 s idle, 5 wake samples per round: about
# 4 minutes. Everything runs in
# namespaces named after this process, torn down on exit, INT and TERM; every wait is
# bounded. --logs copies every log and the per-round results to DIR at the end.
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$repo/build/release
rounds=5 warmup=1 window=3 idle=5 samples=5 logs='' max_wait=20
all_cases="host_overhead accounting idle_cpu wake_latency"
cases=$all_cases
usage="usage: $0 [--build DIR] [--rounds N] [--warmup S] [--window S] [--idle S] [--samples N] [--cases LIST] [--logs DIR] [--max-wait PCT]"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "${2:-}" 2>/dev/null && pwd) || { echo "no directory '${2:-}'" >&2; exit 2; }; shift 2 ;;
    --rounds) rounds=${2:-}; shift 2 ;;
    --warmup) warmup=${2:-}; shift 2 ;;
    --window) window=${2:-}; shift 2 ;;
    --idle) idle=${2:-}; shift 2 ;;
    --samples) samples=${2:-}; shift 2 ;;
    --cases) cases=${2:-}; shift 2 ;;
    --logs) logs=${2:-}; shift 2 ;;
    --max-wait) max_wait=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
for c in $cases; do
  [[ " $all_cases " == *" $c "* ]] || { echo "unknown case '$c'; cases: $all_cases" >&2; exit 2; }
done
[[ $rounds =~ ^[1-9][0-9]?$ && $warmup =~ ^[0-9]+$ && $window =~ ^[1-9][0-9]?$ &&
   $idle =~ ^[1-9][0-9]?$ && $samples =~ ^[1-9][0-9]?$ && $max_wait =~ ^[0-9]+$ ]] ||
  { echo "--rounds, --samples 1..99; --warmup 0.., --window, --idle 1..99 whole seconds;" \
      "--max-wait a percentage" >&2; exit 2; }
has() { [[ " $cases " == *" $1 "* ]]; }
uplane=$build/tools/uplane/uplane
uplanectl=$build/tools/uplanectl/uplanectl
probe=$build/bench/tenant_wake_probe
for b in "$uplane" "$uplanectl" $(has wake_latency && echo "$probe"); do
  [ -x "$b" ] || { echo "missing $b: build it (see --help)" >&2; exit 1; }
done
for t in ip ping taskset timeout ethtool awk getconf; do
  command -v "$t" >/dev/null || { echo "missing tool: $t (scripts/install-deps.sh)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs two CPUs (the null forwarders run on CPU 1)" >&2; exit 1; }

# The tenants bed with one tenant (lib.sh reads NETNS_TENANTS when it is sourced).
NETNS_TENANTS=(blue)
# shellcheck source=tests/netns/lib.sh
source "$repo/tests/netns/lib.sh"
netns_begin upbt || exit 1
# Helpers shared with the other tenant bench: bench_cleanup, log, the measuring ones.
# shellcheck source=bench/tenant/measure.sh
source "$repo/bench/tenant/measure.sh"
trap bench_cleanup EXIT
T=$NETNS_TMP
SOCK=$T/control.sock
BLUE_DST=10.1.2.2 KERNEL_DST=10.9.2.2

# ---------------------------------------------------------------------------------------
# Beds. The null steps need no device; they run in ns rt with the others.
netns_tenants_setup || { log "could not build the tenants bed"; exit 1; }
# Permanent neighbours on the hosts: no ARP probe wakes the host in an idle window.
netns_exec blue1 ip neigh replace 10.1.1.1 lladdr "${TENANT_MAC[blue]}" dev eth0 nud permanent
netns_exec blue2 ip neigh replace 10.1.2.1 lladdr "${TENANT_MAC[blue]}" dev eth0 nud permanent
# The kernel's path: k1 10.9.1.2 -- kr (10.9.1.1, 10.9.2.1, forwarding) -- k2 10.9.2.2.
dev_mac() { netns_exec "$1" cat "/sys/class/net/$2/address"; }
kernel_setup() {
  netns_add k1 && netns_add kr && netns_add k2 || return 1
  netns_veth k1 eth0 kr p0 && netns_veth kr p1 k2 eth0 || return 1
  netns_exec k1 ip addr add 10.9.1.2/24 dev eth0
  netns_exec k2 ip addr add 10.9.2.2/24 dev eth0
  netns_exec kr ip addr add 10.9.1.1/24 dev p0
  netns_exec kr ip addr add 10.9.2.1/24 dev p1
  netns_exec k1 ip route add default via 10.9.1.1
  netns_exec k2 ip route add default via 10.9.2.1
  netns_exec kr sysctl -qw net.ipv4.ip_forward=1
  netns_exec k1 ip neigh replace 10.9.1.1 lladdr "$(dev_mac kr p0)" dev eth0 nud permanent
  netns_exec k2 ip neigh replace 10.9.2.1 lladdr "$(dev_mac kr p1)" dev eth0 nud permanent
  netns_exec kr ip neigh replace 10.9.1.2 lladdr "$(dev_mac k1 eth0)" dev p0 nud permanent
  netns_exec kr ip neigh replace 10.9.2.2 lladdr "$(dev_mac k2 eth0)" dev p1 nud permanent
  netns_exec k1 timeout 3 ping -q -n -c 1 -W 1 "$KERNEL_DST" >/dev/null 2>&1
}
if has wake_latency; then
  kernel_setup || { log "could not build the kernel's path (k1 - kr - k2)"; exit 1; }
fi

# ---------------------------------------------------------------------------------------
hz=$(getconf CLK_TCK)
proc_ticks() {  # utime + stime of every thread of PID, in clock ticks
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
rx_frames() {  # frames the host ports' devices received (both), from the kernel's counters
  netns_exec rt cat "/sys/class/net/$TENANTS_P0/statistics/rx_packets" \
    "/sys/class/net/$TENANTS_P1/statistics/rx_packets" | awk '{ s += $1 } END { print s + 0 }'
}
rtts_us() { awk '/ time=/ { for (i = 1; i <= NF; ++i) if ($i ~ /^time=/) { v = $i; sub(/^time=/, "", v); printf "%.1f\n", v * 1000 } }'; }

# ---------------------------------------------------------------------------------------
# Steps. Each sets its results and returns non-zero on failure.

cat >"$T/null-run.click" <<'EOF'
fd0 :: FromDevice(n0, METHOD NULL) -> td1 :: ToDevice(n1, METHOD NULL);
fd1 :: FromDevice(n1, METHOD NULL) -> td0 :: ToDevice(n0, METHOD NULL);
EOF
# The null frame: 02:00:00:00:00:01 -> 02:00:00:00:00:02, untagged (src/io/null_port.h). The
# selector matches it by destination; the egress check wants its source in `macs` too.
two_port_toml n0 n1 null "FromDevice(p0) -> ToDevice(p1); FromDevice(p1) -> ToDevice(p0);" '' \
  02:00:00:00:00:02 02:00:00:00:00:01 >"$T/null-host.toml"

# null_step run|host|noacct ROUND: sets PPS, WAIT, NOTE.
null_step() {
  local what=$1 l="$T/null-$1-r$2.log" pid p1 p2
  PPS=0 WAIT=nan NOTE=''
  case "$what" in
    run) netns_bg_first rt "$l" taskset -c 1 "$uplane" run -j 1 --rates 1 -h td0.count \
      -h td1.count "$T/null-run.click" ;;
    host) netns_bg_first rt "$l" taskset -c 1 "$uplane" host --rates 1 "$T/null-host.toml" ;;
    noacct) netns_bg_first rt "$l" taskset -c 1 "$uplane" host --no-accounting --rates 1 \
      "$T/null-host.toml" ;;
  esac
  pid=$NETNS_LAST_PID
  wait_rates "$l" "$pid" || { netns_stop "$pid" 10; return 1; }
  sleep "$warmup"
  p1=$(psi_us)
  sleep "$window"
  p2=$(psi_us)
  sleep 1.5  # the window's last rates line
  WAIT=$(psi_share "$p1" "$p2" "$window")
  netns_stop "$pid" 15 || log "uplane $what exited with status $? (see $l)"
  if [ "$what" = run ]; then
    PPS=$(mean_rate "$l" 'td[01]=')
  else
    PPS=$(mean_rate "$l" tx=)
    # The totals line: "tenant t: rx N tx N drops N cycles/packet N".
    NOTE=$(awk '/^tenant t:/ { printf "drops %s, %s cycles/pkt", $8, $10 }' "$l")
  fi
  [ "$PPS" -gt 0 ] 2>/dev/null
}

# bed_host TOML LOG [FLAGS]: starts `uplane host` on the bed and waits until blue's path
# works; sets BED_PID. Fails (host stopped) when it does not come up.
bed_host() {
  local toml=$1 l=$2 i
  shift 2
  rm -f "$SOCK"
  netns_bg_first rt "$l" "$uplane" host "$@" "$toml"
  BED_PID=$NETNS_LAST_PID
  for i in $(seq 100); do
    [ -S "$SOCK" ] && timeout 5 "$uplanectl" -s "$SOCK" list >/dev/null 2>&1 && break
    kill -0 "$BED_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$BED_PID" 2>/dev/null && [ -S "$SOCK" ] ||
    { log "bed host did not come up: $(tail -n 5 "$l")"; netns_stop "$BED_PID" 10; return 1; }
  # The path works (the tenant's ARP entries learnt) before anything is measured.
  for i in $(seq 10); do
    netns_exec blue1 timeout 3 ping -q -n -c 1 -W 1 "$BLUE_DST" >/dev/null 2>&1 && return 0
  done
  log "no path blue1 -> blue2 through the host"
  netns_stop "$BED_PID" 10
  return 1
}

# idle_pings: $samples single pings blue1 -> blue2, each after 1.2 s without traffic, each
# followed by one through the kernel's path (idle as long). Appends the RTTs (us) to U_IDLE
# and K_IDLE.
idle_pings() {
  local i out
  for i in $(seq "$samples"); do
    sleep 1.2
    out=$(netns_exec blue1 timeout 3 ping -n -c 1 -W 1 "$BLUE_DST" 2>&1 | rtts_us)
    [ -n "$out" ] && U_IDLE+="$out "
    out=$(netns_exec k1 timeout 3 ping -n -c 1 -W 1 "$KERNEL_DST" 2>&1 | rtts_us)
    [ -n "$out" ] && K_IDLE+="$out "
  done
}

# bed_idle ROUND: the host on the AF_XDP bed, no traffic: its CPU use.
bed_idle() {
  local r=$1 t1 t2 s1 s2 x1 x2
  bed_host "$T/bed.toml" "$T/bed-idle-r$r.log" || return 1
  sleep 1.2
  t1=$(proc_ticks "$BED_PID") s1=$(proc_run_ns "$BED_PID") x1=$(rx_frames)
  sleep "$idle"
  t2=$(proc_ticks "$BED_PID") s2=$(proc_run_ns "$BED_PID") x2=$(rx_frames)
  IDLE_PCT=$(awk -v d=$((t2 - t1)) -v hz="$hz" -v s="$idle" 'BEGIN { printf "%.2f", d / hz / s * 100 }')
  IDLE_SCHED_PCT=$(awk -v a="$s1" -v b="$s2" -v s="$idle" 'BEGIN { printf "%.2f", (b - a) / 1e9 / s * 100 }')
  IDLE_RX=$((x2 - x1))
  netns_stop "$BED_PID" 15 || log "bed host exited with status $? (see $T/bed-idle-r$r.log)"
  return 0
}

# bed_wake ROUND adaptive|spin: the host on the AF_XDP bed, adaptive or --busy-poll: idle
# pings; the adaptive one also pings 10 ms apart and back to back.
bed_wake() {
  local r=$1 mode=$2 l="$T/bed-$2-r$1.log"
  if [ "$mode" = spin ]; then
    bed_host "$T/bed.toml" "$l" --busy-poll || return 1
  else
    bed_host "$T/bed.toml" "$l" || return 1
  fi
  U_IDLE='' K_IDLE=''
  idle_pings
  echo "$r $mode: uplane idle RTT: $U_IDLE kernel idle RTT: $K_IDLE" >>"$T/samples"
  if [ "$mode" = spin ]; then
    SPIN_IDLE_RTT=$(echo "$U_IDLE" | tr ' ' '\n' | grep . | median)
  else
    IDLE_RTT=$(echo "$U_IDLE" | tr ' ' '\n' | grep . | median)
    K_IDLE_RTT=$(echo "$K_IDLE" | tr ' ' '\n' | grep . | median)
    # Pings 10 ms apart: 51, the first (after idle) left out.
    B2B_RTT=$(netns_exec blue1 timeout 10 ping -n -c 51 -i 0.01 -W 1 "$BLUE_DST" 2>&1 | rtts_us | tail -n +2 | median)
    K_B2B_RTT=$(netns_exec k1 timeout 10 ping -n -c 51 -i 0.01 -W 1 "$KERNEL_DST" 2>&1 | rtts_us | tail -n +2 | median)
    # Adaptive pings (-A), each sent as the previous reply arrives (tens of us apart).
    BUSY_RTT=$(netns_exec blue1 timeout 10 ping -n -A -c 101 -W 1 "$BLUE_DST" 2>&1 | rtts_us | tail -n +2 | median)
    K_BUSY_RTT=$(netns_exec k1 timeout 10 ping -n -A -c 101 -W 1 "$KERNEL_DST" 2>&1 | rtts_us | tail -n +2 | median)
  fi
  netns_stop "$BED_PID" 15 || log "bed host exited with status $? (see $l)"
  return 0
}

# bed_step ROUND: sets IDLE_PCT, IDLE_SCHED_PCT, IDLE_RX, WAKE_US, IDLE_RTT, SPIN_IDLE_RTT,
# B2B_RTT, K_IDLE_RTT, K_B2B_RTT, BUSY_RTT, K_BUSY_RTT, PROBE_US. The adaptive and the
# spinning host take turns going first.
bed_step() {
  local r=$1 out
  IDLE_PCT=nan IDLE_SCHED_PCT=nan IDLE_RX=nan WAKE_US=nan IDLE_RTT=nan SPIN_IDLE_RTT=nan
  B2B_RTT=nan K_IDLE_RTT=nan K_B2B_RTT=nan BUSY_RTT=nan K_BUSY_RTT=nan PROBE_US=nan
  if has idle_cpu; then
    bed_idle "$r" || return 1
  fi
  if has wake_latency; then
    if [ $((r % 2)) = 0 ]; then
      bed_wake "$r" spin && bed_wake "$r" adaptive || return 1
    else
      bed_wake "$r" adaptive && bed_wake "$r" spin || return 1
    fi
    WAKE_US=$(awk -v a="$IDLE_RTT" -v b="$SPIN_IDLE_RTT" 'BEGIN { print (a == "nan" || b == "nan") ? "nan" : sprintf("%.1f", a - b) }')
    out=$(timeout 120 "$probe" --samples "$samples" --idle-ms 1200 --short-ms 10 --sleeper-cpu 1 \
      --waker-cpu 0 2>&1 | tee -a "$T/probe.log" | awk '/^wake_probe/ { for (i = 2; i <= NF; ++i)
        if ($i ~ /^long_us=/) { sub(/^long_us=/, "", $i); print $i } }')
    [ -n "$out" ] && PROBE_US=$out
  fi
  return 0
}

# ---------------------------------------------------------------------------------------
netns_tenants_host_toml xdp "$SOCK" >"$T/bed.toml"
if has idle_cpu || has wake_latency; then
  "$uplane" host --check "$T/bed.toml" >"$T/check.log" 2>&1 ||
    { log "uplane host --check rejects the bed: $(cat "$T/check.log")"; exit 1; }
fi
"$uplane" host --check "$T/null-host.toml" >"$T/check-null.log" 2>&1 ||
  { log "uplane host --check rejects the null host: $(cat "$T/check-null.log")"; exit 1; }

echo "bench/tenant: $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) $(nproc) CPUs; rounds=$rounds warmup=${warmup}s window=${window}s idle=${idle}s samples=$samples"
echo "uplane: $uplane ($("$uplane" --version 2>/dev/null))"
results=$T/results  # "null_run|null_host ROUND PPS WAIT" and "bed ROUND IDLE_PCT ... "
: >"$results"
steps=()
has host_overhead && steps+=(null_run)
{ has host_overhead || has accounting; } && steps+=(null_host)
has accounting && steps+=(null_noacct)
{ has idle_cpu || has wake_latency; } && steps+=(bed)
for r in $(seq "$rounds"); do
  list=("${steps[@]}")
  if [ $((r % 2)) = 0 ]; then
    list=()
    for ((i = ${#steps[@]} - 1; i >= 0; --i)); do list+=("${steps[i]}"); done
  fi
  echo "round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  for s in "${list[@]}"; do
    case "$s" in
      null_run | null_host | null_noacct)
        null_step "${s#null_}" "$r"
        rc=$?
        [ "$rc" != 0 ] && PPS=0
        echo "$s $r $PPS $WAIT" >>"$results"
        printf 'round %d %-10s %8.3f Mpps  wait %3s%%%s%s\n' "$r" "$s" \
          "$(awk -v p="$PPS" 'BEGIN { print p / 1e6 }')" "$WAIT" "${NOTE:+  ($NOTE)}" \
          "$([ "$rc" != 0 ] && echo "  FAILED")"
        ;;
      bed)
        bed_step "$r" || { echo "round $r bed        FAILED"; continue; }
        echo "bed $r $IDLE_PCT $IDLE_SCHED_PCT $IDLE_RX $WAKE_US $IDLE_RTT $B2B_RTT $SPIN_IDLE_RTT $K_IDLE_RTT $K_B2B_RTT $BUSY_RTT $K_BUSY_RTT $PROBE_US" >>"$results"
        has idle_cpu && printf 'round %d %-10s %6s%% of a core (schedstat %s%%), %s frames in on the host ports\n' \
          "$r" idle_cpu "$IDLE_PCT" "$IDLE_SCHED_PCT" "$IDLE_RX"
        has wake_latency && printf 'round %d %-10s %6s us: idle RTT %s us - with --busy-poll %s us (a thread woken after 1.2 s across CPUs: %s us);  10 ms apart %s, busy %s;  kernel idle %s us (10 ms apart %s, busy %s)\n' \
          "$r" wake "$WAKE_US" "$IDLE_RTT" "$SPIN_IDLE_RTT" "$PROBE_US" "$B2B_RTT" "$BUSY_RTT" "$K_IDLE_RTT" "$K_B2B_RTT" "$K_BUSY_RTT"
        ;;
    esac
  done
done

# ---------------------------------------------------------------------------------------
# The rounds whose null windows had CPU pressure above --max-wait are left out of the
# host_overhead medians; when every round had (a busy shared machine), all rounds count.
uncontended() {  # uncontended STEP: how many of its rounds are usable and uncontended
  awk -v s="$1" -v mw="$max_wait" '$1 == s && $3 > 0 && ($4 == "nan" || $4 <= mw) { k++ } END { print k + 0 }' "$results"
}
col() {  # col STEP FIELD: the column's values over rounds
  local mw=$max_wait
  case "$1" in null_*) [ "$(uncontended "$1")" = 0 ] && mw=1000 ;; esac
  awk -v s="$1" -v f="$2" -v mw="$mw" '$1 == s && $f != "nan" &&
    (s == "bed" || ($3 > 0 && ($4 == "nan" || $4 <= mw))) { print $f }' "$results"
}
echo
echo "medians over $rounds rounds:"
if has host_overhead; then
  run=$(col null_run 3 | median) host=$(col null_host 3 | median)
  for s in null_run null_host; do
    printf '  %-14s %8s Mpps  (per round, * contended: %s)%s\n' "$s" \
      "$(col "$s" 3 | median | awk '$1 == "nan" { print; next } { printf "%.3f", $1 / 1e6 }')" \
      "$(awk -v s="$s" -v mw="$max_wait" '$1 == s { printf "%.3f%s ", $3 / 1e6, ($4 != "nan" && $4 > mw) ? "*" : "" }' "$results")" \
      "$([ "$(uncontended "$s")" = 0 ] && echo "  every round contended: median over all")"
  done
  # host/run within each round: the two ran seconds apart, under much the same load.
  printf '  %-14s %s (per round: %s)\n' host/run \
    "$(awk '$1 == "null_run" { r[$2] = $3 } $1 == "null_host" { h[$2] = $3 }
        END { for (k in h) if (r[k] > 0 && h[k] > 0) printf "%.3f\n", h[k] / r[k] }' "$results" | median)" \
    "$(awk '$1 == "null_run" { r[$2] = $3 } $1 == "null_host" { h[$2] = $3 }
        END { for (k = 1; k <= 99; ++k) if (r[k] > 0 && h[k] > 0) printf "%.3f ", h[k] / r[k] }' "$results")"
fi
if has accounting; then
  acct=$(col null_host 3 | median) noacct=$(col null_noacct 3 | median)
  printf '  %-14s %8s Mpps  (per round, * contended: %s)\n' null_noacct \
    "$(echo "$noacct" | awk '$1 == "nan" { print; next } { printf "%.3f", $1 / 1e6 }')" \
    "$(awk -v mw="$max_wait" '$1 == "null_noacct" { printf "%.3f%s ", $3 / 1e6, ($4 != "nan" && $4 > mw) ? "*" : "" }' "$results")"
  # with/without within each round, as host/run.
  acct_ratio=$(awk '$1 == "null_host" { h[$2] = $3 } $1 == "null_noacct" { n[$2] = $3 }
      END { for (k in h) if (h[k] > 0 && n[k] > 0) printf "%.3f\n", h[k] / n[k] }' "$results" | median)
  printf '  %-14s %s (per round: %s)\n' acct/noacct "$acct_ratio" \
    "$(awk '$1 == "null_host" { h[$2] = $3 } $1 == "null_noacct" { n[$2] = $3 }
        END { for (k = 1; k <= 99; ++k) if (h[k] > 0 && n[k] > 0) printf "%.3f ", h[k] / n[k] }' "$results")"
fi
if has idle_cpu; then
  printf '  %-14s %6s%% of a core (schedstat %s%%)\n' idle_cpu "$(col bed 3 | median)" "$(col bed 4 | median)"
fi
if has wake_latency; then
  printf '  %-14s %6s us (idle RTT minus idle RTT with --busy-poll; the median of the rounds'"'"')\n' \
    wake_latency "$(col bed 6 | median)"
  printf '  %-14s %6s us (a thread asleep 1.2 s in ppoll, woken from the other CPU)\n' \
    thread_wake "$(col bed 14 | median)"
  printf '  %-14s uplane %s us (--busy-poll %s us), kernel %s us;  10 ms apart: uplane %s us, kernel %s us;  busy (ping -A): uplane %s us, kernel %s us\n' \
    idle-RTT "$(col bed 7 | median)" "$(col bed 9 | median)" "$(col bed 10 | median)" \
    "$(col bed 8 | median)" "$(col bed 11 | median)" "$(col bed 12 | median)" "$(col bed 13 | median)"
fi
echo
if has host_overhead; then
  awk -v u="$host" -v p="$run" 'BEGIN {
    r = (u != "nan" && p != "nan" && p > 0) ? u / p : -1
    printf "RESULT host_overhead uplane=%s run=%s ratio=%s unit=Mpps\n",
      u == "nan" ? u : sprintf("%.3f", u / 1e6), p == "nan" ? p : sprintf("%.3f", p / 1e6),
      r < 0 ? "nan" : sprintf("%.3f", r)
    if (r < 0) print "host_overhead: no comparison (a side failed)"
    else
      printf "host_overhead: the whole tenant path (demultiplexer, tenant rings, egress checks, accounting) costs %.1f%% of uplane run'"'"'s rate on null ports (accounting alone: case accounting)\n", (1 - r) * 100
  }'
fi
if has accounting; then
  # The ratio is the median of the per-round ratios; the rates are the medians over rounds.
  awk -v u="$acct" -v p="$noacct" -v r="$acct_ratio" 'BEGIN {
    printf "RESULT accounting uplane=%s no_accounting=%s ratio=%s unit=Mpps\n",
      u == "nan" ? u : sprintf("%.3f", u / 1e6), p == "nan" ? p : sprintf("%.3f", p / 1e6), r == "" ? "nan" : r
    if (r == "" || r == "nan") print "accounting: no comparison (a side failed)"
    else printf "accounting: per-tenant bytes and cycles cost %.1f%% of the host'"'"'s rate on null ports (the issue: at most 5%%): %s\n", (1 - r) * 100, (1 - r <= 0.05) ? "met" : "NOT met"
  }'
fi
if has idle_cpu; then
  awk -v u="$(col bed 3 | median)" 'BEGIN {
    printf "RESULT idle_cpu uplane=%s target=2 ratio=%s unit=%%\n", u, u == "nan" ? u : sprintf("%.2f", u / 2) }'
fi
if has wake_latency; then
  awk -v u="$(col bed 6 | median)" -v ui="$(col bed 7 | median)" -v ki="$(col bed 10 | median)" \
    -v si="$(col bed 9 | median)" -v tw="$(col bed 14 | median)" 'BEGIN {
    printf "RESULT wake_latency uplane=%s target=50 ratio=%s unit=us\n", u, u == "nan" ? u : sprintf("%.2f", u / 50)
    printf "RESULT idle_rtt_vs_busy_poll uplane=%s busy_poll=%s ratio=%s unit=us\n", ui, si,
      (ui == "nan" || si == "nan" || ui <= 0) ? "nan" : sprintf("%.2f", si / ui)
    printf "RESULT wake_vs_thread_wake uplane=%s thread_wake=%s ratio=%s unit=us\n", u, tw,
      (u == "nan" || tw == "nan" || u <= 0) ? "nan" : sprintf("%.2f", tw / u)
    printf "RESULT idle_rtt_vs_kernel uplane=%s kernel=%s ratio=%s unit=us\n", ui, ki,
      (ui == "nan" || ki == "nan" || ui <= 0) ? "nan" : sprintf("%.2f", ki / ui) }'
fi
