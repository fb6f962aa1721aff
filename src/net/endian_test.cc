#include "net/endian.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <random>
#include <type_traits>

#include <gtest/gtest.h>

namespace uplane::net {
namespace {

// No implicit conversion in either direction, and no construction from a bare integer:
// `be16_t x = 5;`, `be16_t x(5);`, `uint16_t y = x;` and `x = 5;` do not compile.
static_assert(!std::is_convertible_v<std::uint16_t, be16_t>);
static_assert(!std::is_convertible_v<int, be16_t>);
static_assert(!std::is_convertible_v<be16_t, std::uint16_t>);
static_assert(!std::is_convertible_v<be16_t, int>);
static_assert(!std::is_constructible_v<be16_t, std::uint16_t>);
static_assert(!std::is_constructible_v<std::uint16_t, be16_t>);
static_assert(!std::is_assignable_v<be16_t&, std::uint16_t>);
static_assert(!std::is_convertible_v<std::uint32_t, be32_t>);
static_assert(!std::is_convertible_v<be32_t, std::uint32_t>);
static_assert(!std::is_constructible_v<be32_t, std::uint32_t>);
static_assert(!std::is_convertible_v<std::uint64_t, be64_t>);
static_assert(!std::is_convertible_v<be64_t, std::uint64_t>);
// Different widths do not mix either.
static_assert(!std::is_convertible_v<be16_t, be32_t>);
static_assert(!std::is_constructible_v<be32_t, be16_t>);
// Comparisons and bitwise operators exist only between the same type.
template <typename A, typename B>
concept EqualityComparable = requires(A a, B b) {
  a == b;
};
template <typename A, typename B>
concept BitAndable = requires(A a, B b) {
  a& b;
};
static_assert(EqualityComparable<be16_t, be16_t>);
static_assert(!EqualityComparable<be16_t, std::uint16_t>);
static_assert(!EqualityComparable<be16_t, int>);
static_assert(!EqualityComparable<be16_t, be32_t>);
static_assert(BitAndable<be32_t, be32_t>);
static_assert(!BitAndable<be32_t, std::uint32_t>);

// Layout: exactly the integer's size, usable at any offset.
static_assert(sizeof(be16_t) == 2 && sizeof(be32_t) == 4 && sizeof(be64_t) == 8);
static_assert(alignof(be16_t) == 1 && alignof(be32_t) == 1 && alignof(be64_t) == 1);
static_assert(std::is_trivially_copyable_v<be16_t> && std::is_trivially_copyable_v<be64_t>);

// constexpr throughout.
static_assert(be16_t::from_host(0x1234).to_host() == 0x1234);
static_assert(be32_t::from_host(0x01020304).to_host() == 0x01020304);
static_assert(be64_t::from_host(0x0102030405060708).to_host() == 0x0102030405060708);
static_assert((be16_t::from_host(0xff00) & be16_t::from_host(0x0ff0)) == be16_t::from_host(0x0f00));
static_assert(be16_t::from_host(1) < be16_t::from_host(0x100));
static_assert(!be32_t::from_host(0) && static_cast<bool>(be32_t::from_host(1)));

template <typename T, std::size_t N>
void expect_wire_bytes(T v, const std::uint8_t (&expected)[N]) {
  static_assert(sizeof(T) == N);
  std::uint8_t b[N];
  std::memcpy(b, &v, N);
  for (std::size_t i = 0; i < N; ++i) EXPECT_EQ(b[i], expected[i]) << "byte " << i;
}

TEST(Endian, StoresNetworkOrder) {
  expect_wire_bytes(be16_t::from_host(0x1234), {0x12, 0x34});
  expect_wire_bytes(be32_t::from_host(0x0a0b0c0d), {0x0a, 0x0b, 0x0c, 0x0d});
  expect_wire_bytes(be64_t::from_host(0x0102030405060708),
                    {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});
}

TEST(Endian, ReadsNetworkOrderFromBytes) {
  const std::uint8_t wire[] = {0xde, 0xad, 0xbe, 0xef};
  be32_t v;
  std::memcpy(&v, wire, sizeof(v));
  EXPECT_EQ(v.to_host(), 0xdeadbeefu);
  std::uint32_t native;
  std::memcpy(&native, wire, sizeof(native));
  EXPECT_EQ(v.raw(), native);
  EXPECT_EQ(be32_t::from_raw(native), v);
}

TEST(Endian, ValueInitializedIsZero) {
  be64_t v{};
  EXPECT_EQ(v.raw(), 0u);
  EXPECT_FALSE(v);
}

template <typename B>
void round_trip(std::mt19937_64& rng) {
  using T = typename B::host_type;
  for (int i = 0; i < 10000; ++i) {
    const T h = static_cast<T>(rng());
    const B b = B::from_host(h);
    ASSERT_EQ(b.to_host(), h);
    ASSERT_EQ(B::from_raw(b.raw()), b);
    // A second swap is the identity; on a little-endian host raw() is the swapped value.
    if constexpr (std::endian::native == std::endian::little && sizeof(T) == 2) {
      ASSERT_EQ(b.raw(), static_cast<T>(__builtin_bswap16(h)));
    } else if constexpr (std::endian::native == std::endian::little && sizeof(T) == 4) {
      ASSERT_EQ(b.raw(), __builtin_bswap32(h));
    } else if constexpr (std::endian::native == std::endian::little) {
      ASSERT_EQ(b.raw(), __builtin_bswap64(h));
    }
  }
}

TEST(Endian, RoundTrips) {
  std::mt19937_64 rng(0x5eed);
  round_trip<be16_t>(rng);
  round_trip<be32_t>(rng);
  round_trip<be64_t>(rng);
}

TEST(Endian, ComparesByNumericValue) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const auto a = static_cast<std::uint32_t>(rng());
    const auto b = static_cast<std::uint32_t>(rng() % 4 == 0 ? a : rng());
    const auto ba = be32_t::from_host(a);
    const auto bb = be32_t::from_host(b);
    ASSERT_EQ(ba == bb, a == b);
    ASSERT_EQ(ba != bb, a != b);
    ASSERT_EQ(ba < bb, a < b);
    ASSERT_EQ(ba <= bb, a <= b);
    ASSERT_EQ(ba > bb, a > b);
    ASSERT_EQ(ba >= bb, a >= b);
  }
}

TEST(Endian, BitwiseOpsMatchHostOps) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 10000; ++i) {
    const auto a = static_cast<std::uint16_t>(rng());
    const auto b = static_cast<std::uint16_t>(rng());
    const auto ba = be16_t::from_host(a);
    const auto bb = be16_t::from_host(b);
    ASSERT_EQ((ba & bb).to_host(), a & b);
    ASSERT_EQ((ba | bb).to_host(), a | b);
    ASSERT_EQ((ba ^ bb).to_host(), a ^ b);
    ASSERT_EQ((~ba).to_host(), static_cast<std::uint16_t>(~a));
    be16_t c = ba;
    c &= bb;
    ASSERT_EQ(c.to_host(), a & b);
    c = ba;
    c |= bb;
    ASSERT_EQ(c.to_host(), a | b);
    c = ba;
    c ^= bb;
    ASSERT_EQ(c.to_host(), a ^ b);
  }
}

struct __attribute__((packed)) OddLayout {
  std::uint8_t pad;
  be32_t word;
  be16_t half;
  be64_t wide;
};
static_assert(sizeof(OddLayout) == 15);

TEST(Endian, WorksAtOddOffsetsInPackedStructs) {
  // Read and written through a misaligned address: UBSan would flag a type that demanded
  // natural alignment.
  alignas(8) std::uint8_t buf[1 + sizeof(OddLayout)] = {};
  auto* s = reinterpret_cast<OddLayout*>(buf + 1);
  s->word = be32_t::from_host(0x11223344);
  s->half = be16_t::from_host(0x5566);
  s->wide = be64_t::from_host(0x778899aabbccddee);
  EXPECT_EQ(s->word.to_host(), 0x11223344u);
  EXPECT_EQ(s->half.to_host(), 0x5566u);
  EXPECT_EQ(s->wide.to_host(), 0x778899aabbccddeeu);
  EXPECT_EQ(buf[2], 0x11);
  EXPECT_EQ(buf[6], 0x55);
  EXPECT_EQ(buf[8], 0x77);
  EXPECT_EQ(buf[15], 0xee);
}

}  // namespace
}  // namespace uplane::net
