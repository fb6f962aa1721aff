#include "mem/region.h"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/compiler.h"
#include "base/log.h"
#include "base/unix_socket.h"

namespace uplane::mem {
namespace {

constexpr std::size_t kHugePage = 2u << 20;

struct Mapped {
  UniqueFd fd;
  std::byte* base = nullptr;
  std::size_t size = 0;
};

Result<Mapped> map_memfd(const std::string& name, std::size_t size, unsigned flags, bool prefault) {
  UniqueFd fd(memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | flags));
  if (!fd.valid()) return errno_error(errno, "memfd_create");
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return errno_error(errno, "ftruncate");
  // Sealed at its size: a process we hand the fd to cannot shrink it under our mapping
  // (which would turn our next access into SIGBUS).
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
    return errno_error(errno, "fcntl(F_ADD_SEALS)");
  int mflags = MAP_SHARED | (prefault ? MAP_POPULATE : 0);
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, mflags, fd.get(), 0);
  if (p == MAP_FAILED) return errno_error(errno, "mmap");
  // A hugetlb mapping reserves its pages here (no MAP_NORESERVE): a shortage fails mmap
  // with ENOMEM instead of raising SIGBUS on first touch.
  return Mapped{std::move(fd), static_cast<std::byte*>(p), size};
}

}  // namespace

std::string_view backing_name(Backing b) noexcept {
  return b == Backing::kHugepages ? "2 MiB hugepages" : "4 KiB pages (memfd)";
}

std::size_t free_hugepages() noexcept {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  char line[128];
  std::size_t free = 0, page_kb = 0;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    unsigned long v;
    if (std::sscanf(line, "HugePages_Free: %lu", &v) == 1) free = v;
    if (std::sscanf(line, "Hugepagesize: %lu kB", &v) == 1) page_kb = v;
  }
  std::fclose(f);
  return page_kb * 1024 == kHugePage ? free : 0;
}

Region::Region(std::string name, UniqueFd fd, std::byte* base, std::size_t size, Backing b,
               std::size_t page)
    : name_(std::move(name)),
      fd_(std::move(fd)),
      base_(base),
      size_(size),
      backing_(b),
      page_size_(page) {}

Region::~Region() {
  if (base_ != nullptr) munmap(base_, size_);
}

Result<std::shared_ptr<Region>> Region::create(std::string name, std::size_t size,
                                               RegionOptions opts) {
  if (size == 0)
    return make_error(Errc::kInvalidArgument, "region '{}': size must be positive", name);
  const std::size_t huge_size = align_up(size, kHugePage);
  if (opts.allow_hugepages) {
    const std::size_t have = free_hugepages();
    if (have * kHugePage >= huge_size) {
      auto m = map_memfd(name, huge_size, MFD_HUGETLB | MFD_HUGE_2MB, opts.prefault);
      if (m.is_ok()) {
        UPLANE_LOG(kInfo, "region {}: {} bytes on {}", name, huge_size,
                   backing_name(Backing::kHugepages));
        Mapped mm = std::move(m).value();
        return std::shared_ptr<Region>(new Region(std::move(name), std::move(mm.fd), mm.base,
                                                  mm.size, Backing::kHugepages, kHugePage));
      }
      UPLANE_LOG(kWarn, "region {}: hugepages failed ({}); using ordinary pages", name,
                 m.status().message());
    } else {
      UPLANE_LOG(kInfo, "region {}: {} free hugepages, {} needed; using ordinary pages", name, have,
                 huge_size / kHugePage);
    }
  }
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t small_size = align_up(size, page);
  auto m = map_memfd(name, small_size, 0, opts.prefault);
  if (!m.is_ok())
    return make_error(m.status().code(), "region '{}' of {} bytes: {}", name, small_size,
                      m.status().message());
  UPLANE_LOG(kInfo, "region {}: {} bytes on {}", name, small_size, backing_name(Backing::kPages));
  Mapped mm = std::move(m).value();
  return std::shared_ptr<Region>(
      new Region(std::move(name), std::move(mm.fd), mm.base, mm.size, Backing::kPages, page));
}

Result<std::shared_ptr<Region>> Region::attach(UniqueFd fd, std::string name,
                                               std::size_t max_size) {
  const int seals = fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0 || (seals & F_SEAL_SHRINK) == 0)
    return make_error(Errc::kInvalidArgument,
                      "region '{}': fd is not a memfd sealed against shrinking", name);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return errno_error(errno, "fstat(region fd)");
  if (st.st_size <= 0)
    return make_error(Errc::kInvalidArgument, "region '{}': fd maps nothing", name);
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > max_size)
    return make_error(Errc::kOutOfRange, "region '{}': {} bytes exceeds the {} this side accepts",
                      name, size, max_size);
  // hugetlbfs reports its page size as the block size.
  const bool huge = static_cast<std::size_t>(st.st_blksize) == kHugePage;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd.get(), 0);
  if (p == MAP_FAILED) return errno_error(errno, "mmap(region fd)");
  const auto page = huge ? kHugePage : static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return std::shared_ptr<Region>(new Region(std::move(name), std::move(fd),
                                            static_cast<std::byte*>(p), size,
                                            huge ? Backing::kHugepages : Backing::kPages, page));
}

Status Region::send_to(int sock) const {
  return send_fd(sock, fd_.get(), {reinterpret_cast<const std::byte*>(name_.data()), name_.size()});
}

Result<std::shared_ptr<Region>> Region::receive(int sock, std::size_t max_size) {
  auto got = recv_fd(sock);
  if (!got.is_ok()) return got.status();
  return attach(std::move(got->fd), std::move(got->tag), max_size);
}

}  // namespace uplane::mem
