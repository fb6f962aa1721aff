#include "base/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace uplane {
namespace {
constexpr std::size_t kMaxTag = 256;
constexpr std::size_t kMaxFdsAccepted = 8;
}  // namespace

Status send_fds(int sock, std::span<const int> fds, std::span<const std::byte> tag) {
  if (tag.size() > kMaxTag)
    return make_error(Errc::kInvalidArgument, "fd tag of {} bytes exceeds {}", tag.size(), kMaxTag);
  if (fds.empty() || fds.size() > kMaxFdsAccepted)
    return make_error(Errc::kInvalidArgument, "{} descriptors in one message, 1 to {} allowed",
                      fds.size(), kMaxFdsAccepted);
  std::byte empty{0};
  iovec iov{};
  // A message must carry at least one byte for the ancillary data to travel with it.
  iov.iov_base = tag.empty() ? &empty : const_cast<std::byte*>(tag.data());
  iov.iov_len = tag.empty() ? 1 : tag.size();

  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsAccepted)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());

  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error(errno, "sendmsg(SCM_RIGHTS)");
  return Status::ok();
}

Result<ReceivedFd> recv_fd(int sock) {
  char buf[kMaxTag];
  iovec iov{buf, sizeof(buf)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsAccepted)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);

  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error(errno, "recvmsg(SCM_RIGHTS)");

  // Take every descriptor that arrived into a UniqueFd first, so that each error below
  // closes them all: a peer cannot make us leak descriptors.
  std::vector<UniqueFd> fds;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < nfds; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
      fds.emplace_back(fd);
    }
  }
  if (n == 0 && fds.empty())
    return make_error(Errc::kIo, "peer closed the socket before sending a descriptor");
  if ((msg.msg_flags & MSG_CTRUNC) != 0)
    return make_error(Errc::kIo, "descriptor message truncated");
  if ((msg.msg_flags & MSG_TRUNC) != 0)
    return make_error(Errc::kIo, "descriptor tag longer than {} bytes", kMaxTag);
  if (fds.empty()) return make_error(Errc::kIo, "message carried no descriptor");
  if (fds.size() > 1)
    return make_error(Errc::kIo, "message carried {} descriptors, expected 1", fds.size());
  ReceivedFd out;
  out.fd = std::move(fds[0]);
  out.tag.assign(buf, static_cast<std::size_t>(n));
  return out;
}

Result<std::pair<UniqueFd, UniqueFd>> socket_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return errno_error(errno, "socketpair");
  return std::pair<UniqueFd, UniqueFd>(UniqueFd(sv[0]), UniqueFd(sv[1]));
}

}  // namespace uplane
