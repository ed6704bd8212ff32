#include "base/status.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) return Status::invalidArgument("odd");
  return v / 2;
}

Status chain(int v) {
  VIGIL_RETURN_IF_ERROR(half(v).status());
  return Status::ok();
}

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.isOk());
  EXPECT_EQ(s.toString(), "ok");
}

TEST(Status, CarriesKindAndMessage) {
  Status s = Status::notFound("camera \"gate\"");
  EXPECT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.toString(), "not_found: camera \"gate\"");
}

TEST(Result, HoldsValueOrError) {
  auto good = half(8);
  ASSERT_TRUE(good.isOk());
  EXPECT_EQ(*good, 4);
  EXPECT_TRUE(good.status().isOk());
  auto bad = half(3);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(Result, ReturnIfErrorPropagates) {
  EXPECT_TRUE(chain(2).isOk());
  EXPECT_EQ(chain(5).message(), "odd");
}

}  // namespace
}  // namespace vigil
