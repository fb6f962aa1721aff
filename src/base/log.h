#pragma once
// Logging on fmt, to stderr. Control plane only: nothing on the packet path logs.
//   UPLANE_LOG(kInfo, "region {}: {} bytes on {}", name, size, kind);
// The level is set once at start-up (UPLANE_LOG environment variable: debug, info, warn,
// error, off) or by set_log_level().

#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace uplane {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError, kOff };

LogLevel log_level() noexcept;
void set_log_level(LogLevel level) noexcept;
void log_write(LogLevel level, std::string_view message) noexcept;

}  // namespace uplane

#define UPLANE_LOG(level, ...)                                                    \
  do {                                                                            \
    if (::uplane::LogLevel::level >= ::uplane::log_level())                       \
      ::uplane::log_write(::uplane::LogLevel::level, ::fmt::format(__VA_ARGS__)); \
  } while (0)
