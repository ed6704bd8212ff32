#include "http/headers.h"

#include <gtest/gtest.h>

#include "http/static_files.h"

namespace vigil::http {
namespace {

using Kind = RangeDecision::Kind;

// Issue 13 review: a lax split let "[::1]evil.example" and
// "127.0.0.1:80@evil.example" pass as loopback.
TEST(HostHeaderTest, IsANameOrAddressThenAPortOfDigits) {
  EXPECT_EQ(parseHostHeader("Vigil.Example:8080")->name, "vigil.example");
  EXPECT_FALSE(parseHostHeader("vigil.example")->ipAddress);
  EXPECT_EQ(parseHostHeader("localhost.")->name, "localhost");
  EXPECT_TRUE(parseHostHeader("10.1.2.3:1")->ipAddress);
  EXPECT_EQ(parseHostHeader("[::1]:8080")->name, "::1");
  EXPECT_TRUE(parseHostHeader("[2001:DB8::1]")->ipAddress);
  for (const char* bad : {"", "[::1", "[::1]evil.example", "[::1]:80x", "[::1]]", "[]", "[evil.example]",
                          "127.0.0.1:80@evil.example", "127.0.0.1:evil.example", "localhost:", "a:123456",
                          "evil.example/x", "a b", ":80", "::1", "a:1:2"}) {
    EXPECT_FALSE(parseHostHeader(bad)) << bad;
  }
}

TEST(RangeTest, SingleRanges) {
  auto partial = [](std::string_view h, uint64_t size) {
    RangeDecision d = evaluateRange(h, size);
    EXPECT_EQ(d.kind, Kind::kPartial) << h;
    return d.range;
  };
  EXPECT_EQ(partial("bytes=0-0", 10), (ByteRange{0, 0}));
  EXPECT_EQ(partial("bytes=9-9", 10), (ByteRange{9, 9}));
  EXPECT_EQ(partial("bytes=9-", 10), (ByteRange{9, 9}));
  EXPECT_EQ(partial("bytes=0-", 10), (ByteRange{0, 9}));
  EXPECT_EQ(partial("bytes=-1", 10), (ByteRange{9, 9}));
  EXPECT_EQ(partial("bytes=-10", 10), (ByteRange{0, 9}));
  EXPECT_EQ(partial("bytes=-11", 10), (ByteRange{0, 9}));
  EXPECT_EQ(partial("bytes=3-100", 10), (ByteRange{3, 9}));
  EXPECT_EQ(partial("bytes=3-99999999999999999999999", 10), (ByteRange{3, 9}));  // saturates
  EXPECT_EQ(partial("bytes= 2-4 ", 10), (ByteRange{2, 4}));
  EXPECT_EQ(partial("bytes=2-4, ", 10), (ByteRange{2, 4}));  // an empty list element
}

TEST(RangeTest, UnsatisfiableMalformedAndMultiple) {
  EXPECT_EQ(evaluateRange("bytes=10-", 10).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=10-20", 10).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=-0", 10).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=0-", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=-5", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=99999999999999999999999-", 10).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=20-30, 40-50", 10).kind, Kind::kUnsatisfiable);
  for (const char* ignored : {"", "bytes", "bytes=", "bytes=,", "bytes=-", "bytes=5-2", "bytes=a-b", "bytes=1-2-3",
                              "bytes=0x1-2", "bytes=+1-2", "bytes=1 -2", "BYTES=0-1", "items=0-1", "bytes=0-1,x"}) {
    EXPECT_EQ(evaluateRange(ignored, 10).kind, Kind::kWhole) << ignored;
  }
  EXPECT_EQ(evaluateRange("bytes=0-1,5-6", 10).kind, Kind::kWhole);   // several satisfiable: all of it
  EXPECT_EQ(evaluateRange("bytes=0-1,50-60", 10).kind, Kind::kWhole);
}

TEST(HttpDateTest, ParsesAndFormatsImfFixdate) {
  auto t = parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->unixMicros(), 784111777'000'000);
  EXPECT_EQ(formatHttpDate(*t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(formatHttpDate(WallTime::fromUnixMicros(1'700'000'000'999'999)), "Tue, 14 Nov 2023 22:13:20 GMT");
  for (const char* bad : {"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                          "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Xyz, 06 Nov 1994 08:49:37 GMT", "Mon, 06 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:4a:37 GMT", "Sun, 06 Nov 1994 08:49:60 GMT"}) {
    EXPECT_FALSE(parseHttpDate(bad)) << bad;
  }
}

TEST(EtagTest, IfNoneMatchIsWeakIfRangeIsStrong) {
  EXPECT_TRUE(etagListMatches("\"a\"", "\"a\""));
  EXPECT_TRUE(etagListMatches("\"x\", W/\"a\"", "\"a\""));
  EXPECT_TRUE(etagListMatches(" * ", "\"a\""));
  EXPECT_FALSE(etagListMatches("\"b\"", "\"a\""));
  EXPECT_FALSE(etagListMatches("a", "\"a\""));
  EXPECT_FALSE(etagListMatches("\"a\"", ""));
  const auto modified = WallTime::fromUnixMicros(784111777'500'000);
  EXPECT_TRUE(ifRangeHolds("\"a\"", "\"a\"", std::nullopt));
  EXPECT_FALSE(ifRangeHolds("W/\"a\"", "\"a\"", std::nullopt));
  EXPECT_FALSE(ifRangeHolds("\"b\"", "\"a\"", modified));
  EXPECT_TRUE(ifRangeHolds("Sun, 06 Nov 1994 08:49:37 GMT", "\"a\"", modified));
  EXPECT_FALSE(ifRangeHolds("Sun, 06 Nov 1994 08:49:38 GMT", "\"a\"", modified));
  EXPECT_FALSE(ifRangeHolds("Sun, 06 Nov 1994 08:49:37 GMT", "\"a\"", std::nullopt));
}

TEST(StaticPathTest, PlainPathsOnly) {
  EXPECT_EQ(staticRelativePath("/"), "");
  EXPECT_EQ(staticRelativePath("/index.html"), "index.html");
  EXPECT_EQ(staticRelativePath("/assets/app-1a2b.js"), "assets/app-1a2b.js");
  EXPECT_EQ(staticRelativePath("/cameras/gate/"), "cameras/gate");
  EXPECT_EQ(staticRelativePath("/a%20b.png"), "a b.png");
  EXPECT_EQ(staticRelativePath("/..foo"), std::nullopt);  // dotfiles are not served either
  for (const char* bad : {"", "index.html", "//x", "/a//b", "/.", "/..", "/../x", "/a/../b", "/a/./b", "/%2e%2e/x",
                          "/%2E%2e", "/a%2fb", "/a%2Fb", "/a%5cb", "/a\\b", "/a%00b", "/a%0ab", "/a%", "/a%2",
                          "/a%zz", "/.git/config", "/a/.env"}) {
    EXPECT_EQ(staticRelativePath(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(staticRelativePath(std::string_view("/a\0b", 4)), std::nullopt);
}

TEST(StaticPathTest, ContentTypes) {
  EXPECT_EQ(staticContentType("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(staticContentType("assets/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(staticContentType("assets/a.b.css"), "text/css; charset=utf-8");
  EXPECT_EQ(staticContentType("icon.svg"), "image/svg+xml");
  EXPECT_EQ(staticContentType("x.html/y"), "application/octet-stream");
  EXPECT_EQ(staticContentType("README"), "application/octet-stream");
}

}  // namespace
}  // namespace vigil::http
