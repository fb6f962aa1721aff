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

// A zero-byte message can still carry descriptors on SOCK_SEQPACKET; they must not leak
// behind a "peer closed" error.
TEST(UnixSocket, ExtraDescriptorsAreClosedNotLeaked) {
  auto pair = socket_pair().value();
  int fds[2] = {memfd_create("a", MFD_CLOEXEC), memfd_create("b", MFD_CLOEXEC)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(fds))] = {};
  char byte = 'x';
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(fds));
  std::memcpy(CMSG_DATA(cm), fds, sizeof(fds));
  ASSERT_EQ(sendmsg(pair.first.get(), &msg, 0), 1);
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

TEST(UnixSocket, TagTooLongIsRejectedBeforeSending) {
  auto pair = socket_pair().value();
  std::string tag(300, 'a');
  EXPECT_EQ(send_fd(pair.first.get(), 0, bytes(tag)).code(), Errc::kInvalidArgument);
}

}  // namespace
}  // namespace uplane
