#include "base/url_credentials.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(FindUrlUserinfo, EndsAtTheLastAt) {
  const std::string_view url = "rtsp://u2:P4ss/Sl@sh:x@192.0.2.1:554/x";
  auto info = findUrlUserinfo(url);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->user, "u2");
  EXPECT_EQ(info->password, "P4ss/Sl@sh:x");
  EXPECT_EQ(url.substr(info->end), "@192.0.2.1:554/x");
  EXPECT_EQ(findUrlUserinfo("rtsp://token@h/")->password, std::nullopt);
  EXPECT_EQ(findUrlUserinfo("rtsp://u:@h/")->password, "");
  EXPECT_FALSE(findUrlUserinfo("rtsp://192.0.2.1/x"));
  EXPECT_FALSE(findUrlUserinfo("a@b rtsp"));
}

TEST(RedactUrlCredentials, HidesPasswordsWhateverTheyHold) {
  EXPECT_EQ(redactUrlCredentials("postgresql://vigil:s3cret@db:5432/vigil?sslmode=require"),
            "postgresql://vigil:***@db:5432/vigil?sslmode=require");
  // The password: '/' and '@' (both once cut the redaction short).
  EXPECT_EQ(redactUrlCredentials("rtsp://u2:P4ss/Sl@sh@192.0.2.1:8554/x"), "rtsp://u2:***@192.0.2.1:8554/x");
  EXPECT_EQ(redactUrlCredentials("rtsp://admin:p@ss@192.0.2.1/x"), "rtsp://admin:***@192.0.2.1/x");
  EXPECT_EQ(redactUrlCredentials("rtsp://a:b:c%40d%2F@[::1]:554/x"), "rtsp://a:***@[::1]:554/x");
  EXPECT_EQ(redactUrlCredentials("rtsp://u:@h/"), "rtsp://u:***@h/");
  // A lone name may be a token.
  EXPECT_EQ(redactUrlCredentials("rtsp://tok3n@h/x"), "rtsp://***@h/x");
  // Credentials in the path or query (some cameras, libpq).
  EXPECT_EQ(redactUrlCredentials("rtsp://h:554/user=admin&password=x/y&channel=1"),
            "rtsp://h:554/user=admin&password=***&channel=1");
  EXPECT_EQ(redactUrlCredentials("postgresql:///db?host=/tmp&Password=s3cret;c"),
            "postgresql:///db?host=/tmp&Password=***;c");
  // Both rules at once: the union is hidden.
  EXPECT_EQ(redactUrlCredentials("rtsp://u:a/password=b@h/"), "rtsp://u:***");
  EXPECT_EQ(redactUrlCredentials("postgresql:///db?password=a@b&c"), "postgresql://***&c");
}

// Issue 13 review: a password with spaces ended the URL in text early.
TEST(RedactWholeUrl, ASpaceInThePasswordDoesNotEndTheUrl) {
  EXPECT_EQ(redactWholeUrl("rtsp://cam:pa ss word@127.0.0.1:18599/cam/0"), "rtsp://cam:***@127.0.0.1:18599/cam/0");
  EXPECT_EQ(redactWholeUrl("rtsp://h/x?password=a b&c"), "rtsp://h/x?password=***&c");
  EXPECT_EQ(redactWholeUrl("rtsp://192.0.2.1/x"), "rtsp://192.0.2.1/x");
}

TEST(RedactUrlCredentials, FindsEveryUrlInText) {
  EXPECT_EQ(redactUrlCredentials("from rtsp://u:p@h/x to \"rtsp://a@b/c\" (x@y)"),
            "from rtsp://u:***@h/x to \"rtsp://***@b/c\" (x@y)");
  for (const char* unchanged : {"rtsp://192.0.2.1/x", "postgresql:///db?host=/tmp", "no url", "a@b", "",
                                "rtsp://h/x?a=b%40c"}) {
    EXPECT_EQ(redactUrlCredentials(unchanged), unchanged);
  }
}

}  // namespace
}  // namespace vigil
