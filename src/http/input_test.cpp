#include "http/input.h"

#include <gtest/gtest.h>

namespace vigil::http {
namespace {

TEST(LoginBody, ParsesUserAndPassword) {
  auto r = parseLoginRequest(R"({"user":"ann","password":"secret words"})");
  ASSERT_TRUE(r) << r.status().toString();
  EXPECT_EQ(r->user, "ann");
  EXPECT_EQ(r->password, "secret words");
}

TEST(LoginBody, ErrorsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "body: not valid JSON"},
      {"{", "body: not valid JSON"},
      {"[]", "body: must be a JSON object"},
      {R"({"password":"x"})", "user: required"},
      {R"({"user":7,"password":"x"})", "user: must be a string"},
      {R"({"user":"","password":"x"})", "user: must not be empty"},
      {R"({"user":"ann"})", "password: required"},
      {R"({"user":"ann","password":"x","admin":true})", "admin: unknown field"},
      {R"({"user":"ann","password":"x","<script>":1})", "body: unknown field"},
  };
  for (const auto& [body, message] : cases) {
    auto r = parseLoginRequest(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), message) << body;
  }
  EXPECT_EQ(parseLoginRequest(R"({"user":")" + std::string(65, 'a') + R"(","password":"x"})").status().message(),
            "user: longer than 64 bytes");
}

TEST(EventBody, ParsesTheActionAndAnOptionalLabel) {
  auto r = parseEventRequest(R"({"action":"open","label":"gate left open"})");
  ASSERT_TRUE(r) << r.status().toString();
  EXPECT_TRUE(r->open);
  EXPECT_EQ(r->label, "gate left open");
  r = parseEventRequest(R"({"action":"close"})");
  ASSERT_TRUE(r) << r.status().toString();
  EXPECT_FALSE(r->open);
  EXPECT_EQ(r->label, "");
  const std::pair<const char*, const char*> cases[] = {
      {"{}", "action: required"},
      {R"({"action":"toggle"})", "action: must be open or close"},
      {R"({"action":true})", "action: must be a string"},
      {R"({"action":"open","label":5})", "label: must be a string"},
      {R"({"action":"open","label":""})", "label: must not be empty"},
      {R"({"action":"open","camera":"x"})", "camera: unknown field"},
  };
  for (const auto& [body, message] : cases) {
    EXPECT_EQ(parseEventRequest(body).status().message(), message) << body;
  }
  EXPECT_EQ(parseEventRequest(R"({"action":"open","label":")" + std::string(201, 'a') + R"("})").status().message(),
            "label: longer than 200 bytes");
}

TEST(LoginBody, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(parseLoginRequest(deep).status().message(), "body: nested too deeply");
  // Brackets inside strings do not count.
  const std::string inString = R"({"user":"ann","password":")" + std::string(200, '[') + R"("})";
  EXPECT_TRUE(parseLoginRequest(inString));
}

TEST(Query, DecodesAndRejectsRepeats) {
  auto q = parseQuery("start=2026-11-22T10%3A00%3A00Z&user=ann&x=a+b&&flag");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->at("start"), "2026-11-22T10:00:00Z");
  EXPECT_EQ(q->at("x"), "a b");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_EQ(parseQuery("a=1&a=2").status().message(), "a: given more than once");
  EXPECT_EQ(parseQuery("a=%2").status().message(), "a: bad percent-encoding");
  EXPECT_EQ(parseQuery("%zz=1").status().message(), "query: bad percent-encoding");
  EXPECT_EQ(parseQuery("a=%zz").status().message(), "a: bad percent-encoding");
}

TEST(Query, TimeParamNamesItself) {
  auto q = parseQuery("start=yesterday");
  ASSERT_TRUE(q);
  EXPECT_EQ(timeParam(*q, "start").status().message(), "start: must be an RFC 3339 time");
  auto none = timeParam(*q, "end");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST(Query, TimeRangeNeedsBothEndsInOrderWithinTheSpan) {
  const auto span = std::chrono::hours(24);
  auto range = [&](std::string_view query) { return timeRangeParams(*parseQuery(query), span); };
  auto ok = range("start=2026-11-22T10:00:00Z&end=2026-11-22T11:00:00Z");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->end - ok->start, std::chrono::hours(1));
  EXPECT_EQ(range("end=2026-11-22T11:00:00Z").status().message(), "start: required (an RFC 3339 time)");
  EXPECT_EQ(range("start=2026-11-22T10:00:00Z").status().message(), "end: required (an RFC 3339 time)");
  EXPECT_EQ(range("start=2026-11-22T10:00:00Z&end=2026-11-22T10:00:00Z").status().message(),
            "end: must be after start");
  EXPECT_EQ(range("start=2026-11-22T10:00:00Z&end=2026-11-23T10:00:01Z").status().message(),
            "end: at most 24 h after start");
}

TEST(Query, ARecentRangeDefaultsToTheLastStretchBeforeNow) {
  const WallTime now = *WallTime::parseRfc3339("2026-11-22T12:00:00Z");
  auto range = [&](std::string_view query) {
    return recentTimeRange(*parseQuery(query), "from", "to", now, std::chrono::hours(24), std::chrono::hours(48));
  };
  auto whole = range("");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->end, now);
  EXPECT_EQ(whole->end - whole->start, std::chrono::hours(24));
  auto before = range("to=2026-11-22T10:00:00Z");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->start, *WallTime::parseRfc3339("2026-11-21T10:00:00Z"));
  EXPECT_EQ(range("from=2026-11-22T13:00:00Z").status().message(), "to: must be after from");
  EXPECT_EQ(range("from=2026-11-19T12:00:00Z").status().message(), "to: at most 2 days after from");
  EXPECT_EQ(range("to=yesterday").status().message(), "to: must be an RFC 3339 time");
}

}  // namespace
}  // namespace vigil::http
