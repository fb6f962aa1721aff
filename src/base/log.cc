#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace uplane {
namespace {

LogLevel level_from_env() noexcept {
  // Read once, at first use, before worker threads exist.
  const char* v = std::getenv("UPLANE_LOG");  // NOLINT(concurrency-mt-unsafe)
  if (v == nullptr) return LogLevel::kInfo;
  if (std::strcmp(v, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(v, "warn") == 0) return LogLevel::kWarn;
  if (std::strcmp(v, "error") == 0) return LogLevel::kError;
  if (std::strcmp(v, "off") == 0) return LogLevel::kOff;
  return LogLevel::kInfo;
}

std::atomic<LogLevel>& level_ref() noexcept {
  static std::atomic<LogLevel> level{level_from_env()};
  return level;
}

}  // namespace

// Relaxed: the level is a hint read on its own; no other memory hangs on it.
LogLevel log_level() noexcept { return level_ref().load(std::memory_order_relaxed); }
void set_log_level(LogLevel level) noexcept { level_ref().store(level, std::memory_order_relaxed); }

void log_write(LogLevel level, std::string_view message) noexcept {
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error", "off"};
  // One fprintf per line so lines from different threads do not interleave.
  std::fprintf(stderr, "uplane %s: %.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace uplane
