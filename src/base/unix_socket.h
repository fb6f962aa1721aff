#pragma once
// Passing file descriptors between processes over a Unix socket (SCM_RIGHTS), with a
// small tag of bytes alongside: how a Region reaches another process.

#include <cstddef>
#include <span>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace uplane {

// Sends `fds` (1 to 8 descriptors) and `tag` (at most 256 bytes) as one message on a
// connected Unix socket. The descriptors stay open here; the peer gets its own copies.
Status send_fds(int sock, std::span<const int> fds, std::span<const std::byte> tag);
inline Status send_fd(int sock, int fd, std::span<const std::byte> tag) {
  return send_fds(sock, std::span<const int>(&fd, 1), tag);
}

struct ReceivedFd {
  UniqueFd fd;
  std::string tag;
};

// Receives one message sent by send_fd. Fails cleanly when the peer closed, when the
// message carried no descriptor, or when it carried more than one (the extras are closed).
Result<ReceivedFd> recv_fd(int sock);

// A connected pair of SOCK_SEQPACKET Unix sockets (socketpair), close-on-exec.
Result<std::pair<UniqueFd, UniqueFd>> socket_pair();

}  // namespace uplane
