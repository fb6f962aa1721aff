#include "base/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

namespace uplane {
namespace {

Status fails_when(bool bad) {
  if (bad) return make_error(Errc::kOutOfRange, "value {} is past {}", 7, 5);
  return Status::ok();
}

Status chain(bool bad) {
  UPLANE_RETURN_IF_ERROR(fails_when(bad));
  return make_error(Errc::kInternal, "reached the end");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = fails_when(true);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), Errc::kOutOfRange);
  EXPECT_EQ(s.to_string(), "out of range: value 7 is past 5");
  EXPECT_TRUE(fails_when(false).is_ok());
  EXPECT_EQ(Status::ok().to_string(), "ok");
}

TEST(Status, ReturnIfErrorStopsAtTheFirstError) {
  EXPECT_EQ(chain(true).code(), Errc::kOutOfRange);
  EXPECT_EQ(chain(false).code(), Errc::kInternal);
}

TEST(Status, ErrnoErrorNamesTheCallAndTheReason) {
  Status s = errno_error(ENOENT, "open(/nope)");
  EXPECT_EQ(s.code(), Errc::kSystem);
  EXPECT_EQ(s.message(), "open(/nope): No such file or directory");
}

TEST(Result, HoldsAValueOrAnError) {
  Result<std::unique_ptr<int>> ok(std::make_unique<int>(3));
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(**ok, 3);
  std::unique_ptr<int> moved = std::move(ok).value();
  EXPECT_EQ(*moved, 3);

  Result<int> bad(make_error(Errc::kNotFound, "no such pool"));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Errc::kNotFound);
  EXPECT_EQ(bad.status().message(), "no such pool");
}

TEST(ResultDeathTest, ValueOfAnErrorAbortsNamingTheError) {
  Result<int> bad(make_error(Errc::kNotFound, "no such pool"));
  EXPECT_DEATH((void)bad.value(), "called on an error: not found: no such pool");
}

}  // namespace
}  // namespace uplane
