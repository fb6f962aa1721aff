#!/usr/bin/env bash
# uplane routing real traffic between two hosts, each in its own network namespace:
#
#   h1 10.1.0.2 -- veth -- [fd0/td0 uplane fd1/td1] -- veth -- h2 10.2.0.2
#
# Builds that topology (tests/netns/lib.sh), starts uplane in a third namespace as the IPv4
# router (examples/netns-router.click; the kernel there routes nothing), and sends: ping
# both ways, an iperf3 TCP transfer h1 -> h2, and uplane-pktgen's 64-byte UDP frames
# h1 -> h2, first at 100,000 packets a second (every one must arrive), then as fast as the
# generator goes. While traffic flows, uplane prints its per-second rates from its own
# element counters (`uplane run --rates 1`): packets taken from each host's link (fd0,
# fd1) and sent to each (td1, td0). At the end it prints its counters, which must add up,
# and everything is torn down — also on Ctrl-C or an error. About 20 seconds of traffic;
# every step is bounded by a timeout.
#
#   scripts/demo.sh [--build DIR] [--method AUTO|XDP|PACKET]
#
# DIR holds the built uplane and uplane-pktgen (default build/release). METHOD is uplane's
# FromDevice/ToDevice method (default AUTO: the fastest that works, AF_XDP on a veth).
# Needs root (network namespaces): run as another user, it re-runs itself with sudo.
# Exit status: 0 when traffic went through uplane and its counters add up, 1 otherwise.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build/release method=AUTO
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "${2:?--build needs a directory}" && pwd) || exit 2; shift 2 ;;
    --method) method=${2:?--method needs AUTO, XDP or PACKET}; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--method AUTO|XDP|PACKET]" >&2; exit 2 ;;
  esac
done
case "$method" in
  AUTO | XDP | PACKET) ;;
  *) echo "demo: --method AUTO, XDP or PACKET" >&2; exit 2 ;;
esac
uplane=$build/tools/uplane/uplane pktgen=$build/tools/pktgen/uplane-pktgen
for f in "$uplane" "$pktgen"; do
  [ -x "$f" ] || { echo "demo: $f is not built (scripts/run.sh builds it)" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "demo: needs root (network namespaces)" >&2; exit 1; }
  exec sudo "$0" --build "$build" --method "$method"
fi
for tool in ip ping iperf3 ethtool timeout setsid python3; do
  command -v "$tool" >/dev/null ||
    { echo "demo: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

# shellcheck source=tests/netns/lib.sh
source "$repo/tests/netns/lib.sh"
netns_begin updemo || exit 1


netns_say "topology: h1 ($H1_IP) -- uplane -- h2 ($H2_IP), each in a network namespace"
netns_router_setup || netns_die "could not build the namespaces"
ip netns list | grep "^$(netns_name '')" | awk '{print "   namespace " $1}'
echo "   links: $H1_DEV (h1) -- $RT_DEV0 (uplane) and $RT_DEV1 (uplane) -- $H2_DEV (h2)"

ulog=$NETNS_TMP/uplane.log
netns_uplane_start "$uplane" "$method" "$ulog" --rates 1
netns_wait_path 15 || netns_die "no path h1 -> h2 through uplane"
echo "   uplane routes: $uplane run --rates 1 examples/netns-router.click (pid $UPLANE_PID)"

# uplane's rate lines ("rates t=3.0s fd0=812345/s td1=812301/s ..."), as they come, in
# fixed columns; tail stops when uplane does.
echo "   uplane prints, each second, the packets per second its elements counted:"
echo "   fd0 from h1, td1 to h2 (h1 -> h2) | fd1 from h2, td0 to h1 (h2 -> h1)"
# (A shell loop, not awk: mawk reads a pipe in blocks.)
show_rates() {
  local line tok t key val other
  local -A v
  while IFS= read -r line; do
    [[ $line == "rates "* ]] || continue
    v=([fd0]=0 [td1]=0 [fd1]=0 [td0]=0) other=
    for tok in ${line#rates }; do
      key=${tok%%=*} val=${tok#*=}
      case "$key" in
        t) t=$val ;;
        fd[01] | td[01]) v[$key]=${val%/s} ;;
        *) [ "$val" = 0/s ] || other+=" $tok" ;;  # other counters, when they move
      esac
    done
    printf '   uplane %6s  fd0 %8d/s  td1 %8d/s | fd1 %8d/s  td0 %8d/s%s\n' "$t" \
      "${v[fd0]}" "${v[td1]}" "${v[fd1]}" "${v[td0]}" "$other"
  done < <(tail --pid="$UPLANE_PID" -n +1 -F "$ulog" 2>/dev/null)
}
show_rates &
NETNS_PIDS+=($!)
sleep 1.2

netns_say "ping: h1 -> h2 and h2 -> h1, 10 each"
for dir in "h1 $H2_IP" "h2 $H1_IP"; do
  read -r from to <<<"$dir"
  netns_exec "$from" timeout 10 ping -n -q -c 10 -i 0.2 -W 1 "$to" >"$NETNS_TMP/ping.out" 2>&1
  echo "   $from -> $to: $(grep -E 'packet loss' "$NETNS_TMP/ping.out")"
  echo "      $(grep -E '^rtt' "$NETNS_TMP/ping.out")"
done

netns_say "iperf3: TCP h1 -> h2 for 4 seconds"
netns_bg h2 "$NETNS_TMP/iperf3-server.log" timeout 20 iperf3 -s -1 -B "$H2_IP" -p 5201
for _ in $(seq 50); do
  netns_exec h2 ss -Hltn "sport = :5201" 2>/dev/null | grep -q 5201 && break
  sleep 0.1
done
netns_exec h1 timeout 15 iperf3 -c "$H2_IP" -p 5201 -t 4 -J --connect-timeout 2000 \
  >"$NETNS_TMP/iperf3.json" 2>&1
python3 - "$NETNS_TMP/iperf3.json" <<'EOF'
import json, sys
try:
    s = json.load(open(sys.argv[1]))["end"]["sum_received"]
    print("   received %.1f MB in %.1f s: %.0f Mbit/s" % (s["bytes"] / 1e6, s["seconds"],
                                                        s["bits_per_second"] / 1e6))
except Exception as e:
    print("   iperf3 failed:", open(sys.argv[1]).read().strip()[-300:])
EOF

# pktgen: the sink in h2 takes frames with the method uplane's ports use when that is
# AF_XDP (frames leave h2's kernel alone), else with a packet socket.
pgm=xdp
[ "$method" = PACKET ] && pgm=packet
pktgen_phase() {  # pktgen_phase TITLE SECONDS RATE(0: flat out)
  local title=$1 secs=$2 rate=$3
  netns_say "$title"
  local rxlog=$NETNS_TMP/pktgen-rx.log txlog=$NETNS_TMP/pktgen-tx.log
  netns_bg_first h2 "$rxlog" "$pktgen" rx -i "$H2_DEV" -m "$pgm" --ring-size 8192 \
    --idle 1 --duration $((secs + 10))
  local rx_pid=$NETNS_LAST_PID
  for _ in $(seq 30); do  # until it has opened the device, or failed to
    grep -q "^rx on" "$rxlog" 2>/dev/null && break
    kill -0 "$rx_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$rx_pid" 2>/dev/null && [ "$pgm" = xdp ]; then
    echo "   (AF_XDP unavailable for the generator: $(tail -n 1 "$rxlog"); using AF_PACKET)"
    pgm=packet
    pktgen_phase "$@"
    return
  fi
  netns_exec h1 timeout $((secs + 10)) "$pktgen" tx -i "$H1_DEV" -m "$pgm" \
    --dst-mac "$RT_MAC0" --dst-ip "$H2_IP" --size 60 --flows 8 --rate "$rate" \
    --duration "$secs" >"$txlog" 2>&1
  # The sink stops by itself a second after the last frame (--idle 1).
  for _ in $(seq 40); do kill -0 "$rx_pid" 2>/dev/null || break; sleep 0.1; done
  netns_stop "$rx_pid" 3
  local sent got lost
  sent=$(netns_summary "$txlog" tx packets)
  got=$(netns_summary "$rxlog" rx probes)
  lost=$(netns_summary "$rxlog" rx lost)
  echo "   h1 sent ${sent:-?} frames ($(netns_summary "$txlog" tx pps) pps);" \
    "h2 received ${got:-?} of them ($(netns_summary "$rxlog" rx pps) pps), lost ${lost:-?}"
  PHASE_SENT=${sent:-0} PHASE_GOT=${got:-0}
}
pktgen_phase "uplane-pktgen: 64-byte UDP h1 -> h2 at 100,000 packets/s for 4 s" 4 100000
moderate_ok=$([ "$PHASE_SENT" -gt 0 ] && [ "$PHASE_GOT" = "$PHASE_SENT" ] && echo 1 || echo 0)
pktgen_phase "uplane-pktgen: 64-byte UDP h1 -> h2 as fast as the generator goes, 4 s" 4 0
echo "   (the generator, its sink and uplane share this machine's $(nproc) cores; frames the"
echo "    router could not take in time are dropped by the kernel, and counted)"

netns_say "uplane's counters"
sleep 1.1  # one more rate line
netns_stop "$UPLANE_PID" 10
ustatus=$?
h() { netns_handler "$ulog" "$1"; }
kdrops() { h "$1" | awk '$1 == "rx_dropped" { print $2 }'; }
echo "   method $(h fd0.method)"
echo "   h1 -> h2: took $(h fd0.count) frames from h1, sent $(h td1.count) to h2"
echo "   h2 -> h1: took $(h fd1.count) frames from h2, sent $(h td0.count) to h1"
echo "   dropped by the kernel before uplane took them: from h1 $(kdrops fd0.stats)," \
  "from h2 $(kdrops fd1.stats)"
netns_uplane_accounting "$ulog" | sed 's/^/   /'
accounting=${PIPESTATUS[0]}
netns_uplane_drops "$ulog" | sed 's/^/   drops: /'

netns_say "teardown"
prefix=$(netns_name '')
netns_cleanup
left=$(ip netns list | awk '{print $1}' | grep -c "^$prefix")
links=$(ip -o link show | grep -c "un${NETNS_ID}[hr][0-9]")
echo "   namespaces left: $left, links left: $links"

status=0
[ "$ustatus" = 0 ] || { echo "demo: uplane exited with status $ustatus"; status=1; }
[ "$accounting" = 0 ] || { echo "demo: uplane's counters do not add up"; status=1; }
[ "$moderate_ok" = 1 ] || { echo "demo: frames were lost at 100,000 packets/s"; status=1; }
if [ "$left" != 0 ] || [ "$links" != 0 ]; then
  echo "demo: the teardown left something behind"
  status=1
fi
[ "$status" = 0 ] && echo "demo: done — traffic went through uplane both ways; its counters add up"
exit "$status"
