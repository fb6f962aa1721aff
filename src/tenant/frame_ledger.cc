#include "tenant/frame_ledger.h"

namespace uplane::tenant {

std::string_view frame_reject_name(FrameReject r) noexcept {
  switch (r) {
    case FrameReject::kOutOfRange:
      return "out_of_range";
    case FrameReject::kNotHeld:
      return "not_held";
    case FrameReject::kTwice:
      return "given_back_twice";
    case FrameReject::kBadLength:
      return "bad_length";
    case FrameReject::kCount:
      break;
  }
  return "unknown";
}

FrameLedger::FrameLedger(std::uint32_t frames) : state_(frames, State::kHost) {
  for (auto& r : rejects_) r.store(0, std::memory_order_relaxed);
}

bool FrameLedger::revoke(std::uint32_t i) noexcept {
  if (i >= state_.size() || state_[i] != State::kTenant) return false;
  state_[i] = State::kHost;
  add(held_, -1);
  add(given_, -1);
  return true;
}

std::vector<std::uint32_t> FrameLedger::reclaim() {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < state_.size(); ++i) {
    if (state_[i] != State::kTenant) continue;
    state_[i] = State::kHost;
    out.push_back(i);
  }
  add(held_, -static_cast<std::int64_t>(out.size()));
  add(reclaimed_, static_cast<std::int64_t>(out.size()));
  return out;
}

}  // namespace uplane::tenant
