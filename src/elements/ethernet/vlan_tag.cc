#include "elements/ethernet/vlan_tag.h"

#include <fmt/format.h>

#include "elements/ethernet/handler_args.h"

namespace uplane::elements::ethernet {
namespace {

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

graph::Args& VlanTag::read_args(graph::Args& args, graph::WordArg& tci_word) {
  return args.optional_positional("VLAN_TCI", tci_word)
      .optional_positional("VLAN_PCP", pcp_, 0, 7)
      .optional("VLAN_ID", vlan_id_, 0, 0xFFF)
      .optional("NATIVE_VLAN", native_vlan_, -1, 0xFFF);
}

void VlanTag::set_tci_word(graph::Args& args, const graph::WordArg& tci_word) {
  if (args.ok() && !tci_word.word.empty()) {
    std::string why = parse_tci_word(tci_word.word, tci_arg_, use_anno_);
    if (!why.empty()) args.fail(why);
  }
  update_tci();
}

std::string VlanTag::config() const {
  std::string s = use_anno_
                      ? std::string("ANNO")
                      : fmt::format("VLAN_ID {}, VLAN_PCP {}", tci_ & 0xFFF, (tci_ >> 13) & 7);
  if (native_vlan_ != 0) s += fmt::format(", NATIVE_VLAN {}", native_vlan_);
  return s;
}

std::vector<graph::Handler> VlanTag::handlers(bool range_error_shows_number) {
  const bool num = range_error_shows_number;
  std::vector<graph::Handler> hs;
  hs.push_back(graph::Handler{
      "vlan_tci", [this] { return use_anno_ ? std::string("ANNO\n") : fmt::format("{}\n", tci_); },
      [this](std::string_view v) {
        std::string word;
        UPLANE_RETURN_IF_ERROR(one_value("VLAN_TCI", v, word));
        std::string why = parse_tci_word(word, tci_arg_, use_anno_);
        if (!why.empty()) return Status(Errc::kInvalidArgument, why);
        update_tci();
        return Status();
      }});
  hs.push_back(graph::Handler{"vlan_id", [this] { return fmt::format("{}\n", vlan_id_); },
                              [this, num](std::string_view v) {
                                Status st =
                                    parse_ranged_write("VLAN_ID", v, 0, 0xFFF, vlan_id_, num);
                                update_tci();
                                return st;
                              }});
  hs.push_back(graph::Handler{"vlan_pcp", [this] { return fmt::format("{}\n", pcp_); },
                              [this, num](std::string_view v) {
                                Status st = parse_ranged_write("VLAN_PCP", v, 0, 7, pcp_, num);
                                update_tci();
                                return st;
                              }});
  hs.push_back(graph::Handler{"native_vlan", [this] { return fmt::format("{}\n", native_vlan_); },
                              [this, num](std::string_view v) {
                                return parse_ranged_write("NATIVE_VLAN", v, -1, 0xFFF, native_vlan_,
                                                          num);
                              }});
  return hs;
}

}  // namespace uplane::elements::ethernet
