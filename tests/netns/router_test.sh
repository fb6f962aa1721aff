#!/usr/bin/env bash
# uplane as the IPv4 router between two hosts in network namespaces (lib.sh's router bed),
# with real traffic: ping, iperf3, uplane-pktgen. One case per run:
#
#   router_test.sh --uplane UPLANE --pktgen PKTGEN CASE METHOD
#     CASE    ping      ping both ways through uplane; no answer without it
#             iperf3    a TCP transfer h1 -> h2 completes with nonzero throughput
#             million   1,000,000 64-byte frames h1 -> h2 at a moderate rate: none lost,
#                       and uplane's counters add up
#             linkflap  h1's link goes down and up under traffic: uplane keeps running and
#                       traffic resumes
#     METHOD  PACKET or XDP (uplane's FromDevice/ToDevice and pktgen's port)
#
# Environment: UPLANE_NETNS_RATE (million's rate, default 100000 pps), UPLANE_NETNS_COUNT
# (default 1000000). Exit 0 pass, 1 fail, 77 skip (not root). Prints one line per check;
# on failure also the logs of uplane and the tools.
set -u
uplane='' pktgen=''
while [ $# -gt 2 ]; do
  case "$1" in
    --uplane) uplane=$2; shift 2 ;;
    --pktgen) pktgen=$2; shift 2 ;;
    *) break ;;
  esac
done
case_name=${1:-} method=${2:-}
if [ -z "$uplane" ] || [ -z "$pktgen" ] || [ $# -ne 2 ]; then
  echo "usage: $0 --uplane UPLANE --pktgen PKTGEN ping|iperf3|million|linkflap PACKET|XDP" >&2
  exit 2
fi
case "$method" in PACKET | XDP) ;; *) echo "METHOD must be PACKET or XDP" >&2; exit 2 ;; esac
pmethod=$(tr '[:upper:]' '[:lower:]' <<<"$method")
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root (network namespaces, veth pairs, XDP)"
  exit 77
fi
for tool in ip ping ethtool timeout iperf3 python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
netns_begin upnt || exit 1

finish() { netns_finish "$case_name $method"; }
ulog="$NETNS_TMP/uplane.log"

# Stops uplane and checks what a user sees at the end of a run: a clean exit (no packet
# leaked), the method it ran with, and counters that add up.
stop_uplane_and_check() {
  netns_stop "$UPLANE_PID" 15
  check "uplane exits cleanly on SIGINT (status 0: no frame leaked)" $?
  check "uplane ran with METHOD $method" \
    "$([ "$(netns_handler "$ulog" fd0.method)" = "$method" ]; echo $?)"
  netns_uplane_accounting "$ulog"
  check "uplane's counters add up" $?
  netns_uplane_drops "$ulog" | sed 's/^/     uplane drops: /'
}

ping_ok() {  # ping_ok FROM_NS DST: 5 pings, none lost
  netns_exec "$1" timeout 15 ping -q -n -c 5 -i 0.2 -W 2 "$2" >"$NETNS_TMP/ping.out" 2>&1 &&
    grep -q " 0% packet loss" "$NETNS_TMP/ping.out"
}

netns_router_setup
check "namespaces h1, rt, h2 and two veth pairs are up" $?
[ "$failed" = 0 ] || finish

case "$case_name" in
ping)
  netns_exec h1 timeout 10 ping -q -n -c 1 -W 1 "$H2_IP" >/dev/null 2>&1
  rc=$?
  check "without uplane, h1 cannot reach h2 (the kernel does not route)" "$([ "$rc" != 0 ]; echo $?)"
  netns_uplane_start "$uplane" "$method" "$ulog"
  netns_wait_path
  check "uplane starts and the path h1 -> h2 comes up" $?
  ping_ok h1 "$H2_IP"
  check "ping h1 -> h2 through uplane: 5/5 answered" $?
  ping_ok h2 "$H1_IP"
  check "ping h2 -> h1 through uplane: 5/5 answered" $?
  stop_uplane_and_check
  check "uplane received and forwarded the pings" \
    "$([ "$(netns_handler "$ulog" td1.count)" -ge 10 ] && [ "$(netns_handler "$ulog" td0.count)" -ge 10 ]; echo $?)"
  netns_exec h1 timeout 10 ping -q -n -c 1 -W 1 "$H2_IP" >/dev/null 2>&1
  rc=$?
  check "after uplane stops, h1 cannot reach h2 again" "$([ "$rc" != 0 ]; echo $?)"
  ;;

iperf3)
  netns_uplane_start "$uplane" "$method" "$ulog"
  netns_wait_path
  check "uplane starts and the path h1 -> h2 comes up" $?
  netns_bg h2 "$NETNS_TMP/iperf3-server.log" timeout 60 iperf3 -s -B "$H2_IP" -p 5201
  for _ in $(seq 50); do
    netns_exec h2 ss -Hltn "sport = :5201" 2>/dev/null | grep -q 5201 && break
    sleep 0.1
  done
  # The client's JSON report, kept as a .log so that a failure shows it.
  json="$NETNS_TMP/iperf3-client.log"
  bytes=0 mbits=0
  for _ in 1 2 3; do
    netns_exec h1 timeout 30 iperf3 -c "$H2_IP" -p 5201 -t 3 -J --connect-timeout 2000 >"$json" 2>&1
    read -r bytes mbits < <(python3 -c '
import json, sys
try:
    s = json.load(open(sys.argv[1]))["end"]["sum_received"]
    print(int(s["bytes"]), "%.1f" % (s["bits_per_second"] / 1e6))
except Exception:
    print(0, 0)' "$json")
    [ "${bytes:-0}" -gt 0 ] && break
    echo "     iperf3 attempt failed: $(grep -m1 '"error"' "$json" || tail -n 1 "$json")"
    sleep 1
  done
  echo "     iperf3 TCP h1 -> h2 via uplane ($method): $bytes bytes received, $mbits Mbit/s"
  check "iperf3 h1 -> h2 completes with nonzero throughput" \
    "$([ "${bytes:-0}" -gt 0 ] && python3 -c "import sys; sys.exit(0 if float('$mbits') > 0 else 1)"; echo $?)"
  stop_uplane_and_check
  ;;

million)
  rate=${UPLANE_NETNS_RATE:-100000}
  count=${UPLANE_NETNS_COUNT:-1000000}
  netns_uplane_start "$uplane" "$method" "$ulog"
  netns_wait_path  # also resolves ARP on both sides before the sink takes h2's frames
  check "uplane starts and the path h1 -> h2 comes up" $?
  rxlog="$NETNS_TMP/pktgen-rx.log"
  limit=$((count / rate + 30))
  # The sink, like the router, ahead of the machine's other work.
  netns_bg_first h2 "$rxlog" "$pktgen" rx -i "$H2_DEV" -m "$pmethod" --ring-size 8192 \
    --count "$count" --idle 3 --duration "$limit"
  rx_pid=$NETNS_LAST_PID
  for _ in $(seq 50); do grep -q "^rx on" "$rxlog" 2>/dev/null && break; sleep 0.1; done
  check "pktgen rx opened $H2_DEV" "$(grep -q "^rx on" "$rxlog"; echo $?)"
  netns_exec h2 cat /proc/net/snmp >"$NETNS_TMP/snmp-before"
  txlog="$NETNS_TMP/pktgen-tx.log"
  netns_exec h1 timeout "$limit" "$pktgen" tx -i "$H1_DEV" -m "$pmethod" --dst-mac "$RT_MAC0" \
    --dst-ip "$H2_IP" --size 60 --flows 8 --rate "$rate" --count "$count" >"$txlog" 2>&1
  check "pktgen tx sent $count frames (rate $rate pps)" \
    "$([ "$(netns_summary "$txlog" tx packets)" = "$count" ]; echo $?)"
  for _ in $(seq 100); do kill -0 "$rx_pid" 2>/dev/null || break; sleep 0.1; done
  netns_stop "$rx_pid" 5
  grep "summary" "$txlog" "$rxlog" | sed 's/^.*\/pktgen-/     /'
  probes=$(netns_summary "$rxlog" rx probes)
  lost=$(netns_summary "$rxlog" rx lost)
  reordered=$(netns_summary "$rxlog" rx reordered)
  check "pktgen rx got all $count frames ($probes), none lost ($lost) or reordered ($reordered)" \
    "$([ "$probes" = "$count" ] && [ "$lost" = 0 ] && [ "$reordered" = 0 ]; echo $?)"
  if [ "$method" = PACKET ]; then
    # h2's kernel saw the frames too (a packet socket only copies them): each was a valid
    # UDP datagram for a closed port, and none had a bad checksum.
    netns_exec h2 cat /proc/net/snmp >"$NETNS_TMP/snmp-after"
    read -r noports csum < <(paste "$NETNS_TMP/snmp-before" "$NETNS_TMP/snmp-after" | awk '
      $1 == "Udp:" && $2 ~ /^[0-9]+$/ { n = NF / 2; print $(n + 3) - $3, $(n + 8) - $8 }')
    check "h2's kernel counted $noports valid UDP datagrams, $csum checksum errors" \
      "$([ "$noports" -ge "$count" ] && [ "$csum" = 0 ]; echo $?)"
  fi
  stop_uplane_and_check
  fd0_drops=$(netns_handler "$ulog" fd0.stats | awk '$1 == "rx_dropped" { print $2 }')
  drops=$(awk '/\.drop_reasons:$/ { on = 1; next } $0 == "" { on = 0 } on { s += $2 } END { print s + 0 }' "$ulog")
  check "uplane: no frame dropped by the kernel before it ($fd0_drops) or by an element ($drops)" \
    "$([ "$fd0_drops" = 0 ] && [ "$drops" = 0 ]; echo $?)"
  check "uplane forwarded every frame to h2 ($(netns_handler "$ulog" td1.count) >= $count)" \
    "$([ "$(netns_handler "$ulog" td1.count)" -ge "$count" ]; echo $?)"
  ;;

linkflap)
  netns_uplane_start "$uplane" "$method" "$ulog"
  netns_wait_path
  check "uplane starts and the path h1 -> h2 comes up" $?
  # A stream h2 -> h1 at 20 kpps for the whole case, counted in h1 by a sink on a packet
  # socket (an AF_XDP sink would take h1's ping replies and ARP away from its kernel).
  rxlog="$NETNS_TMP/pktgen-rx.log" txlog="$NETNS_TMP/pktgen-tx.log"
  netns_bg h1 "$rxlog" "$pktgen" rx -i "$H1_DEV" -m packet --duration 30
  rx_pid=$NETNS_LAST_PID
  for _ in $(seq 50); do grep -q "^rx on" "$rxlog" 2>/dev/null && break; sleep 0.1; done
  netns_bg h2 "$txlog" "$pktgen" tx -i "$H2_DEV" -m "$pmethod" --dst-mac "$RT_MAC1" \
    --dst-ip "$H1_IP" --rate 20000 --duration 30
  tx_pid=$NETNS_LAST_PID
  rx_total() { awk '$1 == "rx" && $2 ~ /^[0-9.]+$/ { t = $9 } END { print t + 0 }' "$rxlog"; }
  sleep 2.2
  before=$(rx_total)
  check "traffic h2 -> h1 flows before the flap ($before frames)" "$([ "$before" -gt 0 ]; echo $?)"
  netns_exec h1 ip link set "$H1_DEV" down
  sleep 2
  netns_exec h1 ip link set "$H1_DEV" up
  # The kernel drops a device's routes when it goes down; h1 puts its default route back,
  # as a host's network manager would.
  netns_exec h1 ip route replace default via "$RT_IP0"
  check "uplane is still running after h1's link went down" "$(kill -0 "$UPLANE_PID"; echo $?)"
  netns_wait_path 20
  check "the path h1 -> h2 comes back after the link is up again" $?
  sleep 1.2
  t1=$(rx_total)
  sleep 2.2
  t2=$(rx_total)
  check "traffic h2 -> h1 resumes ($t1 -> $t2 frames received)" "$([ "$t2" -gt "$t1" ]; echo $?)"
  ping_ok h2 "$H1_IP"
  check "ping h2 -> h1 after the flap: 5/5 answered" $?
  netns_stop "$tx_pid" 5
  netns_stop "$rx_pid" 5
  grep "summary" "$txlog" "$rxlog" | sed 's/^.*\/pktgen-/     /'
  stop_uplane_and_check
  check "uplane sees both links up at the end" \
    "$([ "$(netns_handler "$ulog" fd0.link)" = up ] && [ "$(netns_handler "$ulog" fd1.link)" = up ]; echo $?)"
  ;;

*)
  echo "unknown case '$case_name'" >&2
  exit 2
  ;;
esac
finish
