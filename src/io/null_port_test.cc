// NullPort: an endless source of one fixed frame and a sink that frees and counts.

#include "io/null_port.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "net/checksum.h"
#include "net/ipv4.h"
#include "netns_bed.h"

namespace uplane::io {
namespace {

std::unique_ptr<mem::PacketPool> make_pool(std::uint32_t frames, std::uint32_t cache = 64,
                                           const char* name = "null-port-test") {
  return testing::make_test_pool(name, frames, 2048, cache).value();
}

PortConfig config(std::uint32_t len = 60) {
  PortConfig c;
  c.device = "null0";
  c.null_frame_length = len;
  return c;
}

TEST(NullPort, ReceivesCopiesOfOneEthernetIpv4UdpFrame) {
  auto pool = make_pool(256);
  {
    auto port = open_null_port(config(), *pool);
    ASSERT_TRUE(port.is_ok()) << port.status().to_string();
    EXPECT_EQ((*port)->method(), Method::kNull);
    EXPECT_EQ((*port)->link_state(), LinkState::kUp);
    mem::Batch b;
    ASSERT_EQ((*port)->rx_burst(b), mem::Batch::kMax);
    const std::uint8_t* d = b[0]->data();
    ASSERT_EQ(b[0]->length(), 60u);
    const std::uint8_t eth[14] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};
    EXPECT_EQ(std::memcmp(d, eth, 14), 0);
    const auto* ip = reinterpret_cast<const net::Ipv4*>(d + 14);
    EXPECT_EQ(ip->version_ihl, 0x45);
    EXPECT_EQ(ip->total_length.to_host(), 46);
    EXPECT_EQ(ip->protocol, 17);
    EXPECT_EQ(ip->ttl, 64);
    EXPECT_TRUE(net::ipv4_header_checksum_ok(*ip));
    EXPECT_EQ(d[26], 10);  // 10.0.0.1 -> 10.0.0.2
    EXPECT_EQ(d[29], 1);
    EXPECT_EQ(d[33], 2);
    EXPECT_EQ((d[36] << 8) | d[37], 9);   // UDP to discard
    EXPECT_EQ((d[38] << 8) | d[39], 26);  // UDP length
    for (std::uint32_t i = 1; i < b.size(); ++i) {
      ASSERT_EQ(b[i]->length(), 60u);
      EXPECT_EQ(std::memcmp(b[i]->data(), d, 60), 0);
    }
    // A batch with room for 5 gets 5.
    mem::Batch partial;
    for (int i = 0; i < 27; ++i) (void)partial.push_back(b[i]);
    EXPECT_EQ((*port)->rx_burst(partial), 5u);
    EXPECT_EQ((*port)->counters().rx_packets, 37u);
    EXPECT_EQ((*port)->counters().rx_bytes, 37u * 60);

    // The sink takes everything and counts it.
    mem::Batch rest;
    for (std::uint32_t i = 27; i < 32; ++i) (void)rest.push_back(b[i]);
    EXPECT_EQ((*port)->tx_burst(partial), 32u);
    EXPECT_TRUE(partial.empty());
    EXPECT_EQ((*port)->tx_burst(rest), 5u);
    const PortCounters c = (*port)->counters();
    EXPECT_EQ(c.tx_packets, 37u);
    EXPECT_EQ(c.tx_bytes, 37u * 60);
    EXPECT_EQ(c.rx_dropped + c.rx_errors + c.tx_dropped + c.tx_errors, 0u);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

TEST(NullPort, FrameLengthIsCheckedAgainstHeadersAndThePool) {
  auto pool = make_pool(64);
  auto r = open_null_port(config(41), *pool);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(r.status().message().find("frame length 41"), std::string::npos)
      << r.status().message();
  // 2048 - 128 (metadata) - 128 (headroom) = 1792 bytes fit a frame.
  EXPECT_FALSE(open_null_port(config(1793), *pool).is_ok());
  for (std::uint32_t len : {42u, 1514u, 1792u}) {
    auto port = open_null_port(config(len), *pool);
    ASSERT_TRUE(port.is_ok()) << len;
    mem::Batch b;
    ASSERT_EQ((*port)->rx_burst(b), 32u);
    const auto* ip = reinterpret_cast<const net::Ipv4*>(b[0]->data() + 14);
    EXPECT_EQ(b[0]->length(), len);
    EXPECT_EQ(ip->total_length.to_host(), len - 14);
    EXPECT_TRUE(net::ipv4_header_checksum_ok(*ip));
    (*port)->tx_burst(b);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(NullPort, HandsOutWhatThePoolHasWithoutCountingLoss) {
  auto pool = make_pool(40, 0);
  auto port = open_null_port(config(), *pool).value();
  mem::Batch a;
  mem::Batch b;
  mem::Batch c;
  EXPECT_EQ(port->rx_burst(a), 32u);
  EXPECT_EQ(port->rx_burst(b), 8u);  // 32 and 16 refused, 8 given
  EXPECT_EQ(port->rx_burst(c), 0u);
  EXPECT_EQ(port->counters().rx_packets, 40u);
  EXPECT_EQ(port->counters().rx_dropped, 0u);
  port->tx_burst(a);
  port->tx_burst(b);
  EXPECT_EQ(port->rx_burst(c), 32u);
  port->tx_burst(c);
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(NullPort, TheSinkFreesPacketsToTheirOwnPools) {
  auto mine = make_pool(64, 64, "null-mine");
  auto other = make_pool(64, 64, "null-other");
  auto port = open_null_port(config(), *mine).value();
  mem::Batch b;
  for (int i = 0; i < 8; ++i) (void)b.push_back(i % 2 == 0 ? mine->alloc() : other->alloc());
  EXPECT_EQ(port->tx_burst(b), 8u);
  EXPECT_TRUE(mine->check_no_leaks().is_ok()) << mine->check_no_leaks().message();
  EXPECT_TRUE(other->check_no_leaks().is_ok()) << other->check_no_leaks().message();
}

TEST(NullPort, ATransmitOnlyPortReceivesNothing) {
  auto pool = make_pool(64);
  PortConfig c = config();
  c.rx = false;
  auto port = open_null_port(c, *pool).value();
  mem::Batch b;
  EXPECT_EQ(port->rx_burst(b), 0u);
  EXPECT_EQ(port->wait_fd(), -1);
}

}  // namespace
}  // namespace uplane::io
