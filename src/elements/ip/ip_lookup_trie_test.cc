// Unit tests of the route-lookup building blocks: route parsing and printing, the multibit
// trie against a brute-force longest-prefix match, and the route bookkeeping around it.

#include "elements/ip/ip_lookup_trie.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "elements/ip/ip_lookup_table.h"

namespace uplane::elements {
namespace {

std::uint32_t ip(const char* s) { return net::Ipv4Addr::parse(s).value().to_host(); }

IPRoute route(const char* text, bool remove = false) {
  IPRoute r;
  std::string why;
  EXPECT_TRUE(parse_ip_route(std::string_view(text), remove, r, why)) << text << ": " << why;
  return r;
}

// --- parsing and printing (Click's cp_ip_route and IPRoute::unparse) ---

TEST(IPRouteParse, AddressMaskGatewayOutput) {
  IPRoute r = route("10.1.2.3/8 10.0.0.1 2");
  EXPECT_EQ(r.addr, ip("10.0.0.0"));  // host bits cleared, as Click's cp_ip_route
  EXPECT_EQ(r.mask, ip("255.0.0.0"));
  EXPECT_EQ(r.gw, ip("10.0.0.1"));
  EXPECT_EQ(r.port, 2);

  r = route("18.26.4/24 1");  // Click's short prefix form
  EXPECT_EQ(r.addr, ip("18.26.4.0"));
  EXPECT_EQ(r.prefix_len(), 24);
  EXPECT_EQ(r.gw, 0u);
  EXPECT_EQ(r.port, 1);

  r = route("1.2.3.4 0");  // a bare address is a /32
  EXPECT_EQ(r.mask, 0xffffffffu);
  r = route("0/0 - 3");  // "-" is no gateway
  EXPECT_EQ(r.mask, 0u);
  EXPECT_EQ(r.gw, 0u);
  EXPECT_EQ(r.port, 3);
  r = route("10.0.0.0/255.255.0.0 0x1");
  EXPECT_EQ(r.prefix_len(), 16);
  EXPECT_EQ(r.port, 1);
}

TEST(IPRouteParse, RemoveMayLeaveOutOutput) {
  IPRoute r = route("10.0.0.0/8", true);
  EXPECT_EQ(r.port, -1);
  r = route("10.0.0.0/8 -", true);
  EXPECT_EQ(r.port, -1);
  r = route("10.0.0.0/8 10.0.0.1 1", true);
  EXPECT_EQ(r.port, 1);
  EXPECT_EQ(r.gw, ip("10.0.0.1"));
}

TEST(IPRouteParse, Rejects) {
  const char* bad[] = {"",
                       "10.0.0.0/8",  // no OUT
                       "10.0.0.0/8 -",
                       "10.0.0.0/8 10.0.0.1",
                       "10.0.0.300/8 1",
                       "10.0.0.0/33 1",
                       "10.0.0.0/255.0.255.0 1",  // not contiguous
                       "18.26/24 1",              // the mask covers a missing part
                       "10.0.0.0/8 x",
                       "10.0.0.0/8 1 2",
                       "10.0.0.0/8 10.0.0.1 1 extra"};
  for (const char* text : bad) {
    IPRoute r;
    std::string why;
    EXPECT_FALSE(parse_ip_route(std::string_view(text), false, r, why)) << text;
    EXPECT_FALSE(why.empty()) << text;
  }
  IPRoute r;
  std::string why;
  EXPECT_FALSE(parse_ip_route(std::string_view("10.0.0.0/255.0.255.0 1"), false, r, why));
  EXPECT_NE(why.find("not a prefix"), std::string::npos) << why;
  EXPECT_FALSE(parse_ip_route(std::string_view("10.0.0.0/8 x"), false, r, why));
  EXPECT_NE(why.find("OUTPUT"), std::string::npos) << why;
}

TEST(IPRouteUnparse, ClickLayout) {
  EXPECT_EQ(route("10.0.0.0/8 1").unparse(), "10.0.0.0/8 - 1");
  EXPECT_EQ(route("10.0.0.0/8 10.0.0.1 1").unparse(), "10.0.0.0/8 10.0.0.1 1");
  // Tabs: a prefix field shorter than 16 characters and a gateway field shorter than 8 get
  // a second tab (Click's IPRoute::unparse with tabs).
  EXPECT_EQ(route("10.0.0.0/8 1").unparse(true), "10.0.0.0/8\t\t-\t\t1");
  EXPECT_EQ(route("10.0.0.0/8 10.0.0.1 1").unparse(true), "10.0.0.0/8\t\t10.0.0.1\t1");
  EXPECT_EQ(route("192.168.100.0/24 1.2.3.4 0").unparse(true), "192.168.100.0/24\t1.2.3.4\t\t0");
  EXPECT_EQ(route("0/0 2").unparse(true), "0.0.0.0/0\t\t-\t\t2");
  IPRoute any = route("10.0.0.0/8", true);
  EXPECT_EQ(any.unparse(), "10.0.0.0/8 - -1");
}

// --- the trie against brute force ---

struct RefRoute {
  std::uint32_t addr;
  int len;
  std::uint32_t value;
};

// Longest-prefix match by brute force: the value of the longest route containing a, or 0.
std::uint32_t reference_lookup(const std::map<std::pair<int, std::uint32_t>, std::uint32_t>& routes,
                               std::uint32_t a) {
  for (int len = 32; len >= 1; --len) {
    auto it = routes.find({len, a & prefix_mask(len)});
    if (it != routes.end()) return it->second;
  }
  return 0;
}

// Addresses worth probing for a route set: each route's first and last address and its
// neighbours, and random ones.
std::vector<std::uint32_t> probes(
    const std::map<std::pair<int, std::uint32_t>, std::uint32_t>& routes, std::mt19937& rng,
    int random_count) {
  std::vector<std::uint32_t> out;
  for (const auto& [key, v] : routes) {
    const std::uint32_t first = key.second, last = key.second | ~prefix_mask(key.first);
    for (std::uint32_t a : {first, last, first - 1, last + 1, first + (last - first) / 2})
      out.push_back(a);
  }
  for (int i = 0; i < random_count; ++i) out.push_back(rng());
  return out;
}

// A random route clustered under a few /8s, so routes nest and overlap.
std::pair<std::uint32_t, int> random_prefix(std::mt19937& rng, int min_len) {
  static const std::uint32_t kBases[] = {0x0a000000, 0xc0a80000, 0xac100000, 0x0b000000};
  std::uniform_int_distribution<int> len_dist(min_len, 32);
  int len = len_dist(rng);
  // Long prefixes are common in real tables; keep /1../7 rare (they are expensive here).
  if (len < 8 && rng() % 8 != 0) len += 8;
  const std::uint32_t a = (kBases[rng() % 4] & 0xff000000u) | (rng() & 0x00ffffffu);
  const std::uint32_t b = rng() % 16 == 0 ? rng() : a;
  return {b & prefix_mask(len), len};
}

template <class Trie>
void trie_matches_reference(std::uint32_t seed, int steps) {
  std::mt19937 rng(seed);
  Trie trie;
  ASSERT_TRUE(trie.init().is_ok());
  std::map<std::pair<int, std::uint32_t>, std::uint32_t> ref;
  auto check = [&] {
    for (std::uint32_t a : probes(ref, rng, 2000))
      ASSERT_EQ(trie.lookup(a), reference_lookup(ref, a))
          << "address " << net::Ipv4Addr::from_host(a).to_string();
  };
  for (int step = 0; step < steps; ++step) {
    const auto [addr, len] = random_prefix(rng, 1);
    const auto key = std::make_pair(len, addr);
    auto it = ref.find(key);
    const std::uint32_t value = 1 + rng() % std::min<std::uint32_t>(Trie::kMaxValue, 1000);
    if (it == ref.end()) {
      ASSERT_TRUE(trie.can_insert(addr, len));
      trie.insert(addr, len, static_cast<typename Trie::Entry>(value));
      ref[key] = value;
    } else if (rng() % 2 == 0) {
      trie.update(addr, len, static_cast<typename Trie::Entry>(value));
      it->second = value;
    } else {
      ref.erase(it);
      std::uint32_t cover = 0;
      int cover_len = 0;
      for (int l = len - 1; l > 0; --l) {
        auto c = ref.find({l, addr & prefix_mask(l)});
        if (c != ref.end()) {
          cover = c->second;
          cover_len = l;
          break;
        }
      }
      trie.erase(addr, len, static_cast<typename Trie::Entry>(cover), cover_len);
    }
    // Also remove some existing route at random, so removal gets as much exercise as adding.
    if (!ref.empty() && rng() % 3 == 0) {
      auto victim = std::next(ref.begin(), static_cast<long>(rng() % ref.size()));
      const auto [vlen, vaddr] = victim->first;
      ref.erase(victim);
      std::uint32_t cover = 0;
      int cover_len = 0;
      for (int l = vlen - 1; l > 0; --l) {
        auto c = ref.find({l, vaddr & prefix_mask(l)});
        if (c != ref.end()) {
          cover = c->second;
          cover_len = l;
          break;
        }
      }
      trie.erase(vaddr, vlen, static_cast<typename Trie::Entry>(cover), cover_len);
    }
    if (step % (steps / 5) == steps / 5 - 1) check();
  }
  check();
  // Removing every route leaves the empty trie: every child node folded away.
  while (!ref.empty()) {
    auto victim = ref.begin();  // shortest first: the covers change as we go
    const auto [vlen, vaddr] = victim->first;
    ref.erase(victim);
    std::uint32_t cover = 0;
    int cover_len = 0;
    for (int l = vlen - 1; l > 0; --l) {
      auto c = ref.find({l, vaddr & prefix_mask(l)});
      if (c != ref.end()) {
        cover = c->second;
        cover_len = l;
        break;
      }
    }
    trie.erase(vaddr, vlen, static_cast<typename Trie::Entry>(cover), cover_len);
  }
  for (int l = 1; l < Trie::kLevels; ++l) EXPECT_EQ(trie.nodes_in_use(l), 0u) << "level " << l;
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(trie.lookup(rng()), 0u);
}

TEST(LookupTrie, Dir24x8MatchesBruteForce) {
  trie_matches_reference<LookupTrie<std::uint16_t, 24, 8>>(1, 1500);
}
TEST(LookupTrie, Radix16x8x8MatchesBruteForce) {
  trie_matches_reference<LookupTrie<std::uint32_t, 16, 8, 8>>(2, 1500);
}
TEST(LookupTrie, EightBitStridesMatchBruteForce) {
  trie_matches_reference<LookupTrie<std::uint32_t, 8, 8, 8, 8>>(3, 1500);
}

TEST(LookupTrie, NestedRoutesAndFolding) {
  LookupTrie<std::uint16_t, 24, 8> t;
  ASSERT_TRUE(t.init().is_ok());
  t.insert(ip("10.0.0.0"), 8, 1);
  t.insert(ip("10.1.2.128"), 25, 2);
  t.insert(ip("10.1.2.192"), 26, 3);
  EXPECT_EQ(t.nodes_in_use(1), 1u);
  EXPECT_EQ(t.lookup(ip("10.1.2.1")), 1);
  EXPECT_EQ(t.lookup(ip("10.1.2.129")), 2);
  EXPECT_EQ(t.lookup(ip("10.1.2.200")), 3);
  EXPECT_EQ(t.lookup(ip("11.0.0.0")), 0);
  // A /16 under the /8 goes into the first-level slots and into the existing group.
  t.insert(ip("10.1.0.0"), 16, 4);
  EXPECT_EQ(t.lookup(ip("10.1.2.1")), 4);
  EXPECT_EQ(t.lookup(ip("10.1.3.1")), 4);
  EXPECT_EQ(t.lookup(ip("10.1.2.129")), 2);
  // Two /25s with one next hop fill a group with one value, but must not fold into the
  // parent slot (neither fits it): removing one must not take the other along.
  t.insert(ip("10.1.2.0"), 25, 2);
  t.erase(ip("10.1.2.192"), 26, 2, 25);
  EXPECT_EQ(t.nodes_in_use(1), 1u);
  t.erase(ip("10.1.2.0"), 25, 4, 16);
  EXPECT_EQ(t.lookup(ip("10.1.2.1")), 4);
  EXPECT_EQ(t.lookup(ip("10.1.2.129")), 2);
  t.erase(ip("10.1.2.128"), 25, 4, 16);
  EXPECT_EQ(t.nodes_in_use(1), 0u);  // the group held only the /16 again: folded
  EXPECT_EQ(t.lookup(ip("10.1.2.129")), 4);
  t.erase(ip("10.1.0.0"), 16, 1, 8);
  EXPECT_EQ(t.lookup(ip("10.1.2.129")), 1);
}

TEST(LookupTrie, CapacityIsCheckedBeforeChanging) {
  // One-byte slots: 127 values, 128 second-level groups.
  using Small = LookupTrie<std::uint8_t, 24, 8>;
  Small t;
  ASSERT_TRUE(t.init().is_ok());
  for (std::uint32_t i = 0; i < Small::kMaxNodes; ++i) {
    ASSERT_TRUE(t.can_insert((i << 8) | 1, 32));
    t.insert((i << 8) | 1, 32, 1);
  }
  EXPECT_FALSE(t.can_insert((Small::kMaxNodes << 8) | 1, 32));
  EXPECT_TRUE(t.can_insert(5u << 8 | 7, 32));            // an existing group has room
  EXPECT_TRUE(t.can_insert(Small::kMaxNodes << 8, 24));  // no group needed
}

// --- the route bookkeeping ---

using Dir = TrieRoutes<LookupTrie<std::uint16_t, 24, 8>>;
using Change = IPRouteTable::Change;

TEST(TrieRoutes, AddSetRemoveAsClick) {
  Dir t;
  ASSERT_TRUE(t.init().is_ok());
  EXPECT_EQ(t.lookup(ip("1.2.3.4")).port(), -1);
  EXPECT_EQ(t.add(route("10.0.0.0/8 10.0.0.1 1"), false, nullptr), Change::kOk);
  EXPECT_EQ(t.add(route("0/0 2"), false, nullptr), Change::kOk);
  EXPECT_EQ(t.lookup(ip("10.9.9.9")).port(), 1);
  EXPECT_EQ(t.lookup(ip("10.9.9.9")).gw_host(), ip("10.0.0.1"));
  EXPECT_EQ(t.lookup(ip("1.2.3.4")).port(), 2);
  EXPECT_EQ(t.lookup(ip("1.2.3.4")).gw_raw, 0u);

  IPRoute old;
  EXPECT_EQ(t.add(route("10.0.0.0/8 3"), false, &old), Change::kExists);
  EXPECT_EQ(old, route("10.0.0.0/8 10.0.0.1 1"));
  EXPECT_EQ(t.lookup(ip("10.9.9.9")).port(), 1);  // unchanged
  EXPECT_EQ(t.add(route("10.0.0.0/8 3"), true, &old), Change::kOk);
  EXPECT_EQ(t.lookup(ip("10.9.9.9")).port(), 3);
  EXPECT_EQ(t.lookup(ip("10.9.9.9")).gw_raw, 0u);
  EXPECT_EQ(t.add(route("0/0 1.1.1.1 0"), true, &old), Change::kOk);
  EXPECT_EQ(old, route("0/0 2"));
  EXPECT_EQ(t.lookup(ip("1.2.3.4")).port(), 0);

  // Removal: by prefix alone, or only when gateway and port match too.
  EXPECT_EQ(t.remove(route("10.0.0.0/8 10.0.0.1 3", true), nullptr), Change::kNotFound);
  EXPECT_EQ(t.remove(route("10.0.0.0/8 - 2", true), nullptr), Change::kNotFound);
  EXPECT_EQ(t.remove(route("10.0.0.0/16", true), nullptr), Change::kNotFound);
  EXPECT_EQ(t.remove(route("10.0.0.0/8 - 3", true), &old), Change::kOk);
  EXPECT_EQ(old, route("10.0.0.0/8 3"));
  EXPECT_EQ(t.lookup(ip("10.9.9.9")).port(), 0);  // the default route now
  EXPECT_EQ(t.remove(route("0/0", true), nullptr), Change::kOk);
  EXPECT_EQ(t.lookup(ip("10.9.9.9")).port(), -1);
  EXPECT_EQ(t.route_count(), 0u);
  EXPECT_EQ(t.hops().size(), 1u);  // only the default slot: every hop was released
}

TEST(TrieRoutes, SlotsReusedLastFreedFirst) {
  Dir t;
  ASSERT_TRUE(t.init().is_ok());
  for (const char* r : {"1.0.0.0/8 0", "2.0.0.0/8 0", "3.0.0.0/8 0", "4.0.0.0/8 0"})
    ASSERT_EQ(t.add(route(r), false, nullptr), Change::kOk);
  ASSERT_EQ(t.remove(route("2.0.0.0/8", true), nullptr), Change::kOk);
  ASSERT_EQ(t.remove(route("3.0.0.0/8", true), nullptr), Change::kOk);
  ASSERT_EQ(t.add(route("5.0.0.0/8 0"), false, nullptr), Change::kOk);  // takes 3's slot
  // Replacing takes a fresh slot (2's) and frees the old one (1's), as Click's RadixIPLookup.
  ASSERT_EQ(t.add(route("1.0.0.0/8 1"), true, nullptr), Change::kOk);
  std::vector<IPRoute> got = t.routes();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], route("1.0.0.0/8 1"));
  EXPECT_EQ(got[1], route("5.0.0.0/8 0"));
  EXPECT_EQ(got[2], route("4.0.0.0/8 0"));
}

TEST(TrieRoutes, NextHopLimit) {
  using Small = TrieRoutes<LookupTrie<std::uint8_t, 24, 8>>;
  Small t;
  ASSERT_TRUE(t.init().is_ok());
  IPRoute r = route("10.0.0.0/24 0");
  for (std::uint32_t i = 0; i < 127; ++i) {
    r.addr = ip("10.0.0.0") + (i << 8);
    r.gw = 1000 + i;  // a distinct next hop each
    ASSERT_EQ(t.add(r, false, nullptr), Change::kOk) << i;
  }
  r.addr = ip("11.0.0.0");
  r.gw = 5;
  EXPECT_EQ(t.add(r, false, nullptr), Change::kNoMemory);
  EXPECT_EQ(t.lookup(ip("11.0.0.1")).port(), -1);  // nothing changed
  EXPECT_EQ(t.route_count(), 127u);
  r.gw = 1000;  // an existing hop is shared
  EXPECT_EQ(t.add(r, false, nullptr), Change::kOk);
  EXPECT_EQ(t.lookup(ip("11.0.0.1")).gw_host(), 1000u);
}

}  // namespace
}  // namespace uplane::elements
