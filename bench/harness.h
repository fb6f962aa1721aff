#pragma once
// The side-by-side harness every peer benchmark uses: each case runs uplane and the peer
// in turn, several times, alternating which goes first, so machine noise lands on both.
// It prints each run, then per case the medians, the spread (min..max) and the ratio
// peer/uplane (above 1: uplane is faster), and ends with one line per case:
//   RESULT <case> uplane=<x> <peer>=<y> ratio=<peer/uplane> unit=<unit>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace uplane::bench {

// The options every peer benchmark takes: [--reps N] [--scale F] [--only SUBSTRING].
struct Options {
  int reps = 5;        // runs per case
  double scale = 1.0;  // multiplies the work of each run
  std::string only;    // when set, only the cases whose name contains it run
  bool wants(const std::string& name) const {
    return only.empty() || name.find(only) != std::string::npos;
  }
};

// The options, or nullopt after printing the usage (or what is out of range) to stderr:
// the benchmark then exits with 2.
inline std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      o.reps = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
      o.scale = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      o.only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--reps N] [--scale F] [--only SUBSTRING]\n", argv[0]);
      return std::nullopt;
    }
  }
  if (o.reps < 1 || o.scale <= 0) {
    std::fprintf(stderr, "--reps must be >= 1 and --scale > 0\n");
    return std::nullopt;
  }
  return o;
}

struct Case {
  std::string name;
  std::string unit;              // lower is better, e.g. "ns/elem"
  std::function<double()> ours;  // one measurement
  std::function<double()> peer;
};

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Outcome {
  std::string name, unit;
  std::vector<double> ours, peer;
};

// Runs every case `reps` times and prints the report. Returns the outcomes.
inline std::vector<Outcome> run_cases(const std::vector<Case>& cases, int reps,
                                      const char* peer_name) {
  std::vector<Outcome> out;
  for (const Case& c : cases) {
    Outcome o{c.name, c.unit, {}, {}};
    for (int r = 0; r < reps; ++r) {
      if (r % 2 == 0) {
        o.ours.push_back(c.ours());
        o.peer.push_back(c.peer());
      } else {
        o.peer.push_back(c.peer());
        o.ours.push_back(c.ours());
      }
      std::printf("  %-24s run %d: uplane %8.3f  %s %8.3f %s\n", c.name.c_str(), r, o.ours.back(),
                  peer_name, o.peer.back(), c.unit.c_str());
      std::fflush(stdout);
    }
    out.push_back(std::move(o));
  }
  std::printf("\n%-24s %26s %26s %7s\n", "case", "uplane median (min..max)",
              "peer median (min..max)", "ratio");
  for (const Outcome& o : out) {
    auto [omin, omax] = std::minmax_element(o.ours.begin(), o.ours.end());
    auto [pmin, pmax] = std::minmax_element(o.peer.begin(), o.peer.end());
    std::printf("%-24s %8.3f (%6.3f..%6.3f) %8.3f (%6.3f..%6.3f) %7.2f\n", o.name.c_str(),
                median(o.ours), *omin, *omax, median(o.peer), *pmin, *pmax,
                median(o.peer) / median(o.ours));
  }
  std::printf("\n");
  for (const Outcome& o : out) {
    const double u = median(o.ours), p = median(o.peer);
    std::printf("RESULT %s uplane=%.3f %s=%.3f ratio=%.2f unit=%s\n", o.name.c_str(), u, peer_name,
                p, p / u, o.unit.c_str());
  }
  std::fflush(stdout);
  return out;
}

}  // namespace uplane::bench
