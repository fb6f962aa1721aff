#!/usr/bin/env python3
"""Medians over several bench/ports/run.sh logs, as Markdown tables.

Every round's Mpps is listed too; * marks the rounds the run left out of its medians
(contended: CPU pressure above its --max-wait).

    bench/ports/summarize.py run1.log run2.log run3.log

First each case's forwarded Mpps (median over every round of every run, and each run's own
median), then each RESULT line: the median over runs of uplane's value, the peer's value
and the ratio (uplane/peer for Mpps, peer/uplane for ns/pkt: above 1, uplane is ahead).
"""
import math
import re
import statistics
import sys

RESULT = re.compile(r"^RESULT (\S+) uplane=(\S+) (\w+)=(\S+) ratio=(\S+) unit=(\S+)")
ROUND = re.compile(r"^round (\d+) (\S+)\s+([\d.]+) Mpps\s+cpu\s+(\S+) ns/pkt")
WAIT = re.compile(r"wait\s+(\S+)%")
MAX_WAIT = re.compile(r"^medians over .*wait > (\d+)%")
RUN_MEDIAN = re.compile(r"^  (\S+)\s+(\S+) Mpps\s+cpu\s+(\S+) ns/pkt")


def num(s):
    try:
        v = float(s)
    except ValueError:
        return math.nan
    return v


def med(values):
    v = [x for x in values if not math.isnan(x)]
    return statistics.median(v) if v else math.nan


def fmt(x, digits=3):
    return "nan" if math.isnan(x) else f"{x:.{digits}f}"


def main(paths):
    if not paths:
        sys.exit(__doc__)
    rounds, run_medians, results, order = {}, {}, {}, []
    for path in paths:
        in_medians = False
        pending = []  # this run's round samples, marked once the threshold is known
        with open(path) as f:
            for line in f:
                if line.startswith("medians over"):
                    in_medians = True
                    mw = MAX_WAIT.match(line)
                    limit = float(mw.group(1)) if mw else math.inf
                    for case, mpps, wait in pending:
                        mark = "*" if not math.isnan(wait) and wait > limit else ""
                        rounds.setdefault(case, []).append(f"{mpps:.2f}{mark}")
                    continue
                m = ROUND.match(line)
                if m:
                    failed = line.rstrip().endswith("FAILED")
                    w = WAIT.search(line)
                    wait = num(w.group(1)) if w else math.nan
                    pending.append((m.group(2), float(m.group(3)), wait))
                    if failed:
                        pending[-1] = (m.group(2), 0.0, wait)
                    continue
                m = RUN_MEDIAN.match(line)
                if in_medians and m:
                    if m.group(1) not in run_medians:
                        order.append(m.group(1))
                    run_medians.setdefault(m.group(1), []).append((num(m.group(2)), num(m.group(3))))
                    continue
                m = RESULT.match(line)
                if m:
                    name, ours, peer, theirs, ratio, unit = m.groups()
                    r = results.setdefault(name, {"peer": peer, "unit": unit, "u": [], "p": [], "r": []})
                    r["u"].append(num(ours))
                    r["p"].append(num(theirs))
                    r["r"].append(num(ratio))
    if not results:
        sys.exit("no RESULT lines found")
    print(f"| case | Mpps (median of {len(paths)} runs) | each run's median | every round | cpu ns/pkt |")
    print("|---|---:|---|---|---:|")
    for case in order:
        runs = run_medians[case]
        print(f"| {case} | {fmt(med([r[0] for r in runs]))} | "
              f"{' '.join(fmt(r[0]) for r in runs)} | "
              f"{' '.join(rounds.get(case, []))} | "
              f"{fmt(med([r[1] for r in runs]), 0)} |")
    print()
    print("| comparison | uplane | peer | peer's value | ratio (median) | ratio per run | unit |")
    print("|---|---:|---|---:|---:|---|---|")
    for name, r in results.items():
        print(f"| {name} | {fmt(med(r['u']))} | {r['peer']} | {fmt(med(r['p']))} | "
              f"{fmt(med(r['r']), 2)} | {' '.join(fmt(x, 2) for x in r['r'])} | {r['unit']} |")


if __name__ == "__main__":
    main(sys.argv[1:])
