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

TEST(PercentDecode, DecodesEitherCaseAndKeepsTheRest) {
  EXPECT_EQ(percentDecode(""), "");
  EXPECT_EQ(percentDecode("a%20b%2Fc%2fd"), "a b/c/d");
  EXPECT_EQ(percentDecode("%41%7a%7A"), "Azz");
  EXPECT_EQ(percentDecode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percentDecode("%ff"), "\xff");
  EXPECT_EQ(percentDecode("a+b"), "a+b");
  EXPECT_EQ(percentDecode("a+b%2B", /*plusIsSpace=*/true), "a b+");
}

TEST(PercentDecode, RefusesBrokenEscapes) {
  for (const char* bad : {"%", "a%", "a%2", "%zz", "%2g", "%g2", "%-1", "% 1", "a%2%41"}) {
    EXPECT_EQ(percentDecode(bad), std::nullopt) << bad;
    EXPECT_EQ(percentDecode(bad, /*plusIsSpace=*/true), std::nullopt) << bad;
  }
}

TEST(PercentDecode, LenientKeepsBrokenEscapes) {
  EXPECT_EQ(percentDecodeLenient("ad%40min"), "ad@min");
  EXPECT_EQ(percentDecodeLenient("p+ss"), "p+ss");
  for (const char* kept : {"%", "a%", "a%2", "%zz", "100%"}) {
    EXPECT_EQ(percentDecodeLenient(kept), kept) << kept;
  }
  EXPECT_EQ(percentDecodeLenient("%%41%2"), "%A%2");
}

TEST(Trim, RemovesOnlyTheGivenCharactersAtBothEnds) {
  EXPECT_EQ(trim(" \t a b \t "), "a b");
  EXPECT_EQ(trim("  "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("x\r"), "x\r");
  EXPECT_EQ(trim(" x\r", " \t\r"), "x");
}

TEST(BigEndian, ReadsWhatItWrites) {
  uint8_t bytes[4] = {};
  writeBigEndian32(bytes, 0x01020304);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[3], 4);
  EXPECT_EQ(readBigEndian32(bytes), 0x01020304u);
  EXPECT_EQ(readBigEndian24(bytes + 1), 0x020304u);
  writeBigEndian16(bytes, 0xfffe);
  EXPECT_EQ(readBigEndian16(bytes), 0xfffe);
}

}  // namespace
}  // namespace vigil
