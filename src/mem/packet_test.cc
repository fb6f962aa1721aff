#include "mem/packet.h"

#include <gtest/gtest.h>

#include <cstring>

#include "mem/batch.h"
#include "mem/packet_pool.h"

namespace uplane::mem {
namespace {

class PacketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = PacketPool::create({.name = "pkt-test",
                                .frame_count = 64,
                                .frame_size = 2048,
                                .headroom = 128,
                                .region = {.allow_hugepages = false}})
                .value();
    p_ = pool_->alloc();
    ASSERT_NE(p_, nullptr);
  }
  void TearDown() override {
    pool_->free(p_);
    pool_->flush_thread_cache();
    EXPECT_TRUE(pool_->check_no_leaks().is_ok());
  }
  std::unique_ptr<PacketPool> pool_;
  Packet* p_ = nullptr;
};

TEST_F(PacketTest, FreshPacketIsEmptyWithConfiguredHeadroom) {
  EXPECT_EQ(p_->length(), 0u);
  EXPECT_EQ(p_->headroom(), 128u);
  EXPECT_EQ(p_->tailroom(), 2048u - 128 - 128);
  EXPECT_EQ(p_->pool_id(), pool_->id());
  EXPECT_EQ(p_->input_port(), Packet::kNoPort);
  EXPECT_FALSE(p_->has_network_header());
}

TEST_F(PacketTest, PushPullPutTakeMoveTheWindow) {
  std::uint8_t* body = p_->put(100);
  ASSERT_NE(body, nullptr);
  std::memset(body, 0x11, 100);
  std::uint8_t* hdr = p_->push(14);
  ASSERT_NE(hdr, nullptr);
  EXPECT_EQ(hdr + 14, body);
  EXPECT_EQ(p_->length(), 114u);
  EXPECT_EQ(p_->headroom(), 114u);
  ASSERT_TRUE(p_->pull(14));
  EXPECT_EQ(p_->data(), body);
  ASSERT_TRUE(p_->take(40));
  EXPECT_EQ(p_->length(), 60u);
}

TEST_F(PacketTest, OperationsPastTheFrameFailAndChangeNothing) {
  ASSERT_NE(p_->put(10), nullptr);
  const std::uint8_t* before = p_->data();
  EXPECT_EQ(p_->push(129), nullptr);
  EXPECT_FALSE(p_->pull(11));
  EXPECT_FALSE(p_->take(11));
  EXPECT_EQ(p_->put(p_->tailroom() + 1), nullptr);
  EXPECT_EQ(p_->data(), before);
  EXPECT_EQ(p_->length(), 10u);
  // Exactly to the edges works.
  EXPECT_NE(p_->push(128), nullptr);
  EXPECT_EQ(p_->headroom(), 0u);
  EXPECT_NE(p_->put(p_->tailroom()), nullptr);
  EXPECT_EQ(p_->tailroom(), 0u);
  EXPECT_EQ(p_->length(), 2048u - 128);
}

TEST_F(PacketTest, HeaderAnnotationsFollowTheDataAndExpireWhenPulledPast) {
  ASSERT_NE(p_->put(60), nullptr);
  p_->set_network_header(p_->data() + 14);
  EXPECT_EQ(p_->network_header_offset(), 14);
  ASSERT_NE(p_->push(4), nullptr);  // e.g. a VLAN tag in front
  EXPECT_EQ(p_->network_header_offset(), 18);
  ASSERT_TRUE(p_->pull(30));
  EXPECT_FALSE(p_->has_network_header());
  EXPECT_EQ(p_->network_header(), nullptr);
}

TEST_F(PacketTest, HeaderAnnotationExpiresWhenTheTailIsTakenPastIt) {
  ASSERT_NE(p_->put(60), nullptr);
  p_->set_network_header(p_->data() + 14);
  p_->set_transport_header(p_->data() + 34);
  ASSERT_TRUE(p_->take(30));  // 30 bytes left: the transport header's first byte is gone
  EXPECT_TRUE(p_->has_network_header());
  EXPECT_FALSE(p_->has_transport_header());
  EXPECT_EQ(p_->transport_header(), nullptr);
}

TEST_F(PacketTest, AssignCopiesAndRejectsWhatCannotFit) {
  const char msg[] = "hello packet";
  ASSERT_TRUE(p_->assign(msg, sizeof(msg), 64));
  EXPECT_EQ(p_->headroom(), 64u);
  EXPECT_EQ(std::memcmp(p_->data(), msg, sizeof(msg)), 0);
  static std::uint8_t big[4096];
  EXPECT_FALSE(p_->assign(big, sizeof(big), 0));
  EXPECT_EQ(p_->length(), sizeof(msg));
  // A headroom that would wrap 32-bit arithmetic is refused, not wrapped onto the metadata.
  EXPECT_FALSE(p_->assign(msg, sizeof(msg), 0xFFFFFF80u));
  EXPECT_FALSE(p_->assign(msg, 0, 2048 - 128 + 1));
  EXPECT_EQ(p_->pool_id(), pool_->id());
  EXPECT_EQ(std::memcmp(p_->data(), msg, sizeof(msg)), 0);
}

TEST_F(PacketTest, CopyKeepsTheBytesInFrontOfTheData) {
  // A packet whose Ethernet header was pulled off: a copy must uncover the same header.
  std::uint8_t* frame = p_->put(60);
  ASSERT_NE(frame, nullptr);
  for (int i = 0; i < 60; ++i) frame[i] = static_cast<std::uint8_t>(i);
  ASSERT_TRUE(p_->pull(14));
  p_->set_paint(7);
  Packet* c = pool_->alloc();
  ASSERT_NE(c, nullptr);
  std::memset(c->data() - c->headroom(), 0xee, c->headroom() + 100);  // stale frame bytes
  ASSERT_TRUE(c->copy_from(*p_));
  EXPECT_EQ(c->pool_id(), pool_->id());
  EXPECT_NE(c->frame_index(), p_->frame_index());
  EXPECT_EQ(c->length(), 46u);
  EXPECT_EQ(c->paint(), 7);
  std::uint8_t* head = c->push(14);
  ASSERT_NE(head, nullptr);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(head[i], i) << "byte " << i;
  pool_->free(c);
}

TEST_F(PacketTest, ResetClearsAnnotations) {
  p_->set_paint(3);
  p_->set_dst_ip_anno_raw(0x0100000a);
  p_->set_vlan_tci(42);
  p_->user_anno()[5] = 9;
  pool_->free(p_);
  // The cache is LIFO: the same frame comes back, reset.
  p_ = pool_->alloc();
  ASSERT_NE(p_, nullptr);
  EXPECT_EQ(p_->paint(), 0);
  EXPECT_EQ(p_->dst_ip_anno_raw(), 0u);
  EXPECT_EQ(p_->vlan_tci(), 0);
  EXPECT_EQ(p_->user_anno()[5], 0);
}

TEST(Batch, HoldsUpTo32) {
  Batch b;
  alignas(64) static std::uint8_t fake[64];
  auto* p = reinterpret_cast<Packet*>(fake);
  for (std::uint32_t i = 0; i < Batch::kMax; ++i) ASSERT_TRUE(b.push_back(p));
  EXPECT_TRUE(b.full());
  EXPECT_FALSE(b.push_back(p));
  EXPECT_EQ(b.packets().size(), 32u);
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.room(), 32u);
}

}  // namespace
}  // namespace uplane::mem
