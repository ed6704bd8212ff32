#include "public_register/store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace vigil::public_register {
namespace {

class RegisterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("register_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "register.db").string(); }
  std::filesystem::path dir_;
};

TEST_F(RegisterStoreTest, ClosedAndEmptyUntilAnAdminSaysOtherwiseAndKeptAcrossARestart) {
  {
    auto store = RegisterStore::open(path());
    ASSERT_TRUE(store.isOk()) << store.status().message();
    EXPECT_EQ((*store)->settings(), Settings{});
    EXPECT_FALSE((*store)->listing("hall").has_value());
    ASSERT_TRUE((*store)->setSettings({true, "Willow village committee"}).isOk());
    ASSERT_TRUE((*store)->setListing("hall", Listing{"The square in front of the hall", true}).isOk());
    ASSERT_TRUE((*store)->setListing("gate", Listing{"The gate", false}).isOk());
    ASSERT_TRUE((*store)->setListing("gate", std::nullopt).isOk());
  }
  auto store = RegisterStore::open(path());
  ASSERT_TRUE(store.isOk()) << store.status().message();
  EXPECT_EQ((*store)->settings(), (Settings{true, "Willow village committee"}));
  EXPECT_EQ((*store)->listing("hall"), (Listing{"The square in front of the hall", true}));
  EXPECT_FALSE((*store)->listing("gate").has_value());
}

TEST_F(RegisterStoreTest, BadNamesIdsAndDescriptionsAreRefused) {
  auto store = RegisterStore::open(path());
  ASSERT_TRUE(store.isOk());
  EXPECT_EQ((*store)->setSettings({true, "a\nb"}).message(), "run_by: 1 to 128 bytes of UTF-8, no control characters");
  EXPECT_EQ((*store)->setListing("../hall", Listing{"x", false}).message(),
            "camera: must be 1 to 64 of a-z, 0-9, '_' and '-'");
  EXPECT_EQ((*store)->setListing("hall", Listing{"", false}).message(),
            "covers: 1 to 512 bytes of UTF-8, no control characters");
  EXPECT_EQ((*store)->setListing("hall", Listing{std::string(513, 'x'), false}).message(),
            "covers: 1 to 512 bytes of UTF-8, no control characters");
  EXPECT_EQ((*store)->settings(), Settings{});
  EXPECT_FALSE((*store)->listing("hall").has_value());
}

}  // namespace
}  // namespace vigil::public_register
