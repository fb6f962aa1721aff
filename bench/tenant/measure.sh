# shellcheck shell=bash
# bench/tenant/measure.sh — measuring helpers shared by bench/tenant/run.sh and hop.sh
# (sourced after tests/netns/lib.sh; they set `logs` (a directory to keep the run's files
# in, or empty), and `warmup` and `window` in seconds before calling mean_rate).

log() { echo "$*" >&2; }
# On exit: the run's files to --logs when given, then the namespaces go.
bench_cleanup() {
  if [ -n "$logs" ] && [ -n "${NETNS_TMP:-}" ]; then
    mkdir -p "$logs" && cp -r "$NETNS_TMP"/. "$logs"/ 2>/dev/null
  fi
  netns_cleanup
}

proc_run_ns() {  # time on a CPU of every thread of PID so far, in ns (schedstat)
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
psi_us() { awk '/^some/ { sub(/total=/, "", $5); print $5; exit }' /proc/pressure/cpu 2>/dev/null || echo 0; }
psi_share() {  # psi_share US1 US2 SECONDS: percent
  awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { if (a == "" || b == "") print "nan"; else printf "%.0f", (b - a) / (s * 1e4) }'
}
median() {  # median of the numbers on standard input ("nan" when none)
  sort -g | awk '{ v[n++] = $1 } END { if (!n) { print "nan"; exit }
    print (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}

# A process's --rates lines: the mean over lines with t in (warmup, warmup + window] of the
# sum of the rates whose names match FIELD (a regex: "td[01]=", "tx=").
mean_rate() {  # mean_rate LOG FIELD
  # shellcheck disable=SC2154  # warmup, window: the caller's
  awk -v w="$warmup" -v n="$window" -v f="$2" '/^rates/ {
      t = $2; sub(/^t=/, "", t); sub(/s$/, "", t); s = 0
      for (i = 3; i <= NF; ++i) if ($i ~ "^" f) { v = $i; sub("^" f, "", v); sub(/\/s$/, "", v); s += v }
      if (t > w + 0.5 && t <= w + n + 0.5) { sum += s; k++ } }
    END { printf "%.0f\n", k ? sum / k : 0 }' "$1"
}

# wait_rates LOG PID: until the first --rates line (at most 10 s), or the process died.
wait_rates() {
  local _
  for _ in $(seq 100); do
    kill -0 "$2" 2>/dev/null || { log "exited: $(tail -n 5 "$1")"; return 1; }
    grep -q '^rates' "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  log "no rates line in 10 s: $(tail -n 5 "$1")"
  return 1
}

# two_port_toml DEV0 DEV1 DRIVER CLICK EXTRA MAC...: a host file with ports p0 (on DEV0) and
# p1 (on DEV1) of DRIVER, one worker pinned to CPU 1 polling both, and one tenant `t` running
# CLICK, with EXTRA as more of its keys (mode = "process", ...), selecting p0 and p1,
# untagged, and the MACs given (the egress check wants the frames' sources among them too).
two_port_toml() {
  local dev0=$1 dev1=$2 driver=$3 click=$4 extra=$5 macs='' m
  shift 5
  for m in "$@"; do macs+="${macs:+, }\"$m\""; done
  cat <<TOML
[[port]]
name = "p0"
device = "$dev0"
driver = "$driver"

[[port]]
name = "p1"
device = "$dev1"
driver = "$driver"

[[worker]]
cpu = 1
ports = ["p0", "p1"]

[[tenant]]
name = "t"
click = """$click"""
$extra
  [tenant.selector]
  ports = ["p0", "p1"]
  vlans = [0]
  macs = [$macs]
TOML
}
