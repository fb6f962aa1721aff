#include "base/unix_socket.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>

namespace uplane {
namespace {

std::span<const std::byte> bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

TEST(UnixSocket, PassesADescriptorThatReachesTheSameFile) {
  auto pair = socket_pair().value();
  UniqueFd mfd(memfd_create("fdpass-test", MFD_CLOEXEC));
  ASSERT_TRUE(mfd.valid());
  ASSERT_EQ(write(mfd.get(), "hello", 5), 5);

  ASSERT_TRUE(send_fd(pair.first.get(), mfd.get(), bytes("pool0")).is_ok());
  auto got = recv_fd(pair.second.get());
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ(got->tag, "pool0");
  EXPECT_NE(got->fd.get(), mfd.get());
  char buf[6] = {};
  ASSERT_EQ(pread(got->fd.get(), buf, 5, 0), 5);
  EXPECT_STREQ(buf, "hello");
}

TEST(UnixSocket, MessageWithoutDescriptorIsAnError) {
  auto pair = socket_pair().value();
  ASSERT_EQ(send(pair.first.get(), "x", 1, 0), 1);
  auto got = recv_fd(pair.second.get());
  ASSERT_FALSE(got.is_ok());
  EXPECT_NE(got.status().message().find("no descriptor"), std::string::npos);
}

TEST(UnixSocket, ClosedPeerIsAnError) {
  auto pair = socket_pair().value();
  pair.first.reset();
  auto got = recv_fd(pair.second.get());
  ASSERT_FALSE(got.is_ok());
  EXPECT_NE(got.status().message().find("closed"), std::string::npos);
}

// recv_fd takes exactly one descriptor; what else arrives must be closed, not leaked.
TEST(UnixSocket, ExtraDescriptorsAreClosedNotLeaked) {
  auto pair = socket_pair().value();
  int fds[2] = {memfd_create("a", MFD_CLOEXEC), memfd_create("b", MFD_CLOEXEC)};
  ASSERT_TRUE(send_fds(pair.first.get(), fds, {}).is_ok());
  close(fds[0]);
  close(fds[1]);

  const int probe_before = dup(0);
  close(probe_before);
  auto got = recv_fd(pair.second.get());
  ASSERT_FALSE(got.is_ok());
  EXPECT_NE(got.status().message().find("2 descriptors"), std::string::npos)
      << got.status().message();
  // Both received descriptors were closed: the lowest free descriptor is unchanged.
  const int probe_after = dup(0);
  close(probe_after);
  EXPECT_EQ(probe_after, probe_before);
}

TEST(UnixSocket, TagTooLongOrTooManyDescriptorsAreRejectedBeforeSending) {
  auto pair = socket_pair().value();
  std::string tag(300, 'a');
  EXPECT_EQ(send_fd(pair.first.get(), 0, bytes(tag)).code(), Errc::kInvalidArgument);
  int many[9] = {};
  EXPECT_EQ(send_fds(pair.first.get(), many, {}).code(), Errc::kInvalidArgument);
}

}  // namespace
}  // namespace uplane
