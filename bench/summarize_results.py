#!/usr/bin/env python3
"""Median, over several benchmark logs, of each RESULT line's values, as a Markdown table.

    bench/summarize_results.py run1.log run2.log run3.log
"""
import re
import statistics
import sys

PATTERN = re.compile(r"^RESULT (\S+) uplane=(\S+) (\w+)=(\S+) ratio=(\S+) unit=(\S+)")


def main(paths):
    cases, peer = {}, "peer"
    for path in paths:
        with open(path) as f:
            for line in f:
                m = PATTERN.match(line)
                if not m:
                    continue
                name, ours, peer, theirs, ratio, unit = m.groups()
                c = cases.setdefault(name, {"ours": [], "theirs": [], "ratio": [], "unit": unit})
                c["ours"].append(float(ours))
                c["theirs"].append(float(theirs))
                c["ratio"].append(float(ratio))
    if not cases:
        sys.exit("no RESULT lines found")
    print(f"| case | uplane | {peer} | ratio {peer}/uplane (median) | ratios per run | unit |")
    print("|---|---:|---:|---:|---|---|")
    for name, c in cases.items():
        runs = " ".join(f"{r:.2f}" for r in c["ratio"])
        print(f"| {name} | {statistics.median(c['ours']):.3f} | {statistics.median(c['theirs']):.3f} "
              f"| {statistics.median(c['ratio']):.2f} | {runs} | {c['unit']} |")


if __name__ == "__main__":
    main(sys.argv[1:])
