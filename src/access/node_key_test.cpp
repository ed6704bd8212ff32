#include "access/node_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace vigil::access {
namespace {

namespace fs = std::filesystem;

class NodeKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("vigil-node-key-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path keyPath() const { return dir_ / "node.key"; }
  static std::span<const uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }

  fs::path dir_;
};

TEST_F(NodeKeyTest, CreatedOnFirstUseWithMode0600AndKept) {
  auto first = NodeKey::loadOrCreate(keyPath());
  ASSERT_TRUE(first) << first.status().toString();
  struct stat st {};
  ASSERT_EQ(::stat(keyPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = NodeKey::loadOrCreate(keyPath());
  ASSERT_TRUE(again) << again.status().toString();
  EXPECT_EQ(again->publicKey(), first->publicKey());
  EXPECT_EQ(first->publicKeyHex().size(), 64u);
  // Only the key file is left: no temporary file beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(NodeKeyTest, SignaturesVerifyOnlyForTheirMessageAndKey) {
  auto key = NodeKey::loadOrCreate(keyPath());
  ASSERT_TRUE(key);
  const std::string message = "audit checkpoint 42";
  const NodeKey::Signature sig = key->sign(bytes(message));
  EXPECT_TRUE(NodeKey::verify(key->publicKey(), bytes(message), sig));
  EXPECT_FALSE(NodeKey::verify(key->publicKey(), bytes("audit checkpoint 43"), sig));
  NodeKey::Signature bad = sig;
  bad[10] ^= 1;
  EXPECT_FALSE(NodeKey::verify(key->publicKey(), bytes(message), bad));
  auto other = NodeKey::loadOrCreate(dir_ / "other.key");
  ASSERT_TRUE(other);
  EXPECT_NE(other->publicKey(), key->publicKey());
  EXPECT_FALSE(NodeKey::verify(other->publicKey(), bytes(message), sig));
}

TEST_F(NodeKeyTest, LoadWithoutCreateIsNotFound) {
  auto key = NodeKey::load(keyPath());
  ASSERT_FALSE(key);
  EXPECT_EQ(key.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(keyPath()));
}

TEST_F(NodeKeyTest, KeyReadableByOthersIsRefusedNotRepaired) {
  ASSERT_TRUE(NodeKey::loadOrCreate(keyPath()));
  fs::permissions(keyPath(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  auto key = NodeKey::loadOrCreate(keyPath());
  ASSERT_FALSE(key);
  EXPECT_EQ(key.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(key.status().message().find("mode 640"), std::string::npos) << key.status().message();
  struct stat st {};
  ASSERT_EQ(::stat(keyPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);  // left as found, for the owner to look into
}

TEST_F(NodeKeyTest, GarbageFileIsRefusedAndNotOverwritten) {
  {
    std::ofstream out(keyPath());
    out << "not a key\n";
  }
  fs::permissions(keyPath(), fs::perms::owner_read | fs::perms::owner_write);
  auto key = NodeKey::loadOrCreate(keyPath());
  ASSERT_FALSE(key);
  EXPECT_EQ(key.status().code(), StatusCode::kDataLoss);
  std::ifstream in(keyPath());
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "not a key");
}

TEST_F(NodeKeyTest, MissingDirectoryIsAnError) {
  auto key = NodeKey::loadOrCreate(dir_ / "absent" / "node.key");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace vigil::access
