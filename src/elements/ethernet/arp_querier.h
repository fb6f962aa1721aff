#pragma once
// =c
// ARPQuerier(IP, ETH, KEYWORDS)
// =s arp
// encapsulates IP packets in Ethernet headers found via ARP
// =d
// Handles most of ARP for one interface whose address is IP (optionally IP/MASK) and whose
// Ethernet address is ETH.
//
// Input 0 takes IP packets whose destination IP annotation names the next hop. When the
// next hop's Ethernet address is known, the packet gets an Ethernet header (destination the
// next hop, source ETH, type 0x0800) and leaves on output 0. Otherwise the packet is saved,
// already encapsulated, on that address's queue, and an ARP query (a broadcast request for
// the address) is sent. Input 1 takes ARP replies, Ethernet header included: a reply records
// the sender's addresses and sends every packet saved for that address, in arrival order.
// Replies are consumed. ARP queries leave on output 1 when it exists, else on output 0.
//
// Special destinations: 0.0.0.0 is dropped (a missing annotation, most likely);
// 255.255.255.255 and the BROADCAST address go to FF-FF-FF-FF-FF-FF; multicast addresses go
// to 01-00-5E-xx-yy-zz, the low 23 bits of the address (RFC 1112).
//
// An entry expires TIMEOUT after it was last confirmed. Once an entry is POLL_TIMEOUT old,
// packets still go out at once but also trigger a renewal query (unicast to the known
// address unless BROADCAST_POLL). Queries for one address go out at most every 100 ms, and
// every 2 s after 10 unanswered ones. A timer sweeps out expired entries, dropping any
// packets they still hold.
//
// Keywords:
//   CAPACITY               Unsigned. Most packets saved in all, 0 for no limit. When it is
//                          exceeded, the oldest entries' saved packets are dropped until
//                          CAPACITY - CAPACITY/CAPACITY_SLIM_FACTOR remain. Default 2048.
//   ENTRY_CAPACITY         Unsigned, at most 1048576. Most entries; when exceeded, the oldest
//                          entry goes. Default 0: no limit (see below).
//   ENTRY_PACKET_CAPACITY  Unsigned. Most packets saved for one address; further ones are
//                          dropped. Default 0, no limit.
//   CAPACITY_SLIM_FACTOR   Unsigned, not 0. See CAPACITY. Default 2.
//   TIMEOUT                Time. Entry lifetime; 0 means entries never expire. Default 5 min.
//   POLL_TIMEOUT           Time. Age after which an entry is renewed; 0 means never. Default
//                          1 min.
//   BROADCAST              IP address. The local broadcast address. Default: from IP/MASK
//                          (IP with the host bits set), or 255.255.255.255 without a mask.
//   BROADCAST_POLL         Boolean. Send renewal queries broadcast. Default false.
//
// Drop reasons: no_room (no headroom for the header), no_route (destination 0.0.0.0),
// no_arp_entry (a queue limit, an expired or evicted entry, a full table), other (the IP
// address is 0.0.0.0); on input 1: too_short (under 42 bytes), bad_header (not
// Ethernet/IPv4 ARP), filtered (not a reply), bad_source (a group sender address).
// =h table read-only
// One line per entry, oldest first: "IP VALID ETH AGE", VALID 1 for a usable entry else 0,
// ETH as Click prints it ("00-00-C0-AE-67-EF"; FF-FF-FF-FF-FF-FF while unresolved), AGE the
// seconds since the entry was last confirmed ("1.250000").
// =h stats read-only
// "N packets killed\nQ ARP queries sent\n"; N counts the IP packets dropped, in the
// table (queue limits, expiry) or outside it (the drops handler).
// =h queries read-only
// ARP queries sent.
// =h responses read-only
// Packets of 42 bytes or more received on input 1.
// =h drops read-only
// Packets dropped outside the ARP table: destination 0.0.0.0, no headroom, no IP address.
// =h count read-only
// Entries in the table.
// =h length read-only
// Packets saved in the table.
// =h ipaddr read/write
// The IP address.
// =h broadcast read/write
// The broadcast IP address.
// =h insert write-only
// "IP ETH": records an entry (packets already saved for IP stay saved, as in Click).
// =h delete write-only
// "IP": marks the entry unresolved (Click keeps the entry, with address FF-FF-FF-FF-FF-FF).
// =h clear write-only
// Empties the table (saved packets are dropped) and zeroes queries, responses and drops.
// =e
//   c :: Classifier(12/0806 20/0002, 12/0800, ...);
//   a :: ARPQuerier(18.26.4.24, 00:00:C0:AE:67:EF);
//   c[0] -> [1]a;
//   c[1] -> ... -> [0]a;
//   a -> ToDevice(eth0);
// =a ARPResponder, EtherEncap
// =uplane
// No TABLE keyword (uplane has no ARPTable element) and no one-argument AddressInfo form.
// ENTRY_CAPACITY 0 holds at most 4096 entries (Click: unlimited); past that the oldest
// entry is evicted as with a set ENTRY_CAPACITY. Saved packets are held in a preallocated
// list, so nothing is allocated per packet. A packet without headroom for the header is
// dropped where Click would reallocate it. On input 1, replies whose address lengths are
// not 6 and 4 are dropped (Click does not check them), and every dropped packet is counted
// by reason. The expiry sweep runs every TIMEOUT (Click: every TIMEOUT + 1 s). The drops
// handler is Click's count; drop_reasons lists every drop by reason. Destinations 0.0.0.0,
// broadcast and multicast are handled before the table is consulted (Click looks in the
// table first), so a forged reply claiming one of them cannot turn them into unicast. The
// table, count and length handlers read data-path state: read them while the router is
// stopped (or, once handlers run on workers, at any time).

#include <atomic>
#include <cstdint>
#include <vector>

#include "graph/element.h"
#include "net/ether.h"
#include "net/ipv4.h"

namespace uplane::elements {

class ARPQuerier final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "ARPQuerier", .ports = "2/1-2", .processing = "h/h", .flow = "xy/x"};
  static constexpr std::uint32_t kDefaultEntryLimit = 4096;
  static constexpr std::uint32_t kMaxEntryCapacity = 1u << 20;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void cleanup() noexcept override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;
  void run_timer(graph::Timer& timer) noexcept override;

 private:
  static constexpr std::uint32_t kNil = 0xFFFFFFFFu;

  struct Entry {
    net::Ipv4Addr ip;
    net::EtherAddr eth;
    bool known;
    std::uint8_t polls;        // queries since the last reply
    std::int64_t live_at;      // ns: last confirmed (or created)
    std::int64_t polled_at;    // ns: last query
    std::uint32_t head, tail;  // saved packets (nodes_), kNil when none
    std::uint32_t npackets;
    std::uint32_t prev, next;  // age list, oldest first; `next` chains the free list
  };
  struct Node {
    graph::Packet* p;
    std::uint32_t next;
  };
  // Packets bound for each output during one push, sent when full and at the end.
  struct Out {
    graph::Batch b[2];
  };
  enum AppendResult { kQueued = 0, kQueuedPoll = 1, kKnown = -1, kNoEntry = -2, kFull = -3 };

  // --- the table ---
  std::uint32_t slot_of(net::Ipv4Addr ip) const noexcept;
  std::uint32_t find(net::Ipv4Addr ip) const noexcept;
  void index_erase(net::Ipv4Addr ip) noexcept;
  void age_unlink(std::uint32_t i) noexcept;
  void age_insert_before(std::uint32_t i, std::uint32_t before) noexcept;  // kNil: at the end
  bool expired(const Entry& e, std::int64_t now) const noexcept {
    return timeout_ns_ != 0 && e.live_at + timeout_ns_ < now;
  }
  bool known(const Entry& e, std::int64_t now) const noexcept {
    return e.known && !expired(e, now);
  }
  static bool allow_poll(const Entry& e, std::int64_t now) noexcept;
  static void mark_poll(Entry& e, std::int64_t now) noexcept;
  std::uint32_t ensure(net::Ipv4Addr ip, std::int64_t now) noexcept;
  void remove_entry(std::uint32_t i) noexcept;  // its packets dropped
  void slim(std::int64_t now) noexcept;
  // Records ip -> eth; returns the entry's saved packets (now detached) when `take`, else
  // kNil. False when no entry could be made.
  bool insert(net::Ipv4Addr ip, const net::EtherAddr& eth, std::int64_t now, bool take,
              std::uint32_t& head) noexcept;
  AppendResult append_query(net::Ipv4Addr ip, graph::Packet* p, std::int64_t now) noexcept;
  int lookup(net::Ipv4Addr ip, net::EtherAddr& out, std::int64_t now) noexcept;
  void clear_table() noexcept;
  void drop_queued(graph::Packet* p) noexcept;

  // --- packets ---
  void emit(Out& out, int port, graph::Packet* p) noexcept;
  void flush(Out& out) noexcept;
  void handle_ip(Out& out, graph::Packet* p, bool encapsulated, std::int64_t now) noexcept;
  void handle_response(Out& out, graph::Packet* p, std::int64_t now) noexcept;
  void send_query_for(Out& out, const graph::Packet& p, bool dst_known) noexcept;

  static std::uint32_t load(const std::atomic<std::uint32_t>& a) noexcept {
    return a.load(std::memory_order_relaxed);
  }
  static void store(std::atomic<std::uint32_t>& a, std::uint32_t v) noexcept {
    a.store(v, std::memory_order_relaxed);
  }

  // Configuration.
  net::Ipv4Addr my_ip_{};
  net::EtherAddr my_eth_{};
  net::Ipv4Addr bcast_ip_{};
  std::uint32_t capacity_ = 2048;
  std::uint32_t entry_capacity_ = 0;
  std::uint32_t entry_packet_capacity_ = 0;
  std::uint32_t slim_factor_ = 2;
  std::int64_t timeout_ns_ = 300'000'000'000;
  std::int64_t poll_timeout_ns_ = 60'000'000'000;
  bool broadcast_poll_ = false;

  // The table: a slab of entries, an open-addressing index (linear probing) by IP address,
  // an age list, and the saved packets as linked nodes. All sized in initialize().
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> index_;  // entry number or kNil
  std::uint32_t index_shift_ = 32;
  std::uint32_t entry_limit_ = 0;
  std::uint32_t free_entry_ = kNil;
  std::uint32_t age_head_ = kNil;
  std::uint32_t age_tail_ = kNil;
  std::vector<Node> nodes_;
  std::uint32_t free_node_ = kNil;
  std::atomic<std::uint32_t> entry_count_{0};
  std::atomic<std::uint32_t> packet_count_{0};

  graph::Timer* expire_timer_ = nullptr;

  // Click's statistics.
  graph::Counter64 queries_;
  graph::Counter64 responses_;
  graph::Counter64 drops_;        // dropped outside the table
  graph::Counter64 table_drops_;  // dropped from the table (never reset, as in Click)
};

}  // namespace uplane::elements
