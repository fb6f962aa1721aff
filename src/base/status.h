#pragma once
// Status and Result<T>: how the control plane reports failure. Nothing in src/ throws across
// its API; the fast path uses verdicts and drop counters instead (STYLE.md).

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace uplane {

enum class Errc {
  kOk = 0,
  kInvalidArgument,
  kOutOfRange,
  kNotFound,
  kAlreadyExists,
  kResourceExhausted,
  kFailedPrecondition,
  kIo,
  kSystem,
  kInternal,
};

std::string_view errc_name(Errc c) noexcept;

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool is_ok() const noexcept { return code_ == Errc::kOk; }
  explicit operator bool() const noexcept { return is_ok(); }
  Errc code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  // "invalid argument: capacity 3 is not a power of two"
  std::string to_string() const;

 private:
  Errc code_ = Errc::kOk;
  std::string message_;
};

template <typename... A>
Status make_error(Errc code, fmt::format_string<A...> f, A&&... args) {
  return Status(code, fmt::format(f, std::forward<A>(args)...));
}

// A system-call failure: the message ends with strerror(err).
Status errno_error(int err, std::string_view what);

[[noreturn]] void die_on_value_of_error(const Status& status) noexcept;

// A value or the Status that says why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).is_ok() && "a Result holds an error or a value");
  }

  bool is_ok() const noexcept { return std::holds_alternative<T>(v_); }
  explicit operator bool() const noexcept { return is_ok(); }
  // The value. Calling it on an error is a bug in the caller: it aborts, naming the error
  // (nothing in src/ throws).
  T& value() & { return *checked(); }
  T&& value() && { return std::move(*checked()); }
  const T& value() const& { return *const_cast<Result*>(this)->checked(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  Status status() const { return is_ok() ? Status() : std::get<Status>(v_); }

 private:
  T* checked() noexcept {
    if (T* v = std::get_if<T>(&v_); v != nullptr) return v;
    die_on_value_of_error(std::get<Status>(v_));
  }

  std::variant<T, Status> v_;
};

}  // namespace uplane

// Returns from the enclosing function when `expr` (a Status) is an error.
#define UPLANE_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::uplane::Status uplane_st_ = (expr);       \
    if (!uplane_st_.is_ok()) return uplane_st_; \
  } while (0)
