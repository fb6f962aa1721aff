# shellcheck shell=bash
# tests/netns/lib.sh — network namespaces and veth pairs for uplane's network tests and the
# demo, built with unique names and always torn down (the Open vSwitch system tests' idea).
#
#   source tests/netns/lib.sh
#   netns_begin [PREFIX]         # this run's id is $$; traps EXIT, INT and TERM; removes what
#                                # an earlier run with PREFIX left behind if it is dead
#   netns_add h1                 # namespace "PREFIX-ID-h1"; netns_name h1 prints that name
#   netns_veth h1 DEVA rt DEVB   # a veth pair, one end in each namespace, both up
#   netns_exec h1 CMD...         # runs CMD in namespace h1
#   netns_bg h1 LOG CMD...       # starts CMD in the background (output to LOG), killed at
#                                # cleanup; its pid is in NETNS_LAST_PID
#   netns_bg_first h1 LOG CMD... # the same, ahead of the machine's other work
#   netns_cleanup                # what the trap runs: kills what netns_bg started and every
#                                # process left in our namespaces, deletes the namespaces
#
# The router bed (netns_router_setup) — uplane routes between two hosts:
#
#   ns h1: $H1_DEV 10.1.0.2/24, gw 10.1.0.1 ── veth ── $RT_DEV0 ┐ ns rt: uplane (no IP
#   ns h2: $H2_DEV 10.2.0.2/24, gw 10.2.0.1 ── veth ── $RT_DEV1 ┘ addresses, no forwarding)
#
# The rt namespace has no IPv4 addresses and forwarding off, so its kernel neither routes
# nor answers ARP: only uplane (netns_uplane_start) moves packets between h1 and h2. IPv6
# is off everywhere (no router solicitations or MLD in the counters). Offloads are off on the
# host ends: frames leave the hosts at most MTU-sized with complete checksums, as they
# would on a wire (a veth otherwise hands over 64 KiB TSO frames with checksums left for
# the receiver to fill in, which a user-space router cannot forward).
#
# Every command that could wait is bounded (timeout, or loops with a count).

NETNS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NETNS_REPO=$(cd "$NETNS_LIB_DIR/../.." && pwd)
NETNS_PREFIX=
NETNS_ID=
NETNS_NAMES=()
NETNS_PIDS=()
NETNS_TMP=
NETNS_LAST_PID=
NETNS_CLEANED=0

netns_log() { echo "netns: $*" >&2; }

# The namespace name for a short name: PREFIX-ID-short.
netns_name() { echo "$NETNS_PREFIX-$NETNS_ID-$1"; }

# Removes the namespaces (and the processes in them) of earlier runs with this prefix whose
# process is gone, and root-namespace links named after them.
netns_remove_stale() {
  local ns pid link
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ $ns =~ ^$NETNS_PREFIX-([0-9]+)- ]] || continue
    pid=${BASH_REMATCH[1]}
    [ "$pid" = "$NETNS_ID" ] && continue
    kill -0 "$pid" 2>/dev/null && continue
    netns_log "removing $ns, left by dead run $pid"
    netns_kill_all_in "$ns"
    ip netns del "$ns" 2>/dev/null
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    [[ $link =~ ^un([0-9]+)(h1|h2|r0|r1)$ ]] || continue
    pid=${BASH_REMATCH[1]}
    kill -0 "$pid" 2>/dev/null && continue
    netns_log "removing link $link, left by dead run $pid"
    ip link del "$link" 2>/dev/null
  done
}

# Kills every process in namespace $1 (TERM, then KILL after up to 2 s).
netns_kill_all_in() {
  local ns=$1 pids
  pids=$(ip netns pids "$ns" 2>/dev/null)
  [ -z "$pids" ] && return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null
  for _ in $(seq 20); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -z "$pids" ] && return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null
  sleep 0.1
}

netns_begin() {
  NETNS_PREFIX=${1:-upns}
  NETNS_ID=$$
  if [ "$(id -u)" -ne 0 ]; then
    netns_log "needs root (network namespaces, veth, XDP)"
    return 1
  fi
  local tool
  for tool in ip timeout; do
    command -v "$tool" >/dev/null || { netns_log "missing tool: $tool"; return 1; }
  done
  NETNS_TMP=$(mktemp -d "/tmp/$NETNS_PREFIX-$NETNS_ID.XXXXXX")
  trap netns_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  netns_remove_stale
}

netns_cleanup() {
  [ "$NETNS_CLEANED" = 1 ] && return 0
  NETNS_CLEANED=1
  local pid ns
  for pid in "${NETNS_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${NETNS_PIDS[@]}"; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  for ns in "${NETNS_NAMES[@]}"; do
    netns_kill_all_in "$ns"
    ip netns del "$ns" 2>/dev/null
  done
  for ns in "${NETNS_NAMES[@]}"; do
    # A namespace lingers while something holds it; say so rather than hide it.
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" && netns_log "could not delete $ns"
  done
  [ -n "$NETNS_TMP" ] && rm -rf "$NETNS_TMP"
  return 0
}

# netns_add SHORT: creates the namespace, loopback up, IPv6 off.
netns_add() {
  local ns
  ns=$(netns_name "$1")
  ip netns add "$ns" || return 1
  NETNS_NAMES+=("$ns")
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# netns_veth NS_A DEV_A NS_B DEV_B: creates the pair straight in the two namespaces (nothing
# passes through the root namespace) and brings both ends up.
netns_veth() {
  local a b
  a=$(netns_name "$1")
  b=$(netns_name "$3")
  ip link add "$2" netns "$a" type veth peer name "$4" netns "$b" || return 1
  ip -n "$a" link set "$2" up && ip -n "$b" link set "$4" up
}

netns_exec() {
  local ns
  ns=$(netns_name "$1")
  shift
  ip netns exec "$ns" "$@"
}

# netns_bg SHORT LOG CMD...: `ip netns exec` execs CMD, so the pid is CMD's own.
netns_bg() {
  local ns log=$2
  ns=$(netns_name "$1")
  shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  NETNS_LAST_PID=$!
  NETNS_PIDS+=("$NETNS_LAST_PID")
}

# The priority netns_bg_first gives a process: ahead of the machine's other work, as a
# forwarder on a core of its own would be. On two busy cores a router at the default
# priority falls behind for tens of milliseconds at a time, and its receive rings overflow.
NETNS_PRIORITY=${NETNS_PRIORITY:--10}

# netns_bg_first SHORT LOG CMD...: netns_bg for a process that must keep up (the router, a
# sink that counts every frame). It runs in a session of its own, at niceness
# $NETNS_PRIORITY in an autogroup of that niceness: with autogroups (Linux's default on a
# desktop, and here), niceness only ranks processes of one session, and every session's
# group shares the CPU equally with the others.
netns_bg_first() {
  local short=$1 log=$2
  shift 2
  # setsid execs without forking: a background job of a script leads no process group.
  netns_bg "$short" "$log" setsid nice -n "$NETNS_PRIORITY" "$@"
  for _ in $(seq 20); do  # until setsid has run (its own session), at most 2 s
    # /proc/PID/stat after the name: state ppid pgrp session ...
    [ "$(sed 's/.*) //' "/proc/$NETNS_LAST_PID/stat" 2>/dev/null | cut -d' ' -f4)" = \
      "$NETNS_LAST_PID" ] && break
    sleep 0.1
  done
  [ -w "/proc/$NETNS_LAST_PID/autogroup" ] &&
    echo "$NETNS_PRIORITY" >"/proc/$NETNS_LAST_PID/autogroup" 2>/dev/null
  return 0
}

# netns_stop PID [SECONDS]: SIGINT, then waits (bounded) for it to exit; prints nothing,
# returns its exit status (137 if it had to be killed).
netns_stop() {
  local pid=$1 limit=${2:-10}
  kill -INT "$pid" 2>/dev/null
  for _ in $(seq $((limit * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    netns_log "pid $pid did not stop in ${limit}s; killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
}

# A test's verdict, one line per check: `check NAME STATUS` prints "ok   NAME" or "FAIL NAME"
# (and marks the run failed); `netns_finish WHAT` ends the run — PASSED, or the tail of
# every log in $NETNS_TMP and FAILED — with exit status 0 or 1.
failed=0
check() {  # check NAME STATUS
  if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; failed=1; fi
}
netns_show_logs() {
  local f
  for f in "$NETNS_TMP"/*.log; do
    [ -f "$f" ] || continue
    echo "---- $(basename "$f")"
    tail -n 60 "$f"
  done
}
netns_finish() {
  if [ "$failed" != 0 ]; then netns_show_logs; echo "FAILED: $1"; exit 1; fi
  echo "PASSED: $1"
  exit 0
}

# For the demos: `netns_say TEXT` starts a section; `netns_die TEXT` says what failed, shows
# the tail of every log in $NETNS_TMP and exits 1 (the EXIT trap tears down).
netns_say() { printf '\n== %s\n' "$*"; }
netns_die() {
  echo "demo: $*" >&2
  local f
  for f in "$NETNS_TMP"/*.log; do
    [ -f "$f" ] && { echo "---- $(basename "$f")"; tail -n 20 "$f"; }
  done >&2
  exit 1
}

# Turns off the offloads that make a veth hand over frames no wire carries.
netns_plain_frames() {
  netns_exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------------------
# The router bed.

H1_IP=10.1.0.2 H2_IP=10.2.0.2 RT_IP0=10.1.0.1 RT_IP1=10.2.0.1
H1_MAC=02:00:0a:01:00:02 H2_MAC=02:00:0a:02:00:02
RT_MAC0=02:00:0a:01:00:01 RT_MAC1=02:00:0a:02:00:01

netns_router_setup() {
  H1_DEV=un${NETNS_ID}h1 H2_DEV=un${NETNS_ID}h2 RT_DEV0=un${NETNS_ID}r0 RT_DEV1=un${NETNS_ID}r1
  netns_add h1 && netns_add rt && netns_add h2 || return 1
  netns_veth h1 "$H1_DEV" rt "$RT_DEV0" || return 1
  netns_veth rt "$RT_DEV1" h2 "$H2_DEV" || return 1
  netns_exec h1 ip link set "$H1_DEV" address "$H1_MAC"
  netns_exec h2 ip link set "$H2_DEV" address "$H2_MAC"
  netns_exec rt ip link set "$RT_DEV0" address "$RT_MAC0"
  netns_exec rt ip link set "$RT_DEV1" address "$RT_MAC1"
  netns_exec h1 ip addr add "$H1_IP/24" dev "$H1_DEV"
  netns_exec h2 ip addr add "$H2_IP/24" dev "$H2_DEV"
  netns_exec h1 ip route add default via "$RT_IP0"
  netns_exec h2 ip route add default via "$RT_IP1"
  # uplane's namespace: no addresses, no forwarding: the kernel there moves nothing.
  netns_exec rt sysctl -qw net.ipv4.ip_forward=0
  netns_plain_frames h1 "$H1_DEV"
  netns_plain_frames h2 "$H2_DEV"
  netns_plain_frames rt "$RT_DEV0"
  netns_plain_frames rt "$RT_DEV1"
  # No ICMP errors from the hosts (port unreachable for the generator's UDP): they would
  # travel back through uplane and blur its counters. Echo replies are not affected.
  netns_exec h1 sysctl -qw net.ipv4.icmp_msgs_per_sec=0 net.ipv4.icmp_msgs_burst=0
  netns_exec h2 sysctl -qw net.ipv4.icmp_msgs_per_sec=0 net.ipv4.icmp_msgs_burst=0
}

# netns_router_config METHOD FILE: examples/netns-router.click with this bed's devices and
# addresses. `uplane run` takes no NAME=VALUE overrides (Click's driver does), so the
# example's define(...) block is replaced.
netns_router_config() {
  local method=$1 out=$2
  {
    echo "define(\$DEV0 $RT_DEV0, \$ADDR0 $RT_IP0, \$LEN0 24, \$MAC0 $RT_MAC0,"
    echo "       \$DEV1 $RT_DEV1, \$ADDR1 $RT_IP1, \$LEN1 24, \$MAC1 $RT_MAC1,"
    echo "       \$METHOD $method, \$RING ${NETNS_RING:-4096});"
    awk 'skip == 0 && /^define\(/ { skip = 1 }
         skip == 1 { if (/\);/) skip = 2; next }
         { print }' "$NETNS_REPO/examples/netns-router.click"
  } >"$out"
}

# The handlers netns_uplane_start asks uplane to print when it stops: enough to account for
# every packet (netns_uplane_accounting).
NETNS_UPLANE_HANDLERS=(fd0.count fd1.count td0.count td1.count fd0.method fd0.link fd1.link
  arpq0.queries arpq1.queries arpq0.responses arpq1.responses arpq0.length arpq1.length
  out0.length out1.length Discard.count '*.drop_reasons' fd0.stats fd1.stats td0.stats
  td1.stats)

# netns_uplane_start UPLANE METHOD LOG [EXTRA uplane run ARGS...]: runs the router in ns rt
# (netns_bg_first); its pid is in UPLANE_PID.
netns_uplane_start() {
  local uplane=$1 method=$2 log=$3 h
  shift 3
  local cfg="$NETNS_TMP/router-$method.click"
  netns_router_config "$method" "$cfg"
  local args=()
  for h in "${NETNS_UPLANE_HANDLERS[@]}"; do args+=(-h "$h"); done
  netns_bg_first rt "$log" "$uplane" run "$@" "${args[@]}" "$cfg"
  UPLANE_PID=$NETNS_LAST_PID
}

# netns_wait_path [TRIES]: pings h1 -> h2 once a second until one answers (uplane is up,
# and ARP resolved on every hop). Fails after TRIES (default 15) or if uplane died.
netns_wait_path() {
  local tries=${1:-15}
  for _ in $(seq "$tries"); do
    if [ -n "${UPLANE_PID:-}" ] && ! kill -0 "$UPLANE_PID" 2>/dev/null; then
      netns_log "uplane exited before the path came up"
      return 1
    fi
    netns_exec h1 timeout 3 ping -q -n -c 1 -W 1 "$H2_IP" >/dev/null 2>&1 && return 0
  done
  netns_log "no path h1 -> h2 after $tries tries"
  return 1
}

# netns_handler LOG NAME: the value uplane printed for handler NAME ("fd0.count"); for a
# multi-line value, all its lines.
netns_handler() {
  awk -v want="$2:" '$0 == want { on = 1; next } on && $0 == "" { exit } on { print }' "$1"
}

# netns_uplane_accounting LOG: checks that uplane's counters add up and prints one line:
#   received + generated = forwarded + consumed + dropped + held
# received: frames FromDevice took; generated: ARP queries; forwarded: frames ToDevice
# handed to the devices (ARP replies included); consumed: ARP replies the queriers learned
# from and frames Discard took; dropped: every element's counted drops (drop_reasons);
# held: frames still queued when uplane stopped. No fragmentation in the bed (one MTU), so
# every other element passes one frame for one frame. Returns 1 when the sides differ.
netns_uplane_accounting() {
  awk '
    /^[^ ]+\.[a-z_]+:$/ { key = substr($0, 1, length($0) - 1); next }
    $0 == "" { key = ""; next }
    key ~ /\.drop_reasons$/ { dropped += $2; next }
    key ~ /^fd[01]\.count$/ { received += $1 }
    key ~ /^td[01]\.count$/ { forwarded += $1 }
    key ~ /^arpq[01]\.queries$/ { generated += $1 }
    key ~ /^arpq[01]\.responses$/ { consumed += $1 }
    key ~ /\.count$/ && key ~ /Discard/ { consumed += $1 }
    key ~ /^(arpq[01]|out[01])\.length$/ { held += $1 }
    END {
      left = received + generated; right = forwarded + consumed + dropped + held
      printf "uplane: received %d + generated %d = forwarded %d + consumed %d + dropped %d + held %d (%s)\n",
             received, generated, forwarded, consumed, dropped, held,
             left == right ? "adds up" : "DOES NOT ADD UP"
      exit left == right ? 0 : 1
    }' "$1"
}

# netns_uplane_drops LOG: "element reason count" for every nonzero drop counter, and the
# ports' nonzero drop and error counters ("fd0.stats rx_dropped 12").
netns_uplane_drops() {
  awk '
    /^[^ ]+\.[a-z_]+:$/ { key = substr($0, 1, length($0) - 1); next }
    $0 == "" { key = ""; next }
    key ~ /\.drop_reasons$/ && $2 > 0 { sub(/\.drop_reasons$/, "", key); print key, $1, $2; key = key ".drop_reasons" }
    key ~ /\.stats$/ && $1 ~ /dropped|errors/ && $2 > 0 { print key, $1, $2 }' "$1"
}

# netns_summary FILE WHAT KEY: a key=value from a pktgen summary line ("tx summary: ...").
netns_summary() {
  grep "^$2 summary:" "$1" | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { sub(/s$/, "", $2); print $2 }'
}

# ---------------------------------------------------------------------------------------
# The tenants bed: several tenants' virtual routers on one uplane host, between two shared
# Ethernet segments (a Linux bridge in ns tl and one in ns tr; this kernel has no 802.1Q
# devices, so tenants are told apart by their routers' MAC addresses, as on a VALE port):
#
#   ns blue1 eth0 10.1.1.2 ┐                                         ┌ eth0 10.1.2.2 ns blue2
#   ns red1  eth0 10.2.1.2 ├ bridge (ns tl) ── p0 ┐ ns rt:  ┌ p1 ── bridge (ns tr) ┤ eth0 10.2.2.2 ns red2
#   ns green1 ...          ┘                      uplane host                      └ ...
#
# NETNS_TENANTS lists the tenants in use (a subset of the table below); set it before
# netns_tenants_setup. Tenant T (number N = TENANT_NUM[T]) routes 10.N.1.0/24 (p0, its
# router 10.N.1.1) <-> 10.N.2.0/24 (p1, 10.N.2.1), with Ethernet address TENANT_MAC[T] on
# both segments; its selector is both ports, untagged frames, that MAC (and broadcasts).

declare -A TENANT_NUM=([blue]=1 [red]=2 [green]=3)
declare -A TENANT_MAC=([blue]=02:00:00:00:01:01 [red]=02:00:00:00:02:01 [green]=02:00:00:00:03:01)
# A tenant's mode in netns_tenants_host_toml: unset, in-process; "process", its own process.
declare -A TENANT_MODE=()
NETNS_TENANTS=(${NETNS_TENANTS[@]:-blue red green})

netns_tenants_setup() {
  local t n side d
  TENANTS_P0=ut${NETNS_ID}p0 TENANTS_P1=ut${NETNS_ID}p1
  netns_add rt && netns_add tl && netns_add tr || return 1
  netns_veth tl seg rt "$TENANTS_P0" || return 1
  netns_veth rt "$TENANTS_P1" tr seg || return 1
  netns_exec rt sysctl -qw net.ipv4.ip_forward=0
  netns_plain_frames rt "$TENANTS_P0"
  netns_plain_frames rt "$TENANTS_P1"
  for side in tl tr; do
    netns_exec "$side" ip link add sw type bridge || return 1
    netns_exec "$side" ip link set seg master sw
    netns_exec "$side" ip link set sw up
    netns_plain_frames "$side" seg
  done
  for t in "${NETNS_TENANTS[@]}"; do
    n=${TENANT_NUM[$t]}
    netns_add "${t}1" && netns_add "${t}2" || return 1
    netns_veth tl "h$t" "${t}1" eth0 && netns_veth tr "h$t" "${t}2" eth0 || return 1
    netns_exec tl ip link set "h$t" master sw
    netns_exec tr ip link set "h$t" master sw
    for d in "${t}1 1" "${t}2 2"; do
      # shellcheck disable=SC2086
      set -- $d
      netns_plain_frames "$1" eth0
      netns_exec "$1" ip addr add "10.$n.$2.2/24" dev eth0
      netns_exec "$1" ip route add default via "10.$n.$2.1"
      netns_exec "$1" sysctl -qw net.ipv4.icmp_msgs_per_sec=0 net.ipv4.icmp_msgs_burst=0
    done
  done
}

# netns_tenant_click TENANT [NOTE]: the tenant's router configuration. Its element names stay
# the same whatever NOTE says, so a replacement carries the counters over.
netns_tenant_click() {
  local n=${TENANT_NUM[$1]} m=${TENANT_MAC[$1]}
  cat <<EOC
// Tenant $1: an IPv4 router 10.$n.1.1/24 (host port p0) <-> 10.$n.2.1/24 (p1). ${2:-}
fd0 :: FromDevice(p0);
fd1 :: FromDevice(p1);
out0 :: Queue(1024) -> td0 :: ToDevice(p0);
out1 :: Queue(1024) -> td1 :: ToDevice(p1);
fd0 -> in0 :: Counter -> c0 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
fd1 -> in1 :: Counter -> c1 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
c0[0] -> ARPResponder(10.$n.1.1 $m) -> out0;
c1[0] -> ARPResponder(10.$n.2.1 $m) -> out1;
arpq0 :: ARPQuerier(10.$n.1.1/24, $m) -> out0;
arpq1 :: ARPQuerier(10.$n.2.1/24, $m) -> out1;
c0[1] -> [1]arpq0;
c1[1] -> [1]arpq1;
rt :: RadixIPLookup(10.$n.1.1/32 0, 10.$n.2.1/32 0, 10.$n.1.0/24 1, 10.$n.2.0/24 2);
ip :: Strip(14) -> CheckIPHeader -> GetIPAddress(16) -> rt;
c0[2] -> ip;
c1[2] -> ip;
rt[0] -> tohost :: Counter -> Discard;
rt[1] -> DecIPTTL -> fwd0 :: Counter -> [0]arpq0;
rt[2] -> DecIPTTL -> fwd1 :: Counter -> [0]arpq1;
c0[3] -> Discard;
c1[3] -> Discard;
EOC
}

# netns_tenants_host_toml DRIVER SOCKET: the host configuration (and, beside it in
# $NETNS_TMP, each tenant's .click file) for `uplane host`.
netns_tenants_host_toml() {
  local t
  cat <<EOC
control = "$2"

[[port]]
name = "p0"
device = "$TENANTS_P0"
driver = "$1"

[[port]]
name = "p1"
device = "$TENANTS_P1"
driver = "$1"
EOC
  for t in "${NETNS_TENANTS[@]}"; do
    netns_tenant_click "$t" >"$NETNS_TMP/$t.click"
    cat <<EOC

[[tenant]]
name = "$t"
config = "$t.click"
mode = "${TENANT_MODE[$t]:-in-process}"
[tenant.selector]
ports = ["p0", "p1"]
vlans = [0]
macs = ["${TENANT_MAC[$t]}"]
EOC
  done
}

# netns_ip_in_receives SHORT: IPv4 packets the namespace's stack has received (ARP excluded).
netns_ip_in_receives() {
  netns_exec "$1" awk '/^Ip:/ { if (h) { print $4; exit } h = 1 }' /proc/net/snmp
}
