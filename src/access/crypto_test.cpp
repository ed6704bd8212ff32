#include "access/crypto.h"

#include <gtest/gtest.h>

namespace vigil::access {
namespace {

TEST(Password, HashIsArgon2idAndVerifies) {
  auto hash = hashPassword("correct horse battery");
  ASSERT_TRUE(hash) << hash.status().toString();
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(verifyPassword("correct horse battery", *hash));
  EXPECT_FALSE(verifyPassword("correct horse batterx", *hash));
  EXPECT_FALSE(verifyPassword("", *hash));
}

TEST(Password, SamePasswordHashesDifferently) {
  auto a = hashPassword("twelve chars!");
  auto b = hashPassword("twelve chars!");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // a fresh salt each time
}

TEST(Password, MalformedHashNeverVerifies) {
  EXPECT_FALSE(verifyPassword("anything at all", ""));
  EXPECT_FALSE(verifyPassword("anything at all", "$argon2id$garbage"));
  EXPECT_FALSE(verifyPassword("anything at all", std::string(500, 'x')));
}

TEST(Password, PolicyNamesTheFieldAndNeverTheValue) {
  Status s = checkPasswordPolicy("short-pw-11");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "password: must have at least 12 characters");
  EXPECT_TRUE(checkPasswordPolicy("exactly12chr").isOk());
  EXPECT_EQ(checkPasswordPolicy(std::string(kMaxPasswordLength + 1, 'a')).code(), StatusCode::kInvalidArgument);
}

TEST(Password, GeneratedPasswordsAreLongAndDistinct) {
  const std::string a = generatePassword(), b = generatePassword();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(checkPasswordPolicy(a).isOk());
}

TEST(SessionToken, Is256BitsOfHex) {
  const std::string t = generateSessionToken();
  EXPECT_TRUE(looksLikeSessionToken(t));
  EXPECT_NE(t, generateSessionToken());
  EXPECT_FALSE(looksLikeSessionToken(t.substr(1)));
  EXPECT_FALSE(looksLikeSessionToken(std::string(64, 'G')));
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace vigil::access
