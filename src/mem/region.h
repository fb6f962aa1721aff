#pragma once
// Region: one contiguous shared mapping that packet pools and rings are laid out in.
//
// A Region is backed by a memfd, sealed at its size: on 2 MiB hugepages (MFD_HUGETLB) when the host
// has enough free, on ordinary pages otherwise. Which one is logged, and the lack of hugepages is
// never fatal. Another process maps the same memory from the Region's fd, sent over a Unix socket
// (send_to / receive); it may land at another address, which is why nothing placed in a
// Region holds a pointer.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace uplane::mem {

enum class Backing : std::uint8_t {
  kHugepages,  // memfd with MFD_HUGETLB, 2 MiB pages
  kPages,      // memfd with the system's base pages
};
std::string_view backing_name(Backing b) noexcept;

struct RegionOptions {
  bool allow_hugepages = true;  // false: always ordinary pages (tests that must not use them)
  bool prefault = true;         // touch every page now, so the data path takes no page fault
};

class Region {
 public:
  // Creates a Region of at least `size` bytes (rounded up to its page size).
  static Result<std::shared_ptr<Region>> create(std::string name, std::size_t size,
                                                RegionOptions opts = {});

  static constexpr std::size_t kMaxAttachSize = std::size_t{64} << 30;

  // Maps the memory behind `fd` (a Region's fd from another process). The size and backing
  // come from the fd itself; it must be a memfd sealed against shrinking (as create() makes
  // them), so the peer cannot pull the memory out from under this mapping, and no larger
  // than `max_size`.
  static Result<std::shared_ptr<Region>> attach(UniqueFd fd, std::string name,
                                                std::size_t max_size = kMaxAttachSize);

  // Sends this Region's fd and name over a connected Unix socket; the peer calls receive().
  Status send_to(int sock) const;
  static Result<std::shared_ptr<Region>> receive(int sock, std::size_t max_size = kMaxAttachSize);

  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  ~Region();

  std::byte* base() const noexcept { return base_; }
  std::size_t size() const noexcept { return size_; }
  Backing backing() const noexcept { return backing_; }
  std::size_t page_size() const noexcept { return page_size_; }
  const std::string& name() const noexcept { return name_; }
  int fd() const noexcept { return fd_.get(); }

  // True when [offset, offset + len) lies inside the Region.
  bool contains(std::size_t offset, std::size_t len) const noexcept {
    return offset <= size_ && len <= size_ - offset;
  }

 private:
  Region(std::string name, UniqueFd fd, std::byte* base, std::size_t size, Backing b,
         std::size_t page);

  std::string name_;
  UniqueFd fd_;
  std::byte* base_;
  std::size_t size_;
  Backing backing_;
  std::size_t page_size_;
};

// Free 2 MiB hugepages on this host right now (from /proc/meminfo); 0 when none.
std::size_t free_hugepages() noexcept;

}  // namespace uplane::mem
