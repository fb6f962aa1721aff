#include "elements/ethernet/vlan_encap.h"

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "graph/registry.h"
#include "net/ether.h"

namespace uplane::elements {
namespace {

// The one value of a handler write, as a configuration argument.
Status one_value(std::string_view keyword, std::string_view text, std::string& out) {
  std::vector<std::string> parts = graph::split_args(text);
  if (parts.size() != 1)
    return Status(Errc::kInvalidArgument, fmt::format("{}: expected one value", keyword));
  out = std::move(parts[0]);
  return {};
}

template <class T>
Status parse_ranged_write(std::string_view keyword, std::string_view text, T lo, T hi, T& out) {
  std::string word;
  Status st = one_value(keyword, text, word);
  if (!st.is_ok()) return st;
  T v{};
  std::string why = graph::ArgParser<T>::parse(word, v);
  if (!why.empty())
    return Status(Errc::kInvalidArgument, fmt::format("{}: {}, got '{}'", keyword, why, word));
  if (v < lo || v > hi)
    return Status(Errc::kInvalidArgument,
                  fmt::format("{}: expected {}-{}, got '{}'", keyword, lo, hi, word));
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

Status VLANEncap::configure(graph::Args& args) {
  graph::WordArg tci_word;
  int pcp = 0, id = 0, native = 0;
  std::uint16_t tag_type = 0x8100;
  args.optional_positional("VLAN_TCI", tci_word)
      .optional_positional("VLAN_PCP", pcp, 0, 7)
      .optional("VLAN_ID", id, 0, 0xFFF)
      .optional("NATIVE_VLAN", native, -1, 0xFFF)
      .optional("ETHERTYPE", tag_type);
  int tci_arg = -1;
  bool use_anno = false;
  if (args.ok() && !tci_word.word.empty()) {
    std::string why = parse_tci_word(tci_word.word, tci_arg, use_anno);
    if (!why.empty()) args.fail(why);
  }
  Status st = args.done();
  if (!st.is_ok()) return st;
  tci_arg_ = tci_arg;
  use_anno_ = use_anno;
  pcp_ = pcp;
  vlan_id_ = id;
  native_vlan_ = native;
  tag_type_ = tag_type;
  update_tci();
  return {};
}

void VLANEncap::add_handlers() {
  add_read_handler("config", [this] {
    std::string s = use_anno_
                        ? std::string("ANNO")
                        : fmt::format("VLAN_ID {}, VLAN_PCP {}", tci_ & 0xFFF, (tci_ >> 13) & 7);
    if (native_vlan_ != 0) s += fmt::format(", NATIVE_VLAN {}", native_vlan_);
    if (tag_type_ != 0x8100) s += fmt::format(", ETHERTYPE {}", tag_type_);
    return s + "\n";
  });
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
  add_read_handler("ethertype", [this] { return fmt::format("{}\n", tag_type_); });
  add_write_handler("ethertype", [this](std::string_view v) {
    return parse_ranged_write<std::uint16_t>("ETHERTYPE", v, 0, 0xFFFF, tag_type_);
  });
}

graph::Verdict VLANEncap::process(graph::Packet& p) noexcept {
  if (p.length() < sizeof(net::Ethernet)) return graph::Drop(graph::DropReason::kTooShort);
  const std::uint16_t tci = use_anno_ ? p.vlan_tci() : tci_;
  if (native_vlan_ >= 0 && (tci & 0xFFF) == native_vlan_) return graph::Port{0};
  std::uint8_t* d = p.push(sizeof(net::Vlan));
  if (d == nullptr) return graph::Drop(graph::DropReason::kNoRoom);
  // The two addresses move to the new front; the old EtherType stays where it was and
  // becomes the tag's inner type.
  std::memmove(d, d + sizeof(net::Vlan), 2 * net::EtherAddr::kSize);
  auto* eth = reinterpret_cast<net::Ethernet*>(d);
  eth->ether_type = net::be16_t::from_host(tag_type_);
  reinterpret_cast<net::Vlan*>(d + sizeof(net::Ethernet))->tci = net::be16_t::from_host(tci);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(VLANEncap);

}  // namespace uplane::elements
