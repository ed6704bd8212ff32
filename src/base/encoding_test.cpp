#include "base/encoding.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(base64Encode(bytes(plain)), coded);
    EXPECT_EQ(base64Decode(coded), bytes(plain));
  }
}

TEST(Base64, RejectsGarbage) {
  EXPECT_FALSE(base64Decode("Zm9v!").has_value());
  EXPECT_FALSE(base64Decode("Z").has_value());
}

TEST(Hex, LowerCase) { EXPECT_EQ(hexEncode(bytes("\x01\xab")), "01ab"); }

}  // namespace
}  // namespace vigil
