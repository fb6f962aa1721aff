#include "io/device_config.h"

#include <cctype>
#include <string>

namespace uplane::io {
namespace {

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

}  // namespace

Status finish_device_config(PortConfig& cfg, std::string_view method_word,
                            std::string_view xdp_mode_word, Method* method) {
  if (cfg.device.empty()) return make_error(Errc::kInvalidArgument, "DEVNAME: empty");
  if ((cfg.ring_size & (cfg.ring_size - 1)) != 0)
    return make_error(Errc::kInvalidArgument, "RING_SIZE: expected a power of two, got {}",
                      cfg.ring_size);
  if (upper(method_word) == "PCAP")
    return make_error(Errc::kInvalidArgument,
                      "METHOD PCAP is not supported: use PACKET (Click's LINUX) or XDP");
  if (!parse_method(method_word, method) || *method == Method::kShm)
    return make_error(Errc::kInvalidArgument,
                      "METHOD: expected AUTO, XDP, PACKET, LINUX, TAP or NULL, got '{}'",
                      method_word);
  const std::string mode = upper(xdp_mode_word);
  if (mode != "AUTO" && mode != "NATIVE" && mode != "SKB")
    return make_error(Errc::kInvalidArgument, "XDP_MODE: expected AUTO, NATIVE or SKB, got '{}'",
                      xdp_mode_word);
  cfg.xdp_skb_mode = mode == "SKB";
  cfg.xdp_native_mode = mode == "NATIVE";
  return {};
}

}  // namespace uplane::io
