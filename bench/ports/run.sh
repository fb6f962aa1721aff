#!/usr/bin/env bash
# bench/ports/run.sh — uplane's port forwarding against its peers, on one veth test bed with
# one generator, in one run (issue 4, item 6).
#
#   ns gen: uplane-pktgen tx (AF_XDP, 60-byte frames + FCS = 64, one flow, unlimited rate,
#           pinned to CPU 0) ── veth ── ns fwd: the forwarder under test (pinned to CPU 1
#           where it has threads of its own) ── veth ── ns sink: a native XDP program that
#           counts IPv4 frames and drops them (ARP passes, so the sink's host answers it).
#
# Forwarded packets per second = the sink's count over a fixed window (--window seconds,
# after --warmup seconds of traffic). The forwarders:
#
#   gen                  the generator's ceiling: nothing forwards; the sink sits on the
#                        forwarder's first veth and counts what arrives there
#   xdp_redirect         a native XDP program on the fwd ingress veth that redirects every
#                        frame to the egress veth (bpf_redirect), no user space: the ceiling
#   kernel               Linux's IPv4 forwarding (addresses on both fwd veths, ip_forward=1)
#   uplane_{xdp,packet}_router
#                        `uplane run` with examples/netns-router.click (METHOD XDP / PACKET)
#   uplane_{xdp,packet}_l2
#                        `uplane run` with FromDevice(in) -> ToDevice(out), same METHODs
#   testpmd_{afxdp,afpacket}
#                        dpdk-testpmd, io forwarding between net_af_xdp / net_af_packet
#                        vdevs on the two fwd veths (EAL --no-huge, lcores 0 and 1, the
#                        forwarding lcore on CPU 1; af_packet with qdisc_bypass=1 as uplane)
#   ovs_{netdev,afxdp}   ovs-vswitchd (userspace datapath, bridge datapath_type=netdev)
#                        started from a temporary directory, pinned to CPU 1, ports of the
#                        default type (AF_PACKET sockets) or type=afxdp, one OpenFlow rule
#                        in_port=1,actions=output:2 (L2, like testpmd io)
#   uplane_null          `uplane run`: FromDevice(n0, METHOD NULL) -> ToDevice(n1, METHOD
#                        NULL) and n1 -> n0, on CPU 1, rates from --rates 1
#   testpmd_null         dpdk-testpmd --vdev net_null0 --vdev net_null1, io forwarding (two
#                        streams, 0 -> 1 and 1 -> 0) on CPU 1
#
# The cases run interleaved: every round runs each once, in reverse order every other round.
# Each round prints what it measured; the end prints the median over rounds of each case
# and one line per comparison:
#   RESULT <case> uplane=<x> <peer>=<y> ratio=<r> unit=<u>
# ratio is uplane/peer for Mpps and peer/uplane for ns/pkt: above 1, uplane is ahead.
# CPU time per forwarded packet (cpu_* lines) is the forwarder process's utime+stime from
# /proc/PID/stat over the window, divided by the packets the sink counted in it.
#
# Usage (root): bench/ports/run.sh [--build DIR] [--rounds N] [--warmup S] [--window S]
#                                  [--cases "a b ..."] [--logs DIR] [--max-wait PCT]
#                                  [--ring N]
# DIR defaults to build/release (uplane, uplane-pktgen, bench/ports_xdp built there:
# `cmake --preset release && ninja -C build/release uplane uplane-pktgen ports_xdp`).
# --logs copies every tool's log and the per-round results to DIR at the end. --ring sets
# RING_SIZE for every uplane FromDevice/ToDevice, router and L2 alike (default 2048,
# FromDevice's own default; examples/netns-router.click ships with 4096, which is slower
# here: the frames cycling through the rings no longer stay in cache).
# Peers come from scripts/install-deps.sh --bench; a missing one is skipped (SKIP) and its
# comparisons print nan. Everything runs in namespaces named after this process, torn down
# on exit, INT and TERM; every wait is bounded. A full run of the defaults takes ~6 minutes;
# bench/ports/summarize.py turns several runs' output into the tables of docs/performance.md.
#
# Each round line also shows "net_rx/pkt A/B" — NET_RX softirqs per forwarded packet on CPU
# 0 / CPU 1 (1.00 means the kernel polled a veth once per packet) — and "wait N%", the CPU
# pressure (PSI "some") over the window: how long runnable tasks waited for a CPU. Our own
# processes are pinned apart, so a quiet machine shows 0-17% (ksoftirqd and the forwarder's
# own threads); a round above --max-wait (default 20) measured someone else's load too and
# is left out of the medians (marked * in the per-round list).
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$repo/build/release
rounds=3 warmup=1 window=5 logs='' max_wait=20 ring=2048
all_cases="gen xdp_redirect kernel uplane_xdp_router uplane_packet_router uplane_xdp_l2
  uplane_packet_l2 testpmd_afxdp testpmd_afpacket ovs_netdev ovs_afxdp uplane_null testpmd_null"
cases=$all_cases
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    --max-wait) max_wait=$2; shift 2 ;;
    --ring) ring=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--build DIR] [--rounds N] [--warmup S] [--window S] [--cases LIST] [--logs DIR] [--max-wait PCT] [--ring N]" >&2; exit 2 ;;
  esac
done
for c in $cases; do
  [[ " $(echo $all_cases) " == *" $c "* ]] || { echo "unknown case '$c'; cases: $(echo $all_cases)" >&2; exit 2; }
done
[[ $rounds =~ ^[1-9][0-9]?$ && $warmup =~ ^[0-9]+$ && $window =~ ^[1-9][0-9]*$ &&
   $max_wait =~ ^[0-9]+$ && $ring =~ ^(64|128|256|512|1024|2048|4096|8192)$ ]] ||
  { echo "--rounds 1..99; --warmup, --window (>= 1) whole seconds; --max-wait a percentage;" \
      "--ring a power of two, 64..8192" >&2; exit 2; }
uplane=$build/tools/uplane/uplane
pktgen=$build/tools/pktgen/uplane-pktgen
xdp=$build/bench/ports_xdp
for b in "$uplane" "$pktgen" "$xdp"; do
  [ -x "$b" ] || { echo "missing $b: build it (see --help)" >&2; exit 1; }
done
for t in ip taskset timeout ethtool awk; do
  command -v "$t" >/dev/null || { echo "missing tool: $t (scripts/install-deps.sh)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs two CPUs (generator on 0, forwarder on 1)" >&2; exit 1; }

# shellcheck source=tests/netns/lib.sh
source "$repo/tests/netns/lib.sh"
netns_begin upbp || exit 1
# The OVS daemons run in the fwd namespace, so netns_cleanup's kill-everything-in-it stops
# them too; the trap also asks them to remove their ports first.
ovs_dir=
bench_cleanup() {
  [ -n "$ovs_dir" ] && ovs_stop
  if [ -n "$logs" ] && [ -n "${NETNS_TMP:-}" ]; then
    mkdir -p "$logs" && cp -r "$NETNS_TMP"/. "$logs"/ 2>/dev/null
  fi
  netns_cleanup
}
trap bench_cleanup EXIT
log() { echo "$*" >&2; }

netns_router_setup || { log "could not build the test bed"; exit 1; }
GEN=h1 FWD=rt SINK=h2
T=$NETNS_TMP
# Sink and generator sides may be left with offloads that reshape frames; lib.sh turned off
# tx/tso/gso/gro on all four ends.

# ---------------------------------------------------------------------------------------
# Sinks: ports_xdp sink; SIGUSR1 prints "count NS TOTAL".
sink_start() {  # sink_start NS DEV LOG: sets SINK_PID, SINK_LOG
  netns_bg "$1" "$3" "$xdp" sink "$2"
  SINK_PID=$NETNS_LAST_PID SINK_LOG=$3
  local i
  for i in $(seq 50); do grep -q '^ready' "$3" 2>/dev/null && return 0; sleep 0.1; done
  log "sink on $2 did not start: $(cat "$3")"
  return 1
}
sink_snapshot() {  # prints "NS TOTAL" of a fresh count line
  local before i
  before=$(grep -c '^count' "$SINK_LOG")
  kill -USR1 "$SINK_PID" 2>/dev/null || return 1
  for i in $(seq 100); do
    if [ "$(grep -c '^count' "$SINK_LOG")" -gt "$before" ]; then
      grep '^count' "$SINK_LOG" | tail -n 1 | awk '{print $2, $3}'
      return 0
    fi
    sleep 0.01
  done
  return 1
}
main_sink_log=$T/sink.log
sink_start "$SINK" "$H2_DEV" "$main_sink_log" || exit 1  # runs until cleanup

# CPU time (utime + stime, all threads) of a process, in clock ticks.
proc_ticks() {
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
  # Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
hz=$(getconf CLK_TCK)
# CPU pressure (PSI): microseconds during which some runnable task waited for a CPU. Our
# own processes are pinned apart, so on a quiet machine it barely moves; its growth over
# a window, as a share of the window, says how much other load competed ("wait N%").
psi_us() { awk '/^some/ { sub(/total=/, "", $5); print $5; exit }' /proc/pressure/cpu 2>/dev/null || echo 0; }
# NET_RX softirqs run so far on CPU 0 and CPU 1 ("N0 N1"): per forwarded packet, they show
# how the kernel's share of the work was split, and whether its NAPI polls took packets
# one at a time (about 1 per packet per veth) or in batches.
net_rx() { awk '$1 == "NET_RX:" { print $2, $3 }' /proc/softirqs; }
net_rx_per_pkt() {  # net_rx_per_pkt "A0 A1" "B0 B1" PACKETS: "x.xx/y.yy"
  echo "$1 $2 $3" | awk '{ if ($5 > 0) printf "%.2f/%.2f", ($3 - $1) / $5, ($4 - $2) / $5; else print "nan" }'
}
psi_share() {  # psi_share US1 US2 SECONDS
  awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { if (a == "" || b == "") print "nan"; else printf "%.0f", (b - a) / (s * 1e4) }'
}

# ---------------------------------------------------------------------------------------
# One measurement with the generator: start it, wait out the warm-up, count over the window.
# Sets PPS (forwarded, at the sink), GEN_PPS (what pktgen sent), CPU_NS (forwarder CPU ns
# per forwarded packet, or nan), WAIT (CPU pressure over the window, percent), SOFTIRQ
# (NET_RX softirqs per forwarded packet on CPU 0 / CPU 1).
measure() {  # measure CASE FWD_PID
  local c=$1 fpid=${2:-} glog=$T/gen-$1.log s1 s2 c1 c2 p1 p2 n1 n2 gpid
  netns_bg "$GEN" "$glog" taskset -c 0 "$pktgen" tx -i "$H1_DEV" -m xdp -q \
    --dst-mac "$RT_MAC0" --src-ip "$H1_IP" --dst-ip "$H2_IP" -l 60 -d $((warmup + window + 1))
  gpid=$NETNS_LAST_PID
  sleep "$warmup"
  s1=$(sink_snapshot) c1=$(proc_ticks "$fpid") p1=$(psi_us) n1=$(net_rx)
  sleep "$window"
  s2=$(sink_snapshot) c2=$(proc_ticks "$fpid") p2=$(psi_us) n2=$(net_rx)
  WAIT=$(psi_share "$p1" "$p2" "$window")
  netns_stop "$gpid" 5
  GEN_PPS=$(netns_summary "$glog" tx pps)
  GEN_PPS=${GEN_PPS:-0}
  if [ -z "$s1" ] || [ -z "$s2" ]; then
    log "$c: no count from the sink"
    PPS=0 CPU_NS=nan
    return 1
  fi
  read -r PPS CPU_NS < <(echo "$s1 $s2 $c1 $c2 $hz ${fpid:-none}" | awk '{
      pkts = $4 - $2; dt = ($3 - $1) / 1e9
      pps = dt > 0 ? pkts / dt : 0
      cpu = ($8 != "none" && pkts > 0) ? sprintf("%.1f", ($6 - $5) / $7 * 1e9 / pkts) : "nan"
      printf "%.0f %s\n", pps, cpu }')
  SOFTIRQ=$(net_rx_per_pkt "$n1" "$n2" "$(echo "$s1 $s2" | awk '{ print $4 - $2 }')")
}

# ---------------------------------------------------------------------------------------
# The forwarders. Each *_start sets FWD_PID (or leaves it empty) and returns non-zero if the
# forwarder did not come up; *_stop undoes it.
FWD_PID=

uplane_start() {  # uplane_start CONFIG LOG
  netns_bg "$FWD" "$2" taskset -c 1 "$uplane" run --rates 1 -h fd0.count -h td1.count \
    -h '*.drop_reasons' -h fd0.stats -h td1.stats "$1"
  FWD_PID=$NETNS_LAST_PID
  local i
  for i in $(seq 100); do
    kill -0 "$FWD_PID" 2>/dev/null || { log "uplane exited: $(tail -n 5 "$2")"; return 1; }
    grep -q '^rates' "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  log "uplane did not start in 10 s"
  return 1
}
uplane_stop() {
  netns_stop "$FWD_PID" 15 || log "uplane exited with status $? (see $1)"
  FWD_PID=
}

l2_config() {  # l2_config METHOD FILE
  cat >"$2" <<EOF
fd0 :: FromDevice($RT_DEV0, METHOD $1, RING_SIZE $ring)
  -> td1 :: ToDevice($RT_DEV1, METHOD $1, RING_SIZE $ring);
EOF
}

kernel_start() {
  netns_exec "$FWD" ip addr add "$RT_IP0/24" dev "$RT_DEV0"
  netns_exec "$FWD" ip addr add "$RT_IP1/24" dev "$RT_DEV1"
  netns_exec "$FWD" sysctl -qw net.ipv4.ip_forward=1
  # Resolve the sink's address before the traffic (the sink's XDP program drops the echo
  # request, but its kernel answers the ARP query first).
  netns_exec "$FWD" timeout 5 ping -q -n -c 1 -W 1 "$H2_IP" >/dev/null 2>&1
  netns_exec "$FWD" ip neigh show "$H2_IP" | grep -q "$H2_MAC" ||
    { log "kernel: the sink's address did not resolve"; return 1; }
}
kernel_stop() {
  netns_exec "$FWD" sysctl -qw net.ipv4.ip_forward=0
  netns_exec "$FWD" ip addr flush dev "$RT_DEV0"
  netns_exec "$FWD" ip addr flush dev "$RT_DEV1"
  netns_exec "$FWD" ip neigh flush all 2>/dev/null
}

testpmd_start() {  # testpmd_start LOG VDEV0 VDEV1
  local log=$1
  shift
  netns_bg "$FWD" "$log" dpdk-testpmd -l 0,1 --main-lcore 0 \
    --no-huge -m 256 --no-pci --no-shconf --vdev "$1" --vdev "$2" -- \
    --forward-mode=io --nb-cores=1 --auto-start --stats-period 1 --total-num-mbufs 32768
  FWD_PID=$NETNS_LAST_PID
  local i
  for i in $(seq 150); do
    kill -0 "$FWD_PID" 2>/dev/null || { log "testpmd exited: $(grep -m3 -i 'error\|cause' "$log")"; return 1; }
    grep -q 'Port statistics' "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  log "testpmd did not start in 15 s"
  return 1
}
testpmd_stop() {
  netns_stop "$FWD_PID" 10
  FWD_PID=
}

# Open vSwitch from a temporary directory: its own database, sockets, logs and pid files.
ovs_env() { echo env "OVS_RUNDIR=$ovs_dir" "OVS_LOGDIR=$ovs_dir" "OVS_DBDIR=$ovs_dir"; }
# shellcheck disable=SC2046
ovs_ctl() { netns_exec "$FWD" $(ovs_env) timeout 20 "$@"; }
ovs_start() {  # ovs_start PORT_TYPE(netdev|afxdp) LOG
  local type=$1 i
  ovs_dir=$(mktemp -d "$T/ovs.XXXXXX")
  ovsdb-tool create "$ovs_dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
  # shellcheck disable=SC2046
  netns_bg "$FWD" "$ovs_dir/ovsdb-server.out" $(ovs_env) ovsdb-server "$ovs_dir/conf.db" --remote="punix:$ovs_dir/db.sock" \
    --pidfile="$ovs_dir/ovsdb-server.pid" --unixctl="$ovs_dir/ovsdb-server.ctl" \
    --log-file="$ovs_dir/ovsdb-server.log"
  OVSDB_PID=$NETNS_LAST_PID
  for i in $(seq 50); do [ -S "$ovs_dir/db.sock" ] && break; sleep 0.1; done
  ovs_ctl ovs-vsctl --no-wait init || return 1
  ovs_ctl ovs-vsctl --no-wait set Open_vSwitch . other_config:pmd-cpu-mask=0x2 || return 1
  # shellcheck disable=SC2046
  netns_bg "$FWD" "$ovs_dir/ovs-vswitchd.out" $(ovs_env) taskset -c 1 ovs-vswitchd "unix:$ovs_dir/db.sock" --pidfile="$ovs_dir/ovs-vswitchd.pid" \
    --unixctl="$ovs_dir/ovs-vswitchd.ctl" --log-file="$ovs_dir/ovs-vswitchd.log"
  FWD_PID=$NETNS_LAST_PID
  local ptype=()
  [ "$type" = afxdp ] && ptype=(type=afxdp options:xdp-mode=native)
  ovs_ctl ovs-vsctl --timeout=15 add-br br0 -- set bridge br0 datapath_type=netdev \
    -- add-port br0 "$RT_DEV0" -- set interface "$RT_DEV0" ofport_request=1 "${ptype[@]}" \
    -- add-port br0 "$RT_DEV1" -- set interface "$RT_DEV1" ofport_request=2 "${ptype[@]}" || {
    log "ovs: could not add the bridge: $(grep -i 'err\|warn' "$ovs_dir/ovs-vswitchd.log" | tail -n 3)"
    return 1
  }
  for i in 1 2; do
    local dev=RT_DEV$((i - 1)) err
    err=$(ovs_ctl ovs-vsctl get interface "${!dev}" error 2>/dev/null)
    if [ "$(ovs_ctl ovs-vsctl get interface "${!dev}" ofport)" != "$i" ]; then
      log "ovs: ${!dev} has no ofport $i: $err"
      return 1
    fi
  done
  ovs_ctl ovs-ofctl del-flows br0 && ovs_ctl ovs-ofctl add-flow br0 in_port=1,actions=output:2 ||
    return 1
  if [ "$type" = afxdp ] && ! ovs_ctl ovs-appctl -t "$ovs_dir/ovs-vswitchd.ctl" dpif-netdev/pmd-rxq-show | grep -q "port: $RT_DEV0"; then
    log "ovs: no PMD polls $RT_DEV0"
    return 1
  fi
}
ovs_stop() {
  [ -n "$ovs_dir" ] || return 0
  # exit --cleanup removes the ports (and their XDP programs) from the devices.
  [ -S "$ovs_dir/ovs-vswitchd.ctl" ] && ovs_ctl ovs-appctl -t "$ovs_dir/ovs-vswitchd.ctl" exit --cleanup >/dev/null 2>&1
  [ -n "${FWD_PID:-}" ] && netns_stop "$FWD_PID" 10
  [ -S "$ovs_dir/ovsdb-server.ctl" ] && ovs_ctl ovs-appctl -t "$ovs_dir/ovsdb-server.ctl" exit >/dev/null 2>&1
  [ -n "${OVSDB_PID:-}" ] && netns_stop "$OVSDB_PID" 5
  FWD_PID='' OVSDB_PID='' ovs_dir=''
}

# The null cases: no generator, no sink; rates from the forwarder itself over the window.
null_pps_uplane() {  # from `--rates 1` lines: the mean of td0 + td1 over the window
  awk -v w="$warmup" -v n="$window" '/^rates/ {
      t = $2; sub(/^t=/, "", t); sub(/s$/, "", t); s = 0
      for (i = 3; i <= NF; ++i) if ($i ~ /^td[01]=/) { v = $i; sub(/^td[01]=/, "", v); sub(/\/s$/, "", v); s += v }
      if (t > w + 0.5 && t <= w + n + 0.5) { sum += s; k++ } }
    END { printf "%.0f\n", k ? sum / k : 0 }' "$1"
}
null_pps_testpmd() {  # the mean over the window's stats blocks of the two ports' Tx-pps
  awk -v w="$warmup" -v n="$window" '/Port statistics/ { b++ }
    /Tx-pps:/ { if (b > w + 1 && b <= w + n + 1) { sum += $2; got[b] = 1 } }
    END { k = 0; for (x in got) k++; printf "%.0f\n", k ? sum / k : 0 }' "$1"
}

# ---------------------------------------------------------------------------------------
run_case() {  # run_case CASE ROUND: sets PPS GEN_PPS CPU_NS; returns 1 on failure, 3 if skipped
  local c=$1 r=$2 l="$T/$1-r$2.log" rc=0
  PPS=0 GEN_PPS=0 CPU_NS=nan WAIT=nan SOFTIRQ=- FWD_PID=
  case "$c" in
    gen)
      local save_pid=$SINK_PID save_log=$SINK_LOG
      sink_start "$FWD" "$RT_DEV0" "$l" || return 1
      local gsink=$SINK_PID
      measure "$c" || rc=1
      netns_stop "$gsink" 5
      SINK_PID=$save_pid SINK_LOG=$save_log
      ;;
    xdp_redirect)
      netns_bg "$FWD" "$l" "$xdp" redirect "$RT_DEV0" "$RT_DEV1"
      local rpid=$NETNS_LAST_PID i
      for i in $(seq 50); do grep -q '^ready' "$l" 2>/dev/null && break; sleep 0.1; done
      grep -q '^ready' "$l" || { log "redirect: $(cat "$l")"; netns_stop "$rpid" 5; return 1; }
      measure "$c" || rc=1
      netns_stop "$rpid" 5
      ;;
    kernel)
      if kernel_start; then measure "$c" || rc=1; else rc=1; fi
      kernel_stop
      ;;
    uplane_xdp_router | uplane_packet_router)
      local m=XDP
      [ "$c" = uplane_packet_router ] && m=PACKET
      NETNS_RING=$ring netns_router_config "$m" "$T/router-$m.click"
      # uplane resolves the sink's address on the first packet, within the warm-up.
      if uplane_start "$T/router-$m.click" "$l"; then
        measure "$c" "$FWD_PID" || rc=1
      else
        rc=1
      fi
      uplane_stop "$l"
      ;;
    uplane_xdp_l2 | uplane_packet_l2)
      local m=XDP
      [ "$c" = uplane_packet_l2 ] && m=PACKET
      l2_config "$m" "$T/l2-$m.click"
      if uplane_start "$T/l2-$m.click" "$l"; then measure "$c" "$FWD_PID" || rc=1; else rc=1; fi
      uplane_stop "$l"
      ;;
    testpmd_afxdp | testpmd_afpacket)
      command -v dpdk-testpmd >/dev/null || return 3
      local v0 v1
      if [ "$c" = testpmd_afxdp ]; then
        v0="net_af_xdp0,iface=$RT_DEV0,start_queue=0,queue_count=1"
        v1="net_af_xdp1,iface=$RT_DEV1,start_queue=0,queue_count=1"
      else
        v0="net_af_packet0,iface=$RT_DEV0,qpairs=1,qdisc_bypass=1"
        v1="net_af_packet1,iface=$RT_DEV1,qpairs=1,qdisc_bypass=1"
      fi
      if testpmd_start "$l" "$v0" "$v1"; then measure "$c" "$FWD_PID" || rc=1; else rc=1; fi
      testpmd_stop
      ;;
    ovs_netdev | ovs_afxdp)
      command -v ovs-vswitchd >/dev/null && command -v ovsdb-tool >/dev/null || return 3
      if ovs_start "${c#ovs_}" "$l"; then measure "$c" "$FWD_PID" || rc=1; else rc=1; fi
      [ "$rc" != 0 ] && [ -n "$ovs_dir" ] && cp "$ovs_dir/ovs-vswitchd.log" "$l.vswitchd" 2>/dev/null
      ovs_stop
      ;;
    uplane_null)
      cat >"$T/null.click" <<EOF
fd0 :: FromDevice(n0, METHOD NULL) -> td1 :: ToDevice(n1, METHOD NULL);
fd1 :: FromDevice(n1, METHOD NULL) -> td0 :: ToDevice(n0, METHOD NULL);
EOF
      if uplane_start "$T/null.click" "$l"; then
        local c1 c2 p1 p2
        sleep "$warmup"
        c1=$(proc_ticks "$FWD_PID") p1=$(psi_us)
        sleep "$window"
        c2=$(proc_ticks "$FWD_PID") p2=$(psi_us)
        WAIT=$(psi_share "$p1" "$p2" "$window")
        sleep 2
        uplane_stop "$l"
        PPS=$(null_pps_uplane "$l")
        CPU_NS=$(awk -v d=$((c2 - c1)) -v hz="$hz" -v p="$PPS" -v s="$window" \
          'BEGIN { printf "%.1f", (p > 0 ? d / hz * 1e9 / (p * s) : 0) }')
      else
        uplane_stop "$l"
        rc=1
      fi
      ;;
    testpmd_null)
      command -v dpdk-testpmd >/dev/null || return 3
      if testpmd_start "$l" net_null0 net_null1; then
        local c1 c2 p1 p2
        sleep "$warmup"
        c1=$(proc_ticks "$FWD_PID") p1=$(psi_us)
        sleep "$window"
        c2=$(proc_ticks "$FWD_PID") p2=$(psi_us)
        WAIT=$(psi_share "$p1" "$p2" "$window")
        sleep 2
        testpmd_stop
        PPS=$(null_pps_testpmd "$l")
        # Both lcores' threads: the main one sleeps between stats; the forwarding one spins.
        CPU_NS=$(awk -v d=$((c2 - c1)) -v hz="$hz" -v p="$PPS" -v s="$window" \
          'BEGIN { printf "%.1f", (p > 0 ? d / hz * 1e9 / (p * s) : 0) }')
      else
        testpmd_stop
        rc=1
      fi
      ;;
  esac
  [ "${PPS:-0}" -gt 0 ] 2>/dev/null || rc=1
  return $rc
}

# ---------------------------------------------------------------------------------------
echo "bench/ports: $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) $(nproc) CPUs; rounds=$rounds warmup=${warmup}s window=${window}s ring=$ring"
echo "bed: $H1_DEV (ns $(netns_name h1)) -> $RT_DEV0/$RT_DEV1 (ns $(netns_name rt)) -> $H2_DEV (ns $(netns_name h2))"
results=$T/results  # "CASE ROUND PPS CPU_NS GEN_PPS WAIT"
: >"$results"
read -r -a order <<<"$(echo $cases)"
for r in $(seq "$rounds"); do
  list=("${order[@]}")
  if [ $((r % 2)) = 0 ]; then
    list=()
    for ((i = ${#order[@]} - 1; i >= 0; --i)); do list+=("${order[i]}"); done
  fi
  echo "round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  for c in "${list[@]}"; do
    run_case "$c" "$r"
    rc=$?
    if [ "$rc" = 3 ]; then
      printf 'round %d %-22s SKIP (not installed)\n' "$r" "$c"
      continue
    fi
    [ "$rc" != 0 ] && PPS=0
    echo "$c $r $PPS $CPU_NS $GEN_PPS $WAIT" >>"$results"
    printf 'round %d %-22s %8.3f Mpps  cpu %6s ns/pkt  generator sent %6.3f Mpps  net_rx/pkt %9s  wait %3s%%%s\n' \
      "$r" "$c" "$(awk -v p="$PPS" 'BEGIN{print p/1e6}')" "$CPU_NS" \
      "$(awk -v p="$GEN_PPS" 'BEGIN{print p/1e6}')" "$SOFTIRQ" "$WAIT" \
      "$([ "$rc" != 0 ] && echo "  FAILED")"
  done
done

# Medians over rounds: failed rounds (0 pps) and contended ones (wait above --max-wait)
# left out.
median() {  # median CASE FIELD(3 pps, 4 cpu)
  awk -v c="$1" -v f="$2" -v mw="$max_wait" '$1 == c && $3 > 0 && $f != "nan" && ($6 == "nan" || $6 <= mw) { v[n++] = $f }
    END { if (!n) { print "nan"; exit }
          for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
          print (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$results"
}
echo
echo "medians over $rounds rounds (leaving out rounds with wait > $max_wait%):"
for c in $(echo $cases); do
  printf '  %-22s %8s Mpps  cpu %6s ns/pkt  (per round, * contended: %s)\n' "$c" \
    "$(median "$c" 3 | awk '$1 == "nan" { print; next } { printf "%.3f", $1 / 1e6 }')" \
    "$(median "$c" 4 | awk '$1 == "nan" { print; next } { printf "%.1f", $1 }')" \
    "$(awk -v c="$c" -v mw="$max_wait" '$1 == c { printf "%.3f%s ", $3 / 1e6, ($6 != "nan" && $6 > mw) ? "*" : "" }' "$results")"
done
result() {  # result NAME UPLANE_CASE PEER_NAME PEER_CASE [cpu]
  local u p
  if [ "${5:-}" = cpu ]; then
    u=$(median "$2" 4) p=$(median "$4" 4)
    awk -v n="$1" -v u="$u" -v pn="$3" -v p="$p" 'BEGIN {
      r = (u != "nan" && p != "nan" && u > 0) ? sprintf("%.2f", p / u) : "nan"
      printf "RESULT %s uplane=%s %s=%s ratio=%s unit=ns/pkt\n", n, u, pn, p, r }'
  else
    u=$(median "$2" 3) p=$(median "$4" 3)
    awk -v n="$1" -v u="$u" -v pn="$3" -v p="$p" 'BEGIN {
      r = (u != "nan" && p != "nan" && p > 0) ? sprintf("%.2f", u / p) : "nan"
      us = u == "nan" ? u : sprintf("%.3f", u / 1e6); ps = p == "nan" ? p : sprintf("%.3f", p / 1e6)
      printf "RESULT %s uplane=%s %s=%s ratio=%s unit=Mpps\n", n, us, pn, ps, r }'
  fi
}
echo
result afxdp_router_vs_kernel uplane_xdp_router kernel kernel
result afpacket_router_vs_kernel uplane_packet_router kernel kernel
result afxdp_router_vs_xdp_redirect uplane_xdp_router xdp_redirect xdp_redirect
result afxdp_l2_vs_xdp_redirect uplane_xdp_l2 xdp_redirect xdp_redirect
result afxdp_l2_vs_ovs_netdev uplane_xdp_l2 ovs_netdev ovs_netdev
result afxdp_l2_vs_ovs_afxdp uplane_xdp_l2 ovs_afxdp ovs_afxdp
result afxdp_l2_vs_testpmd_afxdp uplane_xdp_l2 testpmd_afxdp testpmd_afxdp
result afxdp_router_vs_ovs_afxdp uplane_xdp_router ovs_afxdp ovs_afxdp
result afxdp_router_vs_testpmd_afxdp uplane_xdp_router testpmd_afxdp testpmd_afxdp
result afpacket_l2_vs_testpmd_afpacket uplane_packet_l2 testpmd_afpacket testpmd_afpacket
result afpacket_l2_vs_ovs_netdev uplane_packet_l2 ovs_netdev ovs_netdev
result afxdp_router_vs_generator uplane_xdp_router generator gen
result null_vs_testpmd_io uplane_null testpmd_null testpmd_null
result cpu_afxdp_router_vs_testpmd_afxdp uplane_xdp_router testpmd_afxdp testpmd_afxdp cpu
result cpu_afxdp_l2_vs_testpmd_afxdp uplane_xdp_l2 testpmd_afxdp testpmd_afxdp cpu
result cpu_afxdp_l2_vs_ovs_afxdp uplane_xdp_l2 ovs_afxdp ovs_afxdp cpu
result cpu_null_vs_testpmd_io uplane_null testpmd_null testpmd_null cpu
