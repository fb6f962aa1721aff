#pragma once
// Strong big-endian (network order) integers: be16_t, be32_t, be64_t.
//
// A BigEndian<T> holds the bits exactly as they appear on the wire, so it can sit in a wire
// struct and be read straight out of a packet. It never converts implicitly to or from a host
// integer: `be16_t x = 5;` and `uint16_t y = x;` do not compile. Crossing the boundary is
// spelled out: be16_t::from_host(5), x.to_host(), and for bit-exact work on the stored
// representation x.raw() / be16_t::from_raw(r) (raw() is the value a native load of the two
// wire bytes yields, i.e. already byte-swapped on a little-endian host).
//
// Same-type operations need no conversion, because byte order does not matter to them:
// ==, != and the bitwise operators work on the raw bits; <, <= ... compare numeric (host)
// values. Constants are built once at compile time (`constexpr auto kX = be16_t::from_host(..)`)
// so `eth->ether_type == kEtherTypeIpv4` costs no swap on the packet path.
//
// The type is packed (alignment 1): a be32_t at any byte offset of a packet is a correctly
// aligned object, member calls through it are well defined (UBSan's alignment check stays
// quiet) and it nests in packed wire structs without -Waddress-of-packed-member noise.
// x86 and arm64 load unaligned words at full speed.

#include <bit>
#include <compare>
#include <cstdint>
#include <type_traits>

namespace uplane::net {

template <typename T>
class __attribute__((packed)) BigEndian {
  static_assert(std::is_unsigned_v<T> && (sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8),
                "BigEndian holds uint16_t, uint32_t or uint64_t");

 public:
  using host_type = T;

  // Trivial: uninitialized by default, like the integer it replaces; `be16_t x{}` is zero.
  BigEndian() = default;

  static constexpr BigEndian from_host(T host) noexcept { return from_raw(swap(host)); }
  static constexpr BigEndian from_raw(T raw) noexcept {
    BigEndian b;
    b.v_ = raw;
    return b;
  }

  constexpr T to_host() const noexcept { return swap(v_); }
  constexpr T raw() const noexcept { return v_; }

  // True when any bit is set: `if (ip->frag_off & kIpv4MoreFragments)`.
  constexpr explicit operator bool() const noexcept { return v_ != 0; }

  friend constexpr bool operator==(BigEndian a, BigEndian b) noexcept { return a.v_ == b.v_; }
  friend constexpr std::strong_ordering operator<=>(BigEndian a, BigEndian b) noexcept {
    return a.to_host() <=> b.to_host();
  }

  friend constexpr BigEndian operator&(BigEndian a, BigEndian b) noexcept {
    return from_raw(static_cast<T>(a.v_ & b.v_));
  }
  friend constexpr BigEndian operator|(BigEndian a, BigEndian b) noexcept {
    return from_raw(static_cast<T>(a.v_ | b.v_));
  }
  friend constexpr BigEndian operator^(BigEndian a, BigEndian b) noexcept {
    return from_raw(static_cast<T>(a.v_ ^ b.v_));
  }
  constexpr BigEndian operator~() const noexcept { return from_raw(static_cast<T>(~v_)); }

  constexpr BigEndian& operator&=(BigEndian o) noexcept { return *this = *this & o; }
  constexpr BigEndian& operator|=(BigEndian o) noexcept { return *this = *this | o; }
  constexpr BigEndian& operator^=(BigEndian o) noexcept { return *this = *this ^ o; }

 private:
  static constexpr T swap(T x) noexcept {
    if constexpr (std::endian::native == std::endian::big) {
      return x;
    } else if constexpr (sizeof(T) == 2) {
      return __builtin_bswap16(x);
    } else if constexpr (sizeof(T) == 4) {
      return __builtin_bswap32(x);
    } else {
      return __builtin_bswap64(x);
    }
  }

  T v_;
};

using be16_t = BigEndian<std::uint16_t>;
using be32_t = BigEndian<std::uint32_t>;
using be64_t = BigEndian<std::uint64_t>;

static_assert(sizeof(be16_t) == 2 && alignof(be16_t) == 1);
static_assert(sizeof(be32_t) == 4 && alignof(be32_t) == 1);
static_assert(sizeof(be64_t) == 8 && alignof(be64_t) == 1);
static_assert(std::is_trivially_copyable_v<be16_t> && std::is_trivial_v<be16_t>);
static_assert(std::is_trivially_copyable_v<be32_t> && std::is_trivial_v<be32_t>);
static_assert(std::is_trivially_copyable_v<be64_t> && std::is_trivial_v<be64_t>);
static_assert(std::is_standard_layout_v<be32_t>);

}  // namespace uplane::net
