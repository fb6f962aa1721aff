#include "elements/ethernet/arp_querier.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <string>

#include "base/cpu.h"
#include "elements/ethernet/handler_args.h"
#include "graph/registry.h"
#include "graph/task.h"
#include "net/arp.h"

namespace uplane::elements {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::uint32_t kArpFrameLength = sizeof(net::Ethernet) + sizeof(net::Arp);

using ethernet::click_ether;
using ethernet::parse_write;

Status invalid(std::string message) { return Status(Errc::kInvalidArgument, std::move(message)); }

std::int64_t now_signed() noexcept { return static_cast<std::int64_t>(now_ns()); }

}  // namespace

// ---------------------------------------------------------------------------------------
// Configuration

Status ARPQuerier::configure(graph::Args& args) {
  graph::Ipv4Prefix ip{};
  net::EtherAddr eth{};
  std::uint32_t capacity = 2048, entry_capacity = 0, entry_packet_capacity = 0, slim = 2;
  graph::Duration timeout{300 * kSecond}, poll_timeout{60 * kSecond};
  net::Ipv4Addr bcast{};
  bool broadcast_poll = false;
  graph::RawArg table;

  args.required("IP", ip)
      .required("ETH", eth)
      .optional("CAPACITY", capacity)
      .optional("ENTRY_CAPACITY", entry_capacity, 0u, kMaxEntryCapacity)
      .optional("ENTRY_PACKET_CAPACITY", entry_packet_capacity)
      .optional("CAPACITY_SLIM_FACTOR", slim)
      .optional("TIMEOUT", timeout)
      .optional("POLL_TIMEOUT", poll_timeout)
      .optional("BROADCAST_POLL", broadcast_poll)
      .optional("BROADCAST", bcast);
  const bool have_bcast = args.ok() && args.found();
  args.optional("TABLE", table);
  if (args.ok() && args.found()) args.fail("TABLE: ARPTable elements are not supported");
  if (args.ok() && slim == 0) args.fail("CAPACITY_SLIM_FACTOR cannot be zero");
  Status st = args.done();
  if (!st.is_ok()) return st;

  my_ip_ = ip.addr;
  my_eth_ = eth;
  if (have_bcast) {
    bcast_ip_ = bcast;
  } else {
    // The directed broadcast of IP/MASK; a lone address (or /32) has none.
    bcast_ip_ = net::Ipv4Addr::from_host(ip.addr.to_host() | ~ip.mask.to_host());
    if (bcast_ip_ == my_ip_) bcast_ip_ = net::Ipv4Addr::broadcast();
  }
  capacity_ = capacity;
  entry_capacity_ = entry_capacity;
  entry_packet_capacity_ = entry_packet_capacity;
  slim_factor_ = slim;
  timeout_ns_ = timeout.ns;
  poll_timeout_ns_ = poll_timeout.ns;
  broadcast_poll_ = broadcast_poll;
  return {};
}

Status ARPQuerier::initialize() {
  entry_limit_ = entry_capacity_ != 0 ? entry_capacity_ : kDefaultEntryLimit;
  entries_.assign(entry_limit_, Entry{});
  for (std::uint32_t i = 0; i < entry_limit_; ++i)
    entries_[i].next = i + 1 < entry_limit_ ? i + 1 : kNil;
  free_entry_ = 0;
  // At most half full: probes stay short.
  std::uint32_t bits = 4;
  while ((std::uint64_t{1} << bits) < std::uint64_t{entry_limit_} * 2) ++bits;
  index_.assign(std::size_t{1} << bits, kNil);
  index_shift_ = 32 - bits;

  // Every saved packet is a distinct frame of the pool, so the pool's size bounds the
  // nodes needed even when CAPACITY is 0 (unlimited).
  const std::uint32_t frames = pool().frame_count();
  const std::uint32_t nnodes = capacity_ != 0 && capacity_ < frames ? capacity_ : frames;
  nodes_.assign(nnodes, Node{nullptr, kNil});
  for (std::uint32_t i = 0; i < nnodes; ++i) nodes_[i].next = i + 1 < nnodes ? i + 1 : kNil;
  free_node_ = nnodes != 0 ? 0 : kNil;

  if (timeout_ns_ != 0) {
    expire_timer_ = add_timer();
    expire_timer_->schedule_after_ns(static_cast<std::uint64_t>(timeout_ns_));
  }
  return {};
}

void ARPQuerier::cleanup() noexcept { clear_table(); }

// ---------------------------------------------------------------------------------------
// The table

std::uint32_t ARPQuerier::slot_of(net::Ipv4Addr ip) const noexcept {
  // Fibonacci hashing: the top bits of the product spread any run of addresses.
  return (ip.value.raw() * 0x9E3779B1u) >> index_shift_;
}

std::uint32_t ARPQuerier::find(net::Ipv4Addr ip) const noexcept {
  if (index_.empty()) return kNil;
  const std::uint32_t mask = static_cast<std::uint32_t>(index_.size() - 1);
  for (std::uint32_t s = slot_of(ip);; s = (s + 1) & mask) {
    const std::uint32_t i = index_[s];
    if (i == kNil) return kNil;
    if (entries_[i].ip == ip) return i;
  }
}

void ARPQuerier::index_erase(net::Ipv4Addr ip) noexcept {
  const std::uint32_t mask = static_cast<std::uint32_t>(index_.size() - 1);
  std::uint32_t hole = slot_of(ip);
  while (index_[hole] == kNil || entries_[index_[hole]].ip != ip) hole = (hole + 1) & mask;
  index_[hole] = kNil;
  // Backward-shift deletion: move up any later entry of the run whose home slot does not
  // lie cyclically in (hole, s], so that every entry stays reachable from its home.
  for (std::uint32_t s = (hole + 1) & mask; index_[s] != kNil; s = (s + 1) & mask) {
    const std::uint32_t home = slot_of(entries_[index_[s]].ip);
    const bool reachable = hole <= s ? (hole < home && home <= s) : (hole < home || home <= s);
    if (!reachable) {
      index_[hole] = index_[s];
      index_[s] = kNil;
      hole = s;
    }
  }
}

void ARPQuerier::age_unlink(std::uint32_t i) noexcept {
  Entry& e = entries_[i];
  if (e.prev != kNil) {
    entries_[e.prev].next = e.next;
  } else {
    age_head_ = e.next;
  }
  if (e.next != kNil) {
    entries_[e.next].prev = e.prev;
  } else {
    age_tail_ = e.prev;
  }
  e.prev = e.next = kNil;
}

void ARPQuerier::age_insert_before(std::uint32_t i, std::uint32_t before) noexcept {
  Entry& e = entries_[i];
  e.next = before;
  e.prev = before != kNil ? entries_[before].prev : age_tail_;
  if (e.prev != kNil) {
    entries_[e.prev].next = i;
  } else {
    age_head_ = i;
  }
  if (before != kNil) {
    entries_[before].prev = i;
  } else {
    age_tail_ = i;
  }
}

bool ARPQuerier::allow_poll(const Entry& e, std::int64_t now) noexcept {
  // At most 10 queries a second; after 10 unanswered ones, one every 2 seconds.
  return now >= e.polled_at + (e.polls >= 10 ? 2 * kSecond : kSecond / 10);
}

void ARPQuerier::mark_poll(Entry& e, std::int64_t now) noexcept {
  e.polled_at = now;
  if (e.polls < 255) ++e.polls;
}

void ARPQuerier::drop_queued(graph::Packet* p) noexcept {
  table_drops_.add();
  drop(p, graph::DropReason::kNoArpEntry);
}

void ARPQuerier::remove_entry(std::uint32_t i) noexcept {
  Entry& e = entries_[i];
  index_erase(e.ip);
  age_unlink(i);
  for (std::uint32_t n = e.head; n != kNil;) {
    const std::uint32_t next = nodes_[n].next;
    drop_queued(nodes_[n].p);
    nodes_[n] = Node{nullptr, free_node_};
    free_node_ = n;
    store(packet_count_, load(packet_count_) - 1);
    n = next;
  }
  e.head = e.tail = kNil;
  e.npackets = 0;
  e.next = free_entry_;
  free_entry_ = i;
  store(entry_count_, load(entry_count_) - 1);
}

void ARPQuerier::slim(std::int64_t now) noexcept {
  // Oldest entries go while they have expired or the table holds too many.
  while (age_head_ != kNil &&
         (expired(entries_[age_head_], now) || load(entry_count_) > entry_limit_))
    remove_entry(age_head_);

  // Over CAPACITY: drop saved packets, oldest entries' first and each entry's oldest first,
  // down to CAPACITY - CAPACITY/CAPACITY_SLIM_FACTOR (at least 1: the packet being added
  // is already counted).
  if (capacity_ != 0 && load(packet_count_) > capacity_) {
    std::uint32_t target = capacity_ - capacity_ / slim_factor_;
    if (target == 0) target = 1;
    for (std::uint32_t i = age_head_; i != kNil && load(packet_count_) > target;
         i = entries_[i].next) {
      Entry& e = entries_[i];
      while (e.head != kNil && load(packet_count_) > target) {
        const std::uint32_t n = e.head;
        e.head = nodes_[n].next;
        if (e.head == kNil) e.tail = kNil;
        drop_queued(nodes_[n].p);
        nodes_[n] = Node{nullptr, free_node_};
        free_node_ = n;
        store(packet_count_, load(packet_count_) - 1);
        --e.npackets;
      }
    }
  }
}

std::uint32_t ARPQuerier::ensure(net::Ipv4Addr ip, std::int64_t now) noexcept {
  std::uint32_t i = find(ip);
  if (i != kNil) return i;
  store(entry_count_, load(entry_count_) + 1);  // counted before slim, as in Click
  if (load(entry_count_) > entry_limit_) slim(now);
  i = free_entry_;
  if (i == kNil) {
    store(entry_count_, load(entry_count_) - 1);
    return kNil;
  }
  free_entry_ = entries_[i].next;
  Entry& e = entries_[i];
  e.ip = ip;
  e.eth = net::EtherAddr::broadcast();
  e.known = false;
  e.polls = 0;
  e.live_at = now;
  e.polled_at = now - kSecond;  // so the first query may go at once
  e.head = e.tail = kNil;
  e.npackets = 0;
  const std::uint32_t mask = static_cast<std::uint32_t>(index_.size() - 1);
  std::uint32_t s = slot_of(ip);
  while (index_[s] != kNil) s = (s + 1) & mask;
  index_[s] = i;
  age_insert_before(i, kNil);
  return i;
}

bool ARPQuerier::insert(net::Ipv4Addr ip, const net::EtherAddr& eth, std::int64_t now, bool take,
                        std::uint32_t& head) noexcept {
  head = kNil;
  const std::uint32_t i = ensure(ip, now);
  if (i == kNil) return false;
  Entry& e = entries_[i];
  e.eth = eth;
  e.known = !eth.is_broadcast();
  e.live_at = now;
  e.polls = 0;
  e.polled_at = now - kSecond;
  if (e.next != kNil) {  // freshest: to the end of the age list
    age_unlink(i);
    age_insert_before(i, kNil);
  }
  if (take) {
    head = e.head;
    e.head = e.tail = kNil;
    store(packet_count_, load(packet_count_) - e.npackets);
    e.npackets = 0;
  }
  return true;
}

ARPQuerier::AppendResult ARPQuerier::append_query(net::Ipv4Addr ip, graph::Packet* p,
                                                  std::int64_t now) noexcept {
  const std::uint32_t i = ensure(ip, now);
  if (i == kNil) return kNoEntry;
  Entry& e = entries_[i];
  if (known(e, now)) return kKnown;

  // While packets keep coming for it, keep the entry just short of expiring, so that the
  // slim() below cannot remove the entry this packet is about to join; the age list stays
  // ordered by live_at.
  if (timeout_ns_ != 0 && e.live_at < now - timeout_ns_) {
    e.live_at = now - timeout_ns_;
    std::uint32_t next = e.next;
    while (next != kNil && entries_[next].live_at < e.live_at) next = entries_[next].next;
    if (next != e.next) {
      age_unlink(i);
      age_insert_before(i, next);
    }
  }

  if (entry_packet_capacity_ != 0 && e.npackets >= entry_packet_capacity_) return kFull;

  store(packet_count_, load(packet_count_) + 1);
  if (capacity_ != 0 && load(packet_count_) > capacity_) slim(now);
  const std::uint32_t n = free_node_;
  if (n == kNil) {  // frames from another pool: more saved packets than this pool's frames
    store(packet_count_, load(packet_count_) - 1);
    return kFull;
  }
  free_node_ = nodes_[n].next;
  nodes_[n] = Node{p, kNil};
  if (e.tail != kNil) {
    nodes_[e.tail].next = n;
  } else {
    e.head = n;
  }
  e.tail = n;
  ++e.npackets;

  if (allow_poll(e, now)) {
    mark_poll(e, now);
    return kQueuedPoll;
  }
  return kQueued;
}

int ARPQuerier::lookup(net::Ipv4Addr ip, net::EtherAddr& out, std::int64_t now) noexcept {
  const std::uint32_t i = find(ip);
  if (i == kNil) return -1;
  Entry& e = entries_[i];
  if (!known(e, now)) return -1;
  out = e.eth;
  if (poll_timeout_ns_ != 0 && now >= e.live_at + poll_timeout_ns_ && allow_poll(e, now)) {
    mark_poll(e, now);
    return 1;
  }
  return 0;
}

void ARPQuerier::clear_table() noexcept {
  while (age_head_ != kNil) remove_entry(age_head_);
}

// ---------------------------------------------------------------------------------------
// Packets

void ARPQuerier::emit(Out& out, int port, graph::Packet* p) noexcept {
  graph::Batch& b = out.b[port];
  if (b.full()) {
    output_push(port, b);
    b.clear();
  }
  (void)b.push_back(p);
}

void ARPQuerier::flush(Out& out) noexcept {
  for (int port = 0; port < 2; ++port) {
    if (!out.b[port].empty()) {
      output_push(port, out.b[port]);
      out.b[port].clear();
    }
  }
}

void ARPQuerier::send_query_for(Out& out, const graph::Packet& p, bool dst_known) noexcept {
  graph::Packet* q = pool().alloc();
  if (q == nullptr) return;  // the pool counts the failure; the packet itself goes on
  std::uint8_t* d = q->put(kArpFrameLength);
  if (d == nullptr) {
    mem::free_packet(q);
    return;
  }
  auto* eth = reinterpret_cast<net::Ethernet*>(d);
  // A renewal goes to the address we know, unless BROADCAST_POLL; a first query to all.
  eth->dst = dst_known && !broadcast_poll_ ? reinterpret_cast<const net::Ethernet*>(p.data())->dst
                                           : net::EtherAddr::broadcast();
  eth->src = my_eth_;
  eth->ether_type = net::kEtherTypeArp;
  auto* arp = reinterpret_cast<net::Arp*>(d + sizeof(net::Ethernet));
  arp->hardware_type = net::kArpHardwareEthernet;
  arp->protocol_type = net::kEtherTypeIpv4;
  arp->hardware_length = net::EtherAddr::kSize;
  arp->protocol_length = sizeof(net::Ipv4Addr);
  arp->opcode = net::kArpOpRequest;
  arp->sender_mac = my_eth_;
  arp->sender_ip = my_ip_;
  arp->target_mac = net::EtherAddr{};
  arp->target_ip = net::Ipv4Addr{net::be32_t::from_raw(p.dst_ip_anno_raw())};
  q->set_network_header(d + sizeof(net::Ethernet));
  q->set_timestamp_ns(p.timestamp_ns());
  q->set_vlan_tci(p.vlan_tci());
  queries_.add();
  emit(out, noutputs() - 1, q);
}

void ARPQuerier::handle_ip(Out& out, graph::Packet* p, bool encapsulated,
                           std::int64_t now) noexcept {
  using graph::DropReason;
  if (my_ip_.is_any()) {
    drops_.add();
    drop(p, DropReason::kOther);
    return;
  }
  if (!encapsulated) {
    if (p->push(sizeof(net::Ethernet)) == nullptr) {
      drops_.add();
      drop(p, DropReason::kNoRoom);
      return;
    }
    reinterpret_cast<net::Ethernet*>(p->data())->ether_type = net::kEtherTypeIpv4;
  }
  auto* eth = reinterpret_cast<net::Ethernet*>(p->data());
  const net::Ipv4Addr dst{net::be32_t::from_raw(p->dst_ip_anno_raw())};

  // The special destinations come before the table, as documented: an entry learned from a
  // reply that claims 0.0.0.0 or a broadcast or group address (anyone can send one) must not
  // redirect them.
  if (dst.is_any()) {  // no next hop: most likely a missing annotation
    drops_.add();
    drop(p, DropReason::kNoRoute);
    return;
  }
  if (dst.is_broadcast() || dst == bcast_ip_) {
    eth->dst = net::EtherAddr::broadcast();
  } else if (dst.is_multicast()) {
    // RFC 1112 6.4: 01-00-5E and the low 23 bits of the group address.
    const std::uint32_t a = dst.to_host();
    eth->dst = net::EtherAddr{{0x01, 0x00, 0x5E, static_cast<std::uint8_t>((a >> 16) & 0x7F),
                               static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)}};
  } else {
    // Two rounds at most: append_query says kKnown only when the lookup just before it
    // could have succeeded, and then the second lookup does.
    for (int round = 0;; ++round) {
      const int r = lookup(dst, eth->dst, now);
      if (r >= 0) {
        if (r > 0) send_query_for(out, *p, true);
        break;
      }
      const AppendResult ar = append_query(dst, p, now);
      if (ar == kKnown && round == 0) continue;
      if (ar == kQueuedPoll) send_query_for(out, *p, false);  // p is saved on the entry
      if (ar == kFull || ar == kKnown) drop_queued(p);
      if (ar == kNoEntry) drop(p, DropReason::kNoArpEntry);
      return;
    }
  }
  // The source goes in just before sending, so a changed address applies to saved packets.
  eth->src = my_eth_;
  emit(out, 0, p);
}

void ARPQuerier::handle_response(Out& out, graph::Packet* p, std::int64_t now) noexcept {
  using graph::DropReason;
  if (p->length() < kArpFrameLength) {
    drop(p, DropReason::kTooShort);
    return;
  }
  responses_.add();
  const auto* eth = reinterpret_cast<const net::Ethernet*>(p->data());
  const auto* arp = reinterpret_cast<const net::Arp*>(p->data() + sizeof(net::Ethernet));
  if (eth->ether_type != net::kEtherTypeArp || arp->hardware_type != net::kArpHardwareEthernet ||
      arp->protocol_type != net::kEtherTypeIpv4 || arp->hardware_length != net::EtherAddr::kSize ||
      arp->protocol_length != sizeof(net::Ipv4Addr)) {
    drop(p, DropReason::kBadHeader);
    return;
  }
  if (arp->opcode != net::kArpOpReply) {
    drop(p, DropReason::kFiltered);
    return;
  }
  if (arp->sender_mac.is_multicast()) {
    drop(p, DropReason::kBadSource);
    return;
  }
  const net::Ipv4Addr ip = arp->sender_ip;
  const net::EtherAddr mac = arp->sender_mac;
  mem::free_packet(p);  // a reply is consumed, not dropped

  std::uint32_t head = kNil;
  if (!insert(ip, mac, now, true, head)) return;
  // The saved packets go out in the order they came. The chain is ours now; each node goes
  // back to the free list before its packet is handled, so handling may save packets again.
  while (head != kNil) {
    graph::Packet* q = nodes_[head].p;
    const std::uint32_t next = nodes_[head].next;
    nodes_[head] = Node{nullptr, free_node_};
    free_node_ = head;
    handle_ip(out, q, true, now);
    head = next;
  }
}

void ARPQuerier::push(int port, graph::Batch& batch) noexcept {
  const std::int64_t now = now_signed();
  Out out;
  if (port == 0) {
    for (graph::Packet* p : batch.packets()) handle_ip(out, p, false, now);
  } else {
    for (graph::Packet* p : batch.packets()) handle_response(out, p, now);
  }
  batch.clear();
  flush(out);
}

void ARPQuerier::run_timer(graph::Timer& timer) noexcept {
  slim(now_signed());
  if (timeout_ns_ != 0) timer.schedule_after_ns(static_cast<std::uint64_t>(timeout_ns_));
}

// ---------------------------------------------------------------------------------------
// Handlers

void ARPQuerier::add_handlers() {
  add_read_handler("table", [this] {
    const std::int64_t now = now_signed();
    std::string s;
    for (std::uint32_t i = age_head_; i != kNil; i = entries_[i].next) {
      const Entry& e = entries_[i];
      // Click keeps times in milliseconds (jiffies) and prints them as a Timestamp.
      const std::int64_t age_ms = (now - e.live_at) / 1'000'000;
      s += fmt::format("{} {} {} {}.{:06}\n", e.ip.to_string(), known(e, now) ? 1 : 0,
                       click_ether(e.eth), age_ms / 1000, (age_ms % 1000) * 1000);
    }
    return s;
  });
  add_read_handler("stats", [this] {
    return fmt::format("{} packets killed\n{} ARP queries sent\n",
                       drops_.get() + table_drops_.get(), queries_.get());
  });
  add_read_handler("count", [this] { return fmt::format("{}\n", load(entry_count_)); });
  add_read_handler("length", [this] { return fmt::format("{}\n", load(packet_count_)); });
  add_read_handler("queries", [this] { return fmt::format("{}\n", queries_.get()); });
  add_read_handler("responses", [this] { return fmt::format("{}\n", responses_.get()); });
  add_read_handler("drops", [this] { return fmt::format("{}\n", drops_.get()); });
  add_read_handler("broadcast", [this] { return bcast_ip_.to_string() + "\n"; });
  add_write_handler("broadcast",
                    [this](std::string_view v) { return parse_write("BROADCAST", v, bcast_ip_); });
  add_read_handler("ipaddr", [this] { return my_ip_.to_string() + "\n"; });
  add_write_handler("ipaddr", [this](std::string_view v) { return parse_write("IP", v, my_ip_); });
  add_write_handler("insert", [this](std::string_view v) {
    net::Ipv4Addr ip{};
    net::EtherAddr eth{};
    graph::Args a(graph::split_words(v), "insert");
    Status st = a.required("IP", ip).required("ETH", eth).done();
    if (!st.is_ok()) return st;
    std::uint32_t head = kNil;
    if (!insert(ip, eth, now_signed(), false, head)) return invalid("ARP table full");
    return Status();
  });
  add_write_handler("delete", [this](std::string_view v) {
    net::Ipv4Addr ip{};
    graph::Args a(graph::split_words(v), "delete");
    Status st = a.required("IP", ip).done();
    if (!st.is_ok()) return st;
    std::uint32_t head = kNil;
    if (!insert(ip, net::EtherAddr::broadcast(), now_signed(), false, head))
      return invalid("ARP table full");
    return Status();
  });
  add_write_handler("clear", [this](std::string_view) {
    queries_.reset();
    drops_.reset();
    responses_.reset();
    clear_table();
    return Status();
  });
}

UPLANE_REGISTER_ELEMENT(ARPQuerier);

}  // namespace uplane::elements
