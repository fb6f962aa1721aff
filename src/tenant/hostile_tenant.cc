// tenant_hostile: a tenant program that attacks the host through its link (issue 6, item 4;
// tenant_process_test runs it as a tenant's `program`). It completes the handshake like
// `uplane tenant`, then, for every burst the host delivers, hands back on its tx ring:
//   - an index out of range                         (the host counts out_of_range)
//   - an index it was never given                   (not_held)
//   - one frame it holds, twice in a row            (twice)
//   - one frame it holds with a window past its end (bad_length)
//   - the rest, echoed back honestly on their port
// and floods its tx and release rings with random descriptors until they are full. It
// stops when the host asks it to leave or goes away, or after --seconds (default 20).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "tenant/tenant_process.h"

int main(int argc, char** argv) {
  int fd = -1;
  int seconds = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--fd" && i + 1 < argc) fd = std::atoi(argv[++i]);
    if (a == "--seconds" && i + 1 < argc) seconds = std::atoi(argv[++i]);
  }
  if (fd < 0) {
    std::fprintf(stderr, "usage: tenant_hostile tenant --fd N [--seconds S]\n");
    return 2;
  }
  auto session = uplane::tenant::tenant_handshake(fd);
  if (!session.is_ok()) return 1;
  uplane::tenant::TenantSession& s = *session;
  if (!s.reply().is_ok()) return 1;
  using uplane::tenant::LinkDesc;
  uplane::tenant::TenantLinkTenant& link = *s.link;
  const std::uint32_t frames = link.frame_count();
  std::vector<bool> given(frames, false);
  std::mt19937 rng(1234);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::uint64_t rounds = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if ((++rounds & 255) == 0 && s.host_says_leave()) break;
    LinkDesc rx[64];
    const std::uint32_t got = link.receive(rx, 64);
    if (got == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    for (std::uint32_t i = 0; i < got; ++i)
      if (rx[i].index < frames) given[rx[i].index] = true;
    std::vector<LinkDesc> tx;
    tx.push_back(LinkDesc{frames + 5, 256, 60, 0, 0});  // out of range
    for (std::uint32_t i = frames; i-- > 0;) {          // never given
      if (!given[i]) {
        tx.push_back(LinkDesc{i, 256, 60, 0, 0});
        break;
      }
    }
    std::uint32_t first = 0;
    if (got >= 2) {
      tx.push_back(rx[0]);  // the same frame twice
      tx.push_back(rx[0]);
      LinkDesc bad = rx[1];  // a window past the end of the frame
      bad.length = 65000;
      tx.push_back(bad);
      first = 2;
    }
    for (std::uint32_t i = first; i < got; ++i) tx.push_back(rx[i]);  // honest echo
    std::size_t sent = 0;
    for (int tries = 0; tries < 1000 && sent < tx.size(); ++tries)
      sent += link.send(tx.data() + sent, static_cast<std::uint32_t>(tx.size() - sent));
    // Then fill both rings with junk, as far as they take it.
    for (int k = 0; k < 64; ++k) {
      LinkDesc junk[32];
      for (LinkDesc& d : junk)
        d = LinkDesc{static_cast<std::uint32_t>(rng() % (frames * 2)),
                     static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng()),
                     static_cast<std::uint16_t>(rng() % 4), 0};
      const std::uint32_t a = link.send(junk, 32);
      const std::uint32_t b = link.release(junk, 32);
      if (a == 0 && b == 0) break;
    }
  }
  return 0;
}
