#pragma once
// What FromDevice and ToDevice check alike in their configurations: the device name, the
// ring size, METHOD and XDP_MODE.

#include <string_view>

#include "base/status.h"
#include "io/port.h"

namespace uplane::io {

// Checks cfg.device and cfg.ring_size, parses METHOD (`method_word`: AUTO, XDP, PACKET or
// LINUX, TAP, NULL) into *method and XDP_MODE (AUTO, NATIVE, SKB) into cfg. Errors name the
// keyword and the value.
Status finish_device_config(PortConfig& cfg, std::string_view method_word,
                            std::string_view xdp_mode_word, Method* method);

}  // namespace uplane::io
