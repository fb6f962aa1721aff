#!/usr/bin/env bash
# Three tenants' virtual routers on one uplane host (`uplane host`), between two shared
# Ethernet segments (tests/netns/lib.sh's tenants bed): blue routes 10.1.1.0/24 <-> 10.1.2.0/24,
# red 10.2.x, green 10.3.x; the host tells their frames apart by their routers' MACs.
#
#   tenants_test.sh --uplane UPLANE --uplanectl UPLANECTL CASE METHOD
#     CASE    isolation  each tenant's hosts reach each other; no packet of one tenant reaches
#                        another's hosts, not even addressed to them; crafted frames with a
#                        VLAN tag or an unknown MAC reach no tenant and are counted unmatched
#             replace    100 live replacements of red under traffic: blue and green lose no
#                        packet, red forwards after them, and its counters carry over
#     METHOD  PACKET or XDP (the host ports' driver)
# Exit 0 pass, 1 fail, 77 skip (not root).
set -u
uplane='' uplanectl=''
while [ $# -gt 2 ]; do
  case "$1" in
    --uplane) uplane=$2; shift 2 ;;
    --uplanectl) uplanectl=$2; shift 2 ;;
    *) break ;;
  esac
done
case_name=${1:-} method=${2:-}
if [ -z "$uplane" ] || [ -z "$uplanectl" ] || [ $# -ne 2 ]; then
  echo "usage: $0 --uplane UPLANE --uplanectl UPLANECTL isolation|replace PACKET|XDP" >&2
  exit 2
fi
case "$method" in PACKET | XDP) ;; *) echo "METHOD must be PACKET or XDP" >&2; exit 2 ;; esac
driver=$(tr '[:upper:]' '[:lower:]' <<<"$method")
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root (network namespaces, veth pairs, XDP)"
  exit 77
fi
for tool in ip ping ethtool timeout python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
netns_begin uptn || exit 1

finish() { netns_finish "$case_name $method"; }

SOCK=$NETNS_TMP/control.sock

ctl() { timeout 10 "$uplanectl" -s "$SOCK" "$@"; }
# count TENANT ELEMENT: the tenant's Counter value (or -1).
count() { local v; v=$(ctl read "$1/$2.count" 2>/dev/null) && echo "${v//[^0-9]/}" || echo -1; }

start_host() {
  netns_tenants_host_toml "$driver" "$SOCK" >"$NETNS_TMP/host.toml"
  "$uplane" host --check "$NETNS_TMP/host.toml" >"$NETNS_TMP/check.log" 2>&1
  check "uplane host --check accepts the host configuration" $?
  [ "$failed" = 0 ] || return 1
  netns_bg_first rt "$NETNS_TMP/uplane.log" "$uplane" host "$NETNS_TMP/host.toml"
  UPLANE_PID=$NETNS_LAST_PID
  for _ in $(seq 50); do
    [ -S "$SOCK" ] && ctl list >/dev/null 2>&1 && return 0
    kill -0 "$UPLANE_PID" 2>/dev/null || break
    sleep 0.1
  done
  netns_log "uplane host did not come up"
  return 1
}

# ping_tenant TENANT COUNT [INTERVAL]: ping host 1 -> host 2 of TENANT; prints packets lost.
ping_tenant() {
  local out
  out=$(netns_exec "${1}1" timeout 60 ping -n -q -c "$2" -i "${3:-0.2}" -W 1 "$(host2 "$1")" 2>&1)
  echo "$out" | awk -F', ' '/packets transmitted/ { split($1, a, " "); split($2, b, " "); print a[1] - b[1] }'
}

# wait_tenant TENANT: until one ping goes through (ARP resolved on every hop), at most 15 s.
wait_tenant() {
  for _ in $(seq 15); do
    netns_exec "${1}1" timeout 3 ping -q -n -c 1 -W 1 "$(host2 "$1")" >/dev/null 2>&1 && return 0
  done
  return 1
}

host2() { echo "10.${TENANT_NUM[$1]}.2.2"; }

# crafted TAG DST_MAC: ten UDP frames 10.1.1.2 -> 10.1.2.2 into segment p0, with an 802.1Q
# tag TAG (none when 0).
crafted() {
  netns_exec tl python3 - seg "$1" "$2" <<'EOF'
import socket, struct, sys
dev, tag, dst = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3].replace(":", ""))
src = bytes.fromhex("020000000102")
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0,
                 socket.inet_aton("10.1.1.2"), socket.inet_aton("10.1.2.2"))
s = sum(struct.unpack("!10H", ip)); s = (s & 0xFFFF) + (s >> 16); s = (s & 0xFFFF) + (s >> 16)
ip = ip[:10] + struct.pack("!H", ~s & 0xFFFF) + ip[12:]
vlan = struct.pack("!HH", 0x8100, tag) if tag else b""
frame = dst + src + vlan + b"\x08\x00" + ip + struct.pack("!HHHH", 9, 9, 8, 0)
frame += b"\0" * max(0, 60 - len(frame))
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sk:
    sk.bind((dev, 0))
    for _ in range(10):
        sk.send(frame)
EOF
}

netns_tenants_setup || { check "test bed set up" 1; finish; }
start_host || { check "uplane host running" 1; finish; }

case "$case_name" in
  isolation)
    for t in "${NETNS_TENANTS[@]}"; do
      wait_tenant "$t"
      check "tenant $t: a path $t host 1 -> $(host2 "$t") through uplane" $?
    done
    # Each tenant's pings reach its own host 2, and no other tenant's host sees one packet.
    for t in "${NETNS_TENANTS[@]}"; do
      declare -A before=()
      for o in "${NETNS_TENANTS[@]}"; do before[$o]=$(netns_ip_in_receives "${o}2"); done
      f0=$(count "$t" fwd1)
      lost=$(ping_tenant "$t" 20 0.05)
      check "tenant $t: 20 pings, $lost lost" "$([ "$lost" = 0 ] && echo 0 || echo 1)"
      f1=$(count "$t" fwd1)
      check "tenant $t: its router counted the 20 echo requests forwarded ($f0 -> $f1)" \
        "$([ $((f1 - f0)) -ge 20 ] && echo 0 || echo 1)"
      for o in "${NETNS_TENANTS[@]}"; do
        [ "$o" = "$t" ] && continue
        after=$(netns_ip_in_receives "${o}2")
        check "tenant $t's pings never reach tenant $o's host (IPv4 in: ${before[$o]} -> $after)" \
          "$([ "$after" = "${before[$o]}" ] && echo 0 || echo 1)"
      done
    done
    # Addressed to another tenant's host, through one's own router: no route, no delivery.
    r0=$(netns_ip_in_receives red2)
    lost=$(netns_exec blue1 timeout 20 ping -n -q -c 3 -i 0.2 -W 1 "$(host2 red)" 2>&1 |
      awk -F', ' '/packets transmitted/ { split($1, a, " "); split($2, b, " "); print a[1] - b[1] }')
    r1=$(netns_ip_in_receives red2)
    check "blue's host cannot reach red's host 2 (3 of 3 lost: $lost; red's IPv4 in $r0 -> $r1)" \
      "$([ "$lost" = 3 ] && [ "$r0" = "$r1" ] && echo 0 || echo 1)"
    # Crafted frames: tagged (VLAN 20) to blue's MAC, and untagged to a MAC no tenant has.
    declare -A in_before=()
    for t in "${NETNS_TENANTS[@]}"; do in_before[$t]=$(count "$t" in0); done
    u0=$(ctl read unmatched 2>/dev/null | tr -dc 0-9)
    crafted 20 "${TENANT_MAC[blue]}"
    crafted 0 02:00:00:00:77:01
    sleep 0.5
    for t in "${NETNS_TENANTS[@]}"; do
      after=$(count "$t" in0)
      check "tenant $t takes none of 20 crafted foreign frames (${in_before[$t]} -> $after)" \
        "$([ "$after" = "${in_before[$t]}" ] && echo 0 || echo 1)"
    done
    u1=$(ctl read unmatched 2>/dev/null | tr -dc 0-9)
    check "the host counted the crafted frames as unmatched (${u0:-?} -> ${u1:-?})" \
      "$([ $((${u1:-0} - ${u0:-0})) -ge 20 ] && echo 0 || echo 1)"
    ctl tenants >"$NETNS_TMP/tenants.log" 2>&1
    check "uplanectl tenants lists the three with their counters" \
      "$(grep -c '^name=\(blue\|red\|green\) .*rx_packets=[1-9]' "$NETNS_TMP/tenants.log" | grep -qx 3 && echo 0 || echo 1)"
    ;;
  replace)
    for t in "${NETNS_TENANTS[@]}"; do wait_tenant "$t" || check "tenant $t: path up" 1; done
    c0=$(count red in0)
    pingers=()
    # Blue and green ping at 50/s, in rounds of 50 that each finish (every echo answered or
    # timed out), until the replacements are done; red is replaced 100 times meanwhile.
    for t in blue green; do
      netns_bg "${t}1" "$NETNS_TMP/ping-$t.log" bash -c "for _ in \$(seq 200); do
          [ -e '$NETNS_TMP/stop-pings' ] && break
          ping -n -q -c 50 -i 0.02 -W 1 $(host2 "$t")
        done"
      pingers+=("$NETNS_LAST_PID")
    done
    sleep 0.5
    ok=0 t0=$(date +%s.%N)
    for i in $(seq 100); do
      netns_tenant_click red "replacement $i" >"$NETNS_TMP/red-$i.click"
      ctl replace red "$NETNS_TMP/red-$i.click" >>"$NETNS_TMP/replace.log" 2>&1 && ok=$((ok + 1))
      sleep 0.05
    done
    secs=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
    check "100 live replacements of red accepted ($ok, in $secs s)" "$([ "$ok" = 100 ] && echo 0 || echo 1)"
    kill -0 "${pingers[0]}" 2>/dev/null && kill -0 "${pingers[1]}" 2>/dev/null
    check "blue and green were pinging through all of them" $?
    touch "$NETNS_TMP/stop-pings"
    # A bad replacement is refused and changes nothing.
    echo 'fd0 :: FromDevice(p0) -> NoSuchElement;' >"$NETNS_TMP/bad.click"
    ! ctl replace red "$NETNS_TMP/bad.click" >"$NETNS_TMP/bad.log" 2>&1
    check "an invalid replacement is refused" $?
    grep -q "NoSuchElement" "$NETNS_TMP/bad.log"
    check "and the refusal names the unknown class" $?
    lost=$(ping_tenant red 10 0.1)
    check "red forwards after its replacements (10 pings, $lost lost)" "$([ "$lost" = 0 ] && echo 0 || echo 1)"
    c1=$(count red in0)
    check "red's counter carried over every replacement ($c0 -> $c1)" "$([ "$c1" -ge "$c0" ] && echo 0 || echo 1)"
    for _ in $(seq 50); do  # the last round ends within a second or two
      kill -0 "${pingers[0]}" 2>/dev/null || kill -0 "${pingers[1]}" 2>/dev/null || break
      sleep 0.1
    done
    for t in blue green; do
      read -r sent got < <(awk -F', ' '/packets transmitted/ { split($1, a, " "); split($2, b, " ");
        s += a[1]; r += b[1] } END { print s + 0, r + 0 }' "$NETNS_TMP/ping-$t.log")
      check "tenant $t lost no packet during red's replacements ($got of $sent answered)" \
        "$([ "$sent" -gt 0 ] && [ "$sent" = "$got" ] && echo 0 || echo 1)"
    done
    ;;
  *) echo "unknown case $case_name" >&2; exit 2 ;;
esac

netns_stop "$UPLANE_PID" 10
check "uplane host stops cleanly on SIGINT (every frame back in its pool)" $?
finish
