#include "link/invite_code.h"

#include <gtest/gtest.h>

#include <regex>

namespace vigil::link {
namespace {

TEST(InviteCode, FourGroupsOfFiveSymbolsEndingInTheKeysFingerprint) {
  std::vector<uint8_t> key(32, 5);
  const InviteCode code = newInviteCode(key);
  const std::string text = code.toString();
  EXPECT_TRUE(std::regex_match(text, std::regex("[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}"))) << text;
  EXPECT_EQ(code.fingerprint, keyFingerprint(key));
  EXPECT_NE(newInviteCode(key).secret, code.secret);  // 40 random bits: equal once in 2^40
  std::vector<uint8_t> other(32, 6);
  EXPECT_NE(keyFingerprint(other), keyFingerprint(key));
}

TEST(InviteCode, ParsingForgivesCaseSpacesAndLookAlikes) {
  auto c = parseInviteCode("7k3qd m2xw9-4hbtr-pozc6");
  ASSERT_TRUE(c) << c.status().toString();
  EXPECT_EQ(c->secret, "7K3QDM2X");
  EXPECT_EQ(c->fingerprint, "W94HBTRP0ZC6");  // 'o' read as 0
  EXPECT_EQ(parseInviteCode("IL000-00000-00000-00000")->secret, "11000000");
  EXPECT_EQ(c->toString(), "7K3QD-M2XW9-4HBTR-P0ZC6");
}

TEST(InviteCode, MalformedCodesSayWhatIsWrongWithoutEchoingThem) {
  EXPECT_EQ(parseInviteCode("7K3QD-M2XW9-4HBTR").status().message(),
            "invitation code: 15 symbols, expected 20 (it looks like 7K3QD-M2XW9-4HBTR-P0ZC6)");
  auto bad = parseInviteCode("ABCDE-FGHJK-MNPQR-STVW!");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message().find("STVW"), std::string::npos);
  EXPECT_FALSE(parseInviteCode("7K3QD-M2XW9-4HBTR-P0ZCU"));  // U is not in the alphabet
}

}  // namespace
}  // namespace vigil::link
