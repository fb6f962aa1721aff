#include "elements/standard/counter.h"

#include <fmt/format.h>

#include "base/cpu.h"
#include "graph/registry.h"

namespace uplane::elements {
namespace {

// Click's jiffies: milliseconds of the monotonic clock (CLICK_HZ is 1000 at user level).
std::uint32_t jiffies() noexcept { return static_cast<std::uint32_t>(now_ns() / 1'000'000); }

// The fraction digits of f / 2^bits (0 < f < 2^bits), after Knuth's print_scaled as Click's
// cp_unparse_real2 uses it: print digits until what is left is below the precision the
// value had, rounding the last digit. Click's arithmetic is 32-bit unsigned, wrapping
// included, so this is too.
std::string fraction_digits(std::uint32_t f, int bits) {
  const std::uint32_t one = std::uint32_t{1} << bits;
  std::string out;
  std::uint32_t rest = 10 * f + 5;
  std::uint32_t allowed = 10;
  std::uint32_t rounder = 5;
  while (rounder < (one >> 1)) rounder *= 10;
  do {
    if (allowed > one) rest += (one >> 1) - rounder;  // wraps: subtracts rounder - one/2
    out += static_cast<char>('0' + (rest >> bits));
    rest = 10 * (rest & (one - 1));
    allowed *= 10;
  } while (rest > allowed);
  return out;
}

}  // namespace

std::string unparse_real2(std::int64_t value, int frac_bits) {
  if (value < 0) return "-" + unparse_real2(-value, frac_bits);
  const auto v = static_cast<std::uint64_t>(value);
  std::string s = fmt::format("{}", v >> frac_bits);
  const auto frac = static_cast<std::uint32_t>(v & ((std::uint64_t{1} << frac_bits) - 1));
  if (frac != 0) s += "." + fraction_digits(frac, frac_bits);
  return s;
}

Status Counter::configure(graph::Args& args) {
  graph::RawArg count_call, byte_count_call;
  args.optional("COUNT_CALL", count_call);
  const bool count_call_given = args.ok() && args.found();
  args.optional("BYTE_COUNT_CALL", byte_count_call);
  const bool byte_count_call_given = args.ok() && args.found();
  UPLANE_RETURN_IF_ERROR(args.done());
  if (count_call_given)
    return make_error(Errc::kInvalidArgument, "COUNT_CALL: not supported in uplane");
  if (byte_count_call_given)
    return make_error(Errc::kInvalidArgument, "BYTE_COUNT_CALL: not supported in uplane");
  return {};
}

Status Counter::initialize() {
  const std::uint32_t now = jiffies();
  rate_.reset(now);
  byte_rate_.reset(now);
  return {};
}

void Counter::take_state(graph::Element& old) noexcept {
  auto* o = dynamic_cast<Counter*>(&old);
  if (o == nullptr) return;
  count_.reset();
  count_.add(o->count_.get());
  byte_count_.reset();
  byte_count_.add(o->byte_count_.get());
  rate_.copy_from(o->rate_);
  byte_rate_.copy_from(o->byte_rate_);
}

// As Click's Counter::reset(): the counts, not the moving averages.
void Counter::reset() noexcept {
  count_.reset();
  byte_count_.reset();
}

void Counter::count(const graph::Batch& b, std::uint32_t from) noexcept {
  const std::uint32_t n = b.size() - from;
  if (n == 0) return;
  std::uint64_t bytes = 0;
  for (std::uint32_t i = from; i < b.size(); ++i) bytes += b[i]->length();
  count_.add(n);
  byte_count_.add(bytes);
  const std::uint32_t now = jiffies();
  rate_.update(n, now);
  byte_rate_.update(bytes, now);
}

void Counter::push(int, graph::Batch& batch) noexcept {
  count(batch, 0);
  output_push(0, batch);
}

void Counter::pull(int, graph::Batch& out, std::uint32_t max) noexcept {
  const std::uint32_t before = out.size();
  input_pull(0, out, max);
  count(out, before);
}

void Counter::add_handlers() {
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  add_read_handler("byte_count", [this] { return fmt::format("{}\n", byte_count_.get()); });
  add_read_handler("rate", [this] { return rate_.unparse_rate(jiffies()) + "\n"; });
  add_read_handler("byte_rate", [this] { return byte_rate_.unparse_rate(jiffies()) + "\n"; });
  add_read_handler("bit_rate", [this] {
    // Times 8 by taking 3 fraction bits away, as Click does, so nothing overflows.
    const std::int64_t per_sec = byte_rate_.scaled_average(jiffies()) * ByteRate::kEpochsPerSecond;
    constexpr int kBits = 4;
    static_assert(kBits >= 3);
    return unparse_real2(per_sec, kBits - 3) + "\n";
  });
  auto reset_handler = [this](std::string_view) {
    reset();
    return Status();
  };
  add_write_handler("reset", reset_handler);
  add_write_handler("reset_counts", reset_handler);
}

UPLANE_REGISTER_ELEMENT(Counter);

}  // namespace uplane::elements
