#include "elements/ethernet/ether_vlan_encap.h"

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "graph/registry.h"

namespace uplane::elements {
namespace {

std::string click_ether(const net::EtherAddr& a) {
  const std::uint8_t* b = a.bytes;
  return fmt::format("{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}", b[0], b[1], b[2], b[3], b[4],
                     b[5]);
}

// The one value of a handler write, as a configuration argument.
Status one_value(std::string_view keyword, std::string_view text, std::string& out) {
  std::vector<std::string> parts = graph::split_args(text);
  if (parts.size() != 1)
    return Status(Errc::kInvalidArgument, fmt::format("{}: expected one value", keyword));
  out = std::move(parts[0]);
  return {};
}

template <class T>
Status parse_write(std::string_view keyword, std::string_view text, T& out) {
  std::string word;
  Status st = one_value(keyword, text, word);
  if (!st.is_ok()) return st;
  T v{};
  std::string why = graph::ArgParser<T>::parse(word, v);
  if (!why.empty())
    return Status(Errc::kInvalidArgument, fmt::format("{}: {}, got '{}'", keyword, why, word));
  out = v;
  return {};
}

Status parse_ranged_write(std::string_view keyword, std::string_view text, int lo, int hi,
                          int& out) {
  int v = 0;
  Status st = parse_write(keyword, text, v);
  if (!st.is_ok()) return st;
  if (v < lo || v > hi)
    return Status(Errc::kInvalidArgument,
                  fmt::format("{}: expected {}-{}, got '{}'", keyword, lo, hi, v));
  out = v;
  return {};
}

// VLAN_TCI: the word ANNO, or a number 0-0xFFFF. Empty on success, else the message.
std::string parse_tci_word(const std::string& word, int& tci_arg, bool& use_anno) {
  if (word == "ANNO") {
    use_anno = true;
    tci_arg = -1;
    return {};
  }
  std::uint16_t v = 0;
  std::string why = graph::ArgParser<std::uint16_t>::parse(word, v);
  if (!why.empty()) return fmt::format("VLAN_TCI: expected ANNO or 0-65535, got '{}'", word);
  use_anno = false;
  tci_arg = v;
  return {};
}

}  // namespace

Status EtherVLANEncap::configure(graph::Args& args) {
  std::uint16_t type = 0;
  net::EtherAddr src{}, dst{};
  graph::WordArg tci_word;
  int pcp = 0, id = 0, native = 0;
  args.required("ETHERTYPE", type)
      .required("SRC", src)
      .required("DST", dst)
      .optional_positional("VLAN_TCI", tci_word)
      .optional_positional("VLAN_PCP", pcp, 0, 7)
      .optional("VLAN_ID", id, 0, 0xFFF)
      .optional("NATIVE_VLAN", native, -1, 0xFFF);
  int tci_arg = -1;
  bool use_anno = false;
  if (args.ok() && !tci_word.word.empty()) {
    std::string why = parse_tci_word(tci_word.word, tci_arg, use_anno);
    if (!why.empty()) args.fail(why);
  }
  Status st = args.done();
  if (!st.is_ok()) return st;
  ether_type_ = type;
  src_ = src;
  dst_ = dst;
  tci_arg_ = tci_arg;
  use_anno_ = use_anno;
  pcp_ = pcp;
  vlan_id_ = id;
  native_vlan_ = native;
  update_tci();
  return {};
}

void EtherVLANEncap::add_handlers() {
  add_read_handler("config", [this] {
    std::string s = fmt::format("{}, {}, {}", ether_type_, click_ether(src_), click_ether(dst_));
    if (use_anno_) {
      s += ", ANNO";
    } else {
      s += fmt::format(", VLAN_ID {}, VLAN_PCP {}", tci_ & 0xFFF, (tci_ >> 13) & 7);
    }
    if (native_vlan_ != 0) s += fmt::format(", NATIVE_VLAN {}", native_vlan_);
    return s + "\n";
  });
  add_read_handler("src", [this] { return click_ether(src_) + "\n"; });
  add_write_handler("src", [this](std::string_view v) { return parse_write("SRC", v, src_); });
  add_read_handler("dst", [this] { return click_ether(dst_) + "\n"; });
  add_write_handler("dst", [this](std::string_view v) { return parse_write("DST", v, dst_); });
  add_read_handler("ethertype", [this] { return fmt::format("{}\n", ether_type_); });
  add_write_handler(
      "ethertype", [this](std::string_view v) { return parse_write("ETHERTYPE", v, ether_type_); });
  add_read_handler(
      "vlan_tci", [this] { return use_anno_ ? std::string("ANNO\n") : fmt::format("{}\n", tci_); });
  add_write_handler("vlan_tci", [this](std::string_view v) {
    std::string word;
    Status st = one_value("VLAN_TCI", v, word);
    if (!st.is_ok()) return st;
    std::string why = parse_tci_word(word, tci_arg_, use_anno_);
    if (!why.empty()) return Status(Errc::kInvalidArgument, why);
    update_tci();
    return Status();
  });
  add_read_handler("vlan_id", [this] { return fmt::format("{}\n", vlan_id_); });
  add_write_handler("vlan_id", [this](std::string_view v) {
    Status st = parse_ranged_write("VLAN_ID", v, 0, 0xFFF, vlan_id_);
    update_tci();
    return st;
  });
  add_read_handler("vlan_pcp", [this] { return fmt::format("{}\n", pcp_); });
  add_write_handler("vlan_pcp", [this](std::string_view v) {
    Status st = parse_ranged_write("VLAN_PCP", v, 0, 7, pcp_);
    update_tci();
    return st;
  });
  add_read_handler("native_vlan", [this] { return fmt::format("{}\n", native_vlan_); });
  add_write_handler("native_vlan", [this](std::string_view v) {
    return parse_ranged_write("NATIVE_VLAN", v, -1, 0xFFF, native_vlan_);
  });
}

graph::Verdict EtherVLANEncap::process(graph::Packet& p) noexcept {
  const std::uint16_t tci = use_anno_ ? p.vlan_tci() : tci_;
  if (native_vlan_ >= 0 && (tci & 0xFFF) == native_vlan_) {
    std::uint8_t* d = p.push(sizeof(net::Ethernet));
    if (d == nullptr) return graph::Drop(graph::DropReason::kNoRoom);
    auto* eth = reinterpret_cast<net::Ethernet*>(d);
    eth->dst = dst_;
    eth->src = src_;
    eth->ether_type = net::be16_t::from_host(ether_type_);
    return graph::Port{0};
  }
  std::uint8_t* d = p.push(sizeof(net::Ethernet) + sizeof(net::Vlan));
  if (d == nullptr) return graph::Drop(graph::DropReason::kNoRoom);
  auto* eth = reinterpret_cast<net::Ethernet*>(d);
  eth->dst = dst_;
  eth->src = src_;
  eth->ether_type = net::kEtherTypeVlan;
  auto* tag = reinterpret_cast<net::Vlan*>(d + sizeof(net::Ethernet));
  tag->tci = net::be16_t::from_host(tci);
  tag->ether_type = net::be16_t::from_host(ether_type_);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(EtherVLANEncap);

}  // namespace uplane::elements
