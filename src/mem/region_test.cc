#include "mem/region.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "base/unix_socket.h"

namespace uplane::mem {
namespace {

TEST(Region, OrdinaryPagesWhenHugepagesAreNotAllowed) {
  auto r = Region::create("test-small", 10000, {.allow_hugepages = false});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()->backing(), Backing::kPages);
  EXPECT_GE(r.value()->size(), 10000u);
  EXPECT_EQ(r.value()->size() % r.value()->page_size(), 0u);
  std::memset(r.value()->base(), 0xab, r.value()->size());  // all of it is writable
}

TEST(Region, UsesHugepagesExactlyWhenTheHostHasThem) {
  const std::size_t free_before = free_hugepages();
  auto r = Region::create("test-huge", 3u << 20);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  if (r.value()->backing() == Backing::kHugepages) {
    EXPECT_EQ(r.value()->backing(), Backing::kHugepages);
    EXPECT_EQ(r.value()->size(), 4u << 20);
    // A process that maps it from the fd sees the same backing and size.
    auto again = Region::attach(UniqueFd(dup(r.value()->fd())), "test-huge-2");
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();
    EXPECT_EQ(again.value()->backing(), Backing::kHugepages);
    EXPECT_EQ(again.value()->size(), 4u << 20);
  } else {
    // Never fatal without hugepages. (Pages the host had free may have been taken by
    // another process between the two reads, so ordinary pages are no failure here.)
    EXPECT_EQ(r.value()->backing(), Backing::kPages);
    EXPECT_EQ(r.value()->size(), 3u << 20);  // rounded to base pages only
    if (free_before >= 2) std::fprintf(stderr, "note: hugepages were free but not used\n");
  }
}

TEST(Region, AttachRefusesAnUnsealedFdAndOversizedRegions) {
  UniqueFd plain(memfd_create("unsealed", MFD_CLOEXEC));
  ASSERT_EQ(ftruncate(plain.get(), 4096), 0);
  auto r = Region::attach(std::move(plain), "unsealed");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("sealed"), std::string::npos) << r.status().message();

  auto region = Region::create("sealed", 1 << 20, {.allow_hugepages = false}).value();
  EXPECT_NE(ftruncate(region->fd(), 0), 0);  // the seal holds against the owner too
  auto big = Region::attach(UniqueFd(dup(region->fd())), "sealed", 4096);
  ASSERT_FALSE(big.is_ok());
  EXPECT_EQ(big.status().code(), Errc::kOutOfRange);
}

TEST(Region, ZeroSizeIsAnError) {
  auto r = Region::create("zero", 0);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("zero"), std::string::npos);
}

TEST(Region, AnotherProcessMapsTheSameMemoryFromTheFd) {
  auto region = Region::create("shared", 1 << 20, {.allow_hugepages = false}).value();
  auto sockets = socket_pair().value();
  std::strcpy(reinterpret_cast<char*>(region->base()), "from parent");

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: receive the fd, map it (at an address of its own), answer in place.
    auto got = Region::receive(sockets.second.get());
    if (!got.is_ok() || got.value()->size() != region->size() || got.value()->name() != "shared")
      _exit(2);
    char* p = reinterpret_cast<char*>(got.value()->base());
    if (std::strcmp(p, "from parent") != 0) _exit(3);
    std::strcpy(p + 4096, "from child");
    _exit(0);
  }
  ASSERT_TRUE(region->send_to(sockets.first.get()).is_ok());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_STREQ(reinterpret_cast<char*>(region->base()) + 4096, "from child");
}

}  // namespace
}  // namespace uplane::mem
