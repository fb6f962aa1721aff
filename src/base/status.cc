#include "base/status.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace uplane {

std::string_view errc_name(Errc c) noexcept {
  switch (c) {
    case Errc::kOk:
      return "ok";
    case Errc::kInvalidArgument:
      return "invalid argument";
    case Errc::kOutOfRange:
      return "out of range";
    case Errc::kNotFound:
      return "not found";
    case Errc::kAlreadyExists:
      return "already exists";
    case Errc::kResourceExhausted:
      return "resource exhausted";
    case Errc::kFailedPrecondition:
      return "failed precondition";
    case Errc::kIo:
      return "i/o error";
    case Errc::kSystem:
      return "system error";
    case Errc::kInternal:
      return "internal error";
  }
  return "unknown error";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return fmt::format("{}: {}", errc_name(code_), message_);
}

void die_on_value_of_error(const Status& status) noexcept {
  std::fprintf(stderr, "uplane: Result::value() called on an error: %s\n",
               status.to_string().c_str());
  std::abort();
}

Status errno_error(int err, std::string_view what) {
  return Status(Errc::kSystem, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace uplane
