#!/usr/bin/env bash
# Two tenants' virtual networks on one uplane host (`uplane host`, docs/tenancy.md):
#
#   ns blue1 10.1.1.2 ┐                                              ┌ 10.1.2.2 ns blue2
#                     ├ segment ── p0 ┐ uplane host: tenants    ┌ p1 ── segment ┤
#   ns red1  10.2.1.2 ┘               └ blue, red (a router each) ┘               └ 10.2.2.2 ns red2
#
# Both tenants' routers share the host's two ports; the host tells their frames apart by
# the routers' MAC addresses (tests/netns/lib.sh, the tenants bed). Blue's router runs in
# the host's process; red's in a process of its own (mode = "process", the way an untrusted
# tenant runs: it sees only its own frames, and the host checks every frame it hands back). The demo pings through
# each tenant, shows that blue's hosts cannot reach red's, sends uplane-pktgen traffic
# through both at different rates while uplane prints each tenant's rates every second,
# replaces red's configuration live (a hitless restart of red's process: the new one
# attaches before the old one leaves; blue keeps forwarding),
# stops the host (every frame back in its pool) and tears everything down, also on Ctrl-C
# or an error. About 20 seconds; every step is bounded by a timeout.
#
#   scripts/demo-tenants.sh [--build DIR] [--driver xdp|packet]
#
# DIR holds the built uplane, uplanectl and uplane-pktgen (default build/release).
# Needs root (network namespaces): run as another user, it re-runs itself with sudo.
# Exit status: 0 when both tenants forwarded, the replacement took and nothing leaked.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build/release driver=xdp
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "${2:?--build needs a directory}" && pwd) || exit 2; shift 2 ;;
    --driver) driver=${2:?--driver needs xdp or packet}; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--driver xdp|packet]" >&2; exit 2 ;;
  esac
done
case "$driver" in xdp | packet) ;; *) echo "demo: --driver xdp or packet" >&2; exit 2 ;; esac
uplane=$build/tools/uplane/uplane ctl=$build/tools/uplanectl/uplanectl
pktgen=$build/tools/pktgen/uplane-pktgen
for f in "$uplane" "$ctl" "$pktgen"; do
  [ -x "$f" ] || { echo "demo: $f is not built (scripts/run.sh builds it)" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "demo: needs root (network namespaces)" >&2; exit 1; }
  exec sudo "$0" --build "$build" --driver "$driver"
fi
for tool in ip ping ethtool timeout setsid; do
  command -v "$tool" >/dev/null ||
    { echo "demo: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

NETNS_TENANTS=(blue red)
# shellcheck source=tests/netns/lib.sh
source "$repo/tests/netns/lib.sh"
TENANT_MODE[red]=process
netns_begin updt || exit 1

sock=$NETNS_TMP/control.sock
uctl() { timeout 10 "$ctl" -s "$sock" "$@"; }

netns_say "topology: tenants blue (10.1.x) and red (10.2.x), one uplane host between two segments"
netns_tenants_setup || netns_die "could not build the namespaces"
netns_tenants_host_toml "$driver" "$sock" >"$NETNS_TMP/host.toml"
"$uplane" host --check "$NETNS_TMP/host.toml" | sed 's/^/   /' || netns_die "the host configuration is wrong"
sed 's/^/   | /' "$NETNS_TMP/host.toml"

ulog=$NETNS_TMP/uplane.log
netns_bg_first rt "$ulog" "$uplane" host --rates 1 "$NETNS_TMP/host.toml"
UPLANE_PID=$NETNS_LAST_PID
for _ in $(seq 50); do
  [ -S "$sock" ] && uctl list >/dev/null 2>&1 && break
  kill -0 "$UPLANE_PID" 2>/dev/null || netns_die "uplane host exited"
  sleep 0.1
done
echo "   uplane host --rates 1 host.toml (pid $UPLANE_PID); control socket $sock"

# The host's rate lines ("rates t=3.0s blue rx=812/s tx=810/s drops=0/s red ..."), as
# they come; tail stops when uplane does. (A shell loop, not awk: mawk reads in blocks.)
show_rates() {
  local line
  while IFS= read -r line; do
    [[ $line == "rates "* ]] && echo "   uplane ${line#rates }"
  done < <(tail --pid="$UPLANE_PID" -n +1 -F "$ulog" 2>/dev/null)
}
show_rates &
NETNS_PIDS+=($!)

netns_say "ping through each tenant's router, host 1 -> host 2"
ok=1
for t in blue red; do
  to=10.${TENANT_NUM[$t]}.2.2
  for _ in $(seq 10); do  # the first pings also resolve addresses (bounded)
    netns_exec "${t}1" timeout 3 ping -q -n -c 1 -W 1 "$to" >/dev/null 2>&1 && break
  done
  netns_exec "${t}1" timeout 10 ping -n -q -c 5 -i 0.2 -W 1 "$to" >"$NETNS_TMP/ping.out" 2>&1 || ok=0
  echo "   $t: $(grep -E 'packet loss' "$NETNS_TMP/ping.out")"
done
if netns_exec blue1 timeout 5 ping -n -q -c 2 -i 0.2 -W 1 10.2.2.2 >/dev/null 2>&1; then
  echo "   blue -> red's host 10.2.2.2: ANSWERED (isolation broken)"
  ok=0
else
  echo "   blue -> red's host 10.2.2.2: no answer — blue's router has no route there"
fi

netns_say "traffic: blue at 50,000 and red at 20,000 64-byte frames/s for 6 s; red replaced live at 3 s"
for t in blue red; do
  rate=50000
  [ "$t" = red ] && rate=20000
  n=${TENANT_NUM[$t]}
  netns_bg "${t}1" "$NETNS_TMP/pktgen-$t.log" "$pktgen" tx -i eth0 -m packet \
    --dst-mac "${TENANT_MAC[$t]}" --src-ip "10.$n.1.2" --dst-ip "10.$n.2.2" --size 60 \
    --rate "$rate" --duration 6
done
sleep 3
netns_tenant_click red "Replaced live by the demo." >"$NETNS_TMP/red-v2.click"
if uctl replace red "$NETNS_TMP/red-v2.click" >"$NETNS_TMP/replace.log" 2>&1; then
  echo "   uplanectl replace red red-v2.click: $(cat "$NETNS_TMP/replace.log")"
else
  echo "   replacement refused: $(cat "$NETNS_TMP/replace.log")"
  ok=0
fi
sleep 4
echo "   per tenant, from the control socket (uplanectl tenants):"
uctl tenants | sed 's/^/   /'

netns_say "stopping the host"
sleep 1.1
netns_stop "$UPLANE_PID" 10
ustatus=$?
grep -E '^(tenant|host)' "$ulog" | sed 's/^/   /'

netns_say "teardown"
prefix=$(netns_name '')
netns_cleanup
left=$(ip netns list | awk '{print $1}' | grep -c "^$prefix")
echo "   namespaces left: $left"

status=0
[ "$ustatus" = 0 ] || { echo "demo: uplane host exited with status $ustatus"; status=1; }
[ "$ok" = 1 ] || { echo "demo: a tenant did not forward, or isolation failed"; status=1; }
[ "$left" = 0 ] || { echo "demo: the teardown left something behind"; status=1; }
[ "$status" = 0 ] && echo "demo: done — two tenants' networks on one host, one replaced live"
exit "$status"
