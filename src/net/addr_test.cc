#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "net/ether.h"
#include "net/ipv4.h"
#include "net/ipv6.h"

namespace uplane::net {
namespace {

TEST(EtherAddr, ParsesColonAndDashForms) {
  const EtherAddr want{{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};
  for (std::string_view s : {"00:11:22:33:44:55", "00-11-22-33-44-55"}) {
    auto a = EtherAddr::parse(s);
    ASSERT_TRUE(a) << s << ": " << a.status().to_string();
    EXPECT_EQ(*a, want) << s;
  }
  auto mixed_case = EtherAddr::parse("aA:bB:Cc:dD:eE:fF");
  ASSERT_TRUE(mixed_case);
  EXPECT_EQ(*mixed_case, (EtherAddr{{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}}));
}

TEST(EtherAddr, FormatsLowerCaseWithColons) {
  EXPECT_EQ((EtherAddr{{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}}).to_string(), "00:11:22:33:44:55");
  EXPECT_EQ((EtherAddr{{0xde, 0xad, 0xBE, 0xef, 0x0a, 0xf0}}).to_string(), "de:ad:be:ef:0a:f0");
  EXPECT_EQ(EtherAddr::broadcast().to_string(), "ff:ff:ff:ff:ff:ff");
}

TEST(EtherAddr, RoundTripsRandomAddresses) {
  std::mt19937 rng(42);
  for (int i = 0; i < 1000; ++i) {
    EtherAddr a;
    for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng());
    auto back = EtherAddr::parse(a.to_string());
    ASSERT_TRUE(back);
    ASSERT_EQ(*back, a);
  }
}

TEST(EtherAddr, RejectsBadInput) {
  for (std::string_view s : {
           "",
           "00:11:22:33:44",        // five groups
           "00:11:22:33:44:55:66",  // seven groups
           "00:11:22:33:44:5",      // short last group
           "0:11:22:33:44:55:",     // one-digit group, trailing separator
           "00:11:22-33:44:55",     // mixed separators
           "00.11.22.33.44.55",     // wrong separator
           "0011:22:33:44:55:",     // separator in the wrong place
           "00:11:22:33:44:5g",     // not hex
           " 00:11:22:33:44:55",    // leading space
           "00:11:22:33:44:55 ",    // trailing space
           "001122334455",          // no separators
           "+0:11:22:33:44:55",     // sign
       }) {
    auto a = EtherAddr::parse(s);
    EXPECT_FALSE(a) << "'" << s << "' parsed";
    if (!a) {
      EXPECT_EQ(a.status().code(), Errc::kInvalidArgument);
      EXPECT_NE(a.status().message().find("Ethernet address"), std::string::npos);
    }
  }
  EXPECT_FALSE(EtherAddr::parse(std::string_view("00:11:22:33:44:55\0", 18)));
}

TEST(EtherAddr, Classifies) {
  EXPECT_TRUE(EtherAddr::broadcast().is_broadcast());
  EXPECT_TRUE(EtherAddr::broadcast().is_multicast());
  const EtherAddr mcast{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
  EXPECT_TRUE(mcast.is_multicast());
  EXPECT_FALSE(mcast.is_broadcast());
  EXPECT_FALSE(mcast.is_unicast());
  const EtherAddr ucast{{0x02, 0xff, 0xff, 0xff, 0xff, 0xff}};
  EXPECT_FALSE(ucast.is_multicast());
  EXPECT_FALSE(ucast.is_broadcast());
  EXPECT_TRUE(ucast.is_unicast());
  EXPECT_TRUE(EtherAddr{}.is_zero());
  EXPECT_FALSE(ucast.is_zero());
  EXPECT_NE(mcast, ucast);
}

TEST(Ipv4Addr, ParsesDottedQuads) {
  struct Case {
    std::string_view text;
    std::uint32_t host;
  };
  for (const Case& c : {Case{"0.0.0.0", 0}, Case{"255.255.255.255", 0xffffffff},
                        Case{"192.168.0.1", 0xc0a80001}, Case{"10.0.0.255", 0x0a0000ff},
                        Case{"1.2.3.4", 0x01020304}, Case{"100.20.3.0", 0x64140300}}) {
    auto a = Ipv4Addr::parse(c.text);
    ASSERT_TRUE(a) << c.text << ": " << a.status().to_string();
    EXPECT_EQ(a->to_host(), c.host) << c.text;
    EXPECT_EQ(a->to_string(), c.text);
  }
}

TEST(Ipv4Addr, StoresNetworkOrder) {
  const auto a = Ipv4Addr::from_octets(192, 168, 0, 1);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&a);
  EXPECT_EQ(bytes[0], 192);
  EXPECT_EQ(bytes[1], 168);
  EXPECT_EQ(bytes[2], 0);
  EXPECT_EQ(bytes[3], 1);
  EXPECT_EQ(a, Ipv4Addr::from_host(0xc0a80001));
  EXPECT_LT(Ipv4Addr::from_octets(9, 255, 255, 255), Ipv4Addr::from_octets(10, 0, 0, 0));
}

TEST(Ipv4Addr, RoundTripsRandomAddresses) {
  std::mt19937 rng(4);
  for (int i = 0; i < 10000; ++i) {
    const auto a = Ipv4Addr::from_host(static_cast<std::uint32_t>(rng()));
    auto back = Ipv4Addr::parse(a.to_string());
    ASSERT_TRUE(back) << a.to_string();
    ASSERT_EQ(*back, a);
  }
}

TEST(Ipv4Addr, RejectsBadInput) {
  for (std::string_view s : {
           "",
           "1.2.3",                       // three parts
           "1.2.3.4.5",                   // five parts
           "1.2.3.",                      // empty last part
           ".1.2.3",                      // empty first part
           "1..2.3",                      // empty middle part
           "256.1.1.1",                   // above 255
           "1.1.1.1000",                  // four digits
           "1.1.1.99999999999999999999",  // would overflow a naive parser
           "01.2.3.4",                    // leading zero (octal to inet_aton)
           "1.2.3.00",                    // leading zero
           "0x1.2.3.4",                   // hex
           "1.2.3.-4",                    // sign
           "+1.2.3.4",                    // sign
           " 1.2.3.4",                    // leading space
           "1.2.3.4 ",                    // trailing space
           "1.2.3.4/24",                  // prefix is not an address
           "a.b.c.d",
           "16909060",  // a single number
       }) {
    auto a = Ipv4Addr::parse(s);
    EXPECT_FALSE(a) << "'" << s << "' parsed as " << (a ? a->to_string() : "");
    if (!a) {
      EXPECT_EQ(a.status().code(), Errc::kInvalidArgument);
      EXPECT_NE(a.status().message().find(std::string(s)), std::string::npos)
          << a.status().message();
    }
  }
  EXPECT_FALSE(Ipv4Addr::parse(std::string_view("1.2.3.4\0", 8)));
}

TEST(Ipv4Addr, Classifies) {
  EXPECT_TRUE(Ipv4Addr::broadcast().is_broadcast());
  EXPECT_FALSE(Ipv4Addr::from_octets(10, 255, 255, 255).is_broadcast());
  EXPECT_TRUE(Ipv4Addr::from_octets(224, 0, 0, 1).is_multicast());
  EXPECT_TRUE(Ipv4Addr::from_octets(239, 255, 255, 255).is_multicast());
  EXPECT_FALSE(Ipv4Addr::from_octets(223, 255, 255, 255).is_multicast());
  EXPECT_FALSE(Ipv4Addr::from_octets(240, 0, 0, 0).is_multicast());
  EXPECT_FALSE(Ipv4Addr::broadcast().is_multicast());
  EXPECT_TRUE(Ipv4Addr::from_octets(127, 0, 0, 1).is_loopback());
  EXPECT_TRUE(Ipv4Addr::any().is_any());
  EXPECT_FALSE(Ipv4Addr::from_octets(0, 0, 0, 1).is_any());
}

TEST(Ipv6Addr, ParsesAndFormatsCanonically) {
  struct Case {
    std::string_view in;
    std::string_view canonical;
  };
  for (const Case& c :
       {Case{"2001:db8::1", "2001:db8::1"},
        Case{"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"}, Case{"::", "::"},
        Case{"::1", "::1"}, Case{"fe80:0:0:1:0:0:0:1", "fe80:0:0:1::1"},  // longest run
        Case{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},                // first on a tie
        Case{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
        Case{"::ffff:192.0.2.1", "::ffff:192.0.2.1"}}) {
    auto a = Ipv6Addr::parse(c.in);
    ASSERT_TRUE(a) << c.in << ": " << a.status().to_string();
    EXPECT_EQ(a->to_string(), c.canonical);
  }
  auto a = Ipv6Addr::parse("2001:db8::1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bytes[0], 0x20);
  EXPECT_EQ(a->bytes[1], 0x01);
  EXPECT_EQ(a->bytes[2], 0x0d);
  EXPECT_EQ(a->bytes[3], 0xb8);
  EXPECT_EQ(a->bytes[15], 0x01);
}

TEST(Ipv6Addr, RejectsBadInput) {
  for (std::string_view s : {"", ":", "1:2:3:4:5:6:7:8:9", "2001:db8::1::2", "2001:db8::g",
                             "12345::", "fe80::1%eth0", "[::1]", "::1/128", " ::1", "1.2.3.4"}) {
    EXPECT_FALSE(Ipv6Addr::parse(s)) << "'" << s << "' parsed";
  }
  EXPECT_FALSE(Ipv6Addr::parse(std::string_view("::1\0junk", 8)));
  EXPECT_FALSE(Ipv6Addr::parse(std::string(100, '1')));
}

TEST(Ipv6Addr, Classifies) {
  EXPECT_TRUE(Ipv6Addr{}.is_unspecified());
  EXPECT_TRUE(Ipv6Addr::parse("ff02::1")->is_multicast());
  EXPECT_FALSE(Ipv6Addr::parse("fe80::1")->is_multicast());
  EXPECT_TRUE(Ipv6Addr::parse("fe80::1")->is_link_local());
  EXPECT_TRUE(Ipv6Addr::parse("febf::1")->is_link_local());
  EXPECT_FALSE(Ipv6Addr::parse("fec0::1")->is_link_local());
}

}  // namespace
}  // namespace uplane::net
