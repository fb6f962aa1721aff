#include "elements/ethernet/arp_responder.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "elements/ethernet/handler_args.h"
#include "graph/registry.h"
#include "net/arp.h"

namespace uplane::elements {
namespace {

using ethernet::click_ether;

// Click's IPAddress::unparse_with_mask: "addr/len" for a contiguous mask, else "addr/mask".
std::string unparse_with_mask(std::uint32_t addr, std::uint32_t mask) {
  const std::string a = net::Ipv4Addr::from_host(addr).to_string();
  const int ones = std::popcount(mask);
  const bool contiguous = ones == 0 || mask == ~std::uint32_t{0} << (32 - ones);
  if (contiguous) return fmt::format("{}/{}", a, ones);
  return fmt::format("{}/{}", a, net::Ipv4Addr::from_host(mask).to_string());
}

Status invalid(std::string message) { return Status(Errc::kInvalidArgument, std::move(message)); }

}  // namespace

void ARPResponder::insert(std::vector<Entry>& table, const Entry& e) {
  // Goes before the first entry that contains it, so that a more specific prefix is always
  // found first; a prefix already present takes the new address (the later one wins, as in
  // Click). Entries that do not overlap keep their order.
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].dst == e.dst && table[i].mask == e.mask) {
      table[i].eth = e.eth;
      return;
    }
    if ((e.dst & table[i].mask) == table[i].dst) {
      table.insert(table.begin() + static_cast<std::ptrdiff_t>(i), e);
      return;
    }
  }
  table.push_back(e);
}

Status ARPResponder::add(std::vector<Entry>& table, std::string_view arg) {
  std::vector<Entry> found;
  net::EtherAddr eth{};
  bool have_eth = false;
  for (const std::string& word : graph::split_words(arg)) {
    graph::Ipv4Prefix prefix;
    if (graph::ArgParser<graph::Ipv4Prefix>::parse(word, prefix).empty()) {
      const std::uint32_t mask = prefix.mask.to_host();
      found.push_back(Entry{prefix.addr.to_host() & mask, mask, {}});
    } else if (graph::ArgParser<net::EtherAddr>::parse(word, eth).empty()) {
      if (have_eth) return invalid("more than one ETH");
      have_eth = true;
    } else {
      return invalid("expected IP/MASK ETH");
    }
  }
  if (found.empty()) return invalid("missing IP/MASK");
  if (!have_eth) return invalid("missing ETH");
  for (Entry& e : found) {
    e.eth = eth;
    insert(table, e);
  }
  return {};
}

Status ARPResponder::configure(graph::Args& args) {
  std::vector<graph::RawArg> raw;
  args.rest("IP/MASK ETH", raw);
  std::vector<Entry> table;
  for (std::size_t i = 0; i < raw.size() && args.ok(); ++i) {
    Status one = add(table, raw[i].text);
    if (!one.is_ok()) args.fail(fmt::format("argument {}: {}", i, one.message()));
  }
  Status st = args.done();
  if (!st.is_ok()) return st;
  table_ = std::move(table);
  return {};
}

const net::EtherAddr* ARPResponder::lookup(net::Ipv4Addr ip) const noexcept {
  const std::uint32_t a = ip.to_host();
  for (const Entry& e : table_)
    if ((a & e.mask) == e.dst) return &e.eth;
  return nullptr;
}

void ARPResponder::add_handlers() {
  add_read_handler("table", [this] {
    std::string s;
    for (const Entry& e : table_)
      s += fmt::format("{} {}\n", unparse_with_mask(e.dst, e.mask), click_ether(e.eth));
    return s;
  });
  add_write_handler("add", [this](std::string_view v) {
    std::vector<Entry> table = table_;
    Status st = add(table, v);
    if (st.is_ok()) table_ = std::move(table);
    return st;
  });
  add_write_handler("remove", [this](std::string_view v) {
    std::vector<std::string> parts = graph::split_args(v);
    graph::Ipv4Prefix prefix;
    if (parts.size() != 1 || !graph::ArgParser<graph::Ipv4Prefix>::parse(parts[0], prefix).empty())
      return invalid("expected IP/MASK");
    const std::uint32_t mask = prefix.mask.to_host();
    const std::uint32_t dst = prefix.addr.to_host() & mask;
    for (auto it = table_.begin(); it != table_.end(); ++it) {
      if (it->dst == dst && it->mask == mask) {
        table_.erase(it);
        return Status();
      }
    }
    return invalid(fmt::format("{} not found", unparse_with_mask(dst, mask)));
  });
}

graph::Verdict ARPResponder::process(graph::Packet& p) noexcept {
  using graph::DropReason;
  constexpr std::uint32_t kReplyLength = sizeof(net::Ethernet) + sizeof(net::Arp);
  if (p.length() < kReplyLength) return port_or_drop(1, DropReason::kTooShort);
  const auto* eth = reinterpret_cast<const net::Ethernet*>(p.data());
  const auto* req = reinterpret_cast<const net::Arp*>(p.data() + sizeof(net::Ethernet));
  if (eth->ether_type != net::kEtherTypeArp || req->hardware_type != net::kArpHardwareEthernet ||
      req->protocol_type != net::kEtherTypeIpv4 || req->hardware_length != net::EtherAddr::kSize ||
      req->protocol_length != sizeof(net::Ipv4Addr))
    return port_or_drop(1, DropReason::kBadHeader);
  if (req->opcode != net::kArpOpRequest) return port_or_drop(1, DropReason::kFiltered);
  const net::EtherAddr* mine = lookup(req->target_ip);
  if (mine == nullptr) return port_or_drop(1, DropReason::kFiltered);

  // The reply reuses the request's frame: copy out what it needs, then rewrite the packet
  // as a new one (annotations clear) keeping the device and VLAN annotations, as Click's
  // freshly made reply does.
  const net::EtherAddr their_eth = req->sender_mac;
  const net::Ipv4Addr their_ip = req->sender_ip;
  const net::Ipv4Addr wanted_ip = req->target_ip;
  const net::EtherAddr my_eth = *mine;
  const std::uint16_t port = p.input_port();
  const std::uint16_t tci = p.vlan_tci();
  p.reset(p.headroom());
  p.set_input_port(port);
  p.set_vlan_tci(tci);
  std::uint8_t* d = p.put(kReplyLength);  // the request's bytes were here: it fits
  if (d == nullptr) return graph::Drop(DropReason::kNoRoom);
  auto* out_eth = reinterpret_cast<net::Ethernet*>(d);
  out_eth->dst = their_eth;
  out_eth->src = my_eth;
  out_eth->ether_type = net::kEtherTypeArp;
  auto* rep = reinterpret_cast<net::Arp*>(d + sizeof(net::Ethernet));
  rep->hardware_type = net::kArpHardwareEthernet;
  rep->protocol_type = net::kEtherTypeIpv4;
  rep->hardware_length = net::EtherAddr::kSize;
  rep->protocol_length = sizeof(net::Ipv4Addr);
  rep->opcode = net::kArpOpReply;
  rep->sender_mac = my_eth;
  rep->sender_ip = wanted_ip;
  rep->target_mac = their_eth;
  rep->target_ip = their_ip;
  p.set_network_header(d + sizeof(net::Ethernet));
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(ARPResponder);

}  // namespace uplane::elements
