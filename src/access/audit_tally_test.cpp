#include "access/audit_tally.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "access/test_db.h"

namespace vigil::access {
namespace {

using std::chrono::seconds;

int64_t failures(const AuditRow& r) { return nlohmann::json::parse(r.detail).at("failed").get<int64_t>(); }

AuditEvent failed(std::string user, std::string client) {
  return {std::move(user), audit_kind::kLoginFailed, "", std::move(client), "{}"};
}

class AuditTallyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(db_.status().isOk()) << db_.status().toString(); }
  std::vector<AuditRow> rows() {
    auto r = db_.store().auditRows(0, 100000);
    EXPECT_TRUE(r) << r.status().toString();
    return r ? *r : std::vector<AuditRow>{};
  }

  TempAccessDb db_{Backend::kSqlite};
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  AuditLog audit_{db_.store(), clock_};
};

// Issue 13, item 8: a flood of failures is one row per key and window.
TEST_F(AuditTallyTest, TheFirstEventIsWrittenAtOnceTheRestOncePerWindow) {
  AuditTally tally(audit_, clock_, {.background = false});
  ASSERT_TRUE(tally.count(failed("admin", "10.0.0.1"), "failed").isOk());
  ASSERT_EQ(rows().size(), 1u);
  EXPECT_EQ(rows()[0].detail, R"({"failed":1,"first":"2023-11-14T22:13:20Z","last":"2023-11-14T22:13:20Z"})");
  for (int i = 0; i < 500; ++i) {
    clock_.advance(std::chrono::milliseconds(100));
    ASSERT_TRUE(tally.count(failed("admin", "10.0.0.1"), "failed").isOk());
    ASSERT_TRUE(tally.flush().isOk());
  }
  ASSERT_TRUE(tally.count(failed("admin", "10.0.0.1"), "throttled").isOk());
  // 50 s: still the one row. At 60 s the 501 others are written as one.
  EXPECT_EQ(rows().size(), 1u);
  clock_.advance(seconds(10));
  ASSERT_TRUE(tally.flush().isOk());
  auto all = rows();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ((all[1].action + ":" + all[1].user + ":" + all[1].client), "login_failed:admin:10.0.0.1");
  EXPECT_EQ(all[1].detail,
            R"({"failed":500,"first":"2023-11-14T22:13:20.100Z","last":"2023-11-14T22:14:10Z",)"
            R"("throttled":1})");
  EXPECT_TRUE(audit_.verify());
}

TEST_F(AuditTallyTest, KeysAreCountedApartAndTheirDetailKept) {
  AuditTally tally(audit_, clock_, {.background = false});
  ASSERT_TRUE(tally.count(failed("admin", "10.0.0.1"), "failed").isOk());
  ASSERT_TRUE(tally.count(failed("admin", "10.0.0.2"), "failed").isOk());
  const AuditEvent onPasswordPage{"admin", audit_kind::kLoginFailed, "", "10.0.0.1", R"({"during":"password_change"})"};
  ASSERT_TRUE(tally.count(onPasswordPage, "failed").isOk());
  auto all = rows();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(all[2].detail).at("during"), "password_change");
}

TEST_F(AuditTallyTest, PastMaxKeysTheRestAreCountedAsOthers) {
  {
    AuditTally tally(audit_, clock_, {.maxKeys = 10, .background = false});
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(tally.count(failed("u" + std::to_string(i), "10.0.0." + std::to_string(i)), "failed").isOk());
    }
    EXPECT_EQ(rows().size(), 11u);  // ten keys and the first of the others
  }  // the destructor writes what is left
  auto all = rows();
  ASSERT_EQ(all.size(), 12u);
  int64_t total = 0;
  for (const AuditRow& r : all) total += failures(r);
  EXPECT_EQ(total, 1000);
  EXPECT_EQ(all.back().user + ":" + all.back().client, "*:*");
  EXPECT_EQ(failures(all.back()), 989);
}

// Issue 13 review: one client varying the name wrote a row per name.
TEST_F(AuditTallyTest, PastTenNamesAClientsOthersAreCountedAsOne) {
  {
    AuditTally tally(audit_, clock_, {.background = false});
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(tally.count(failed("u" + std::to_string(i), "10.0.0.1"), "failed").isOk());
    }
    ASSERT_TRUE(tally.count(failed("u0", "10.0.0.2"), "failed").isOk());  // another client is apart
    EXPECT_EQ(rows().size(), 12u);
  }
  auto all = rows();
  ASSERT_EQ(all.size(), 13u);
  int64_t total = 0;
  for (const AuditRow& r : all) total += failures(r);
  EXPECT_EQ(total, 1001);
  EXPECT_EQ(all.back().user + ":" + all.back().client, "*:10.0.0.1");
  EXPECT_EQ(failures(all.back()), 989);  // its first was written at once
}

TEST_F(AuditTallyTest, AFailedWriteKeepsTheCount) {
  AuditTally tally(audit_, clock_, {.background = false});
  ASSERT_TRUE(tally.count(failed("admin", "10.0.0.1"), "failed").isOk());
  clock_.advance(seconds(1));
  ASSERT_TRUE(tally.count(failed("admin", "10.0.0.1"), "failed").isOk());
  db_.exec("DROP TABLE audit");
  clock_.advance(seconds(60));
  EXPECT_FALSE(tally.count(failed("admin", "10.0.0.1"), "failed").isOk());
  EXPECT_FALSE(tally.flush(true).isOk());
}

TEST(AuditTallyThreadTest, TheThreadWritesCountsWhenTheWindowEnds) {
  TempAccessDb db(Backend::kSqlite);
  ASSERT_TRUE(db.status().isOk());
  AuditLog audit(db.store(), SystemClock::instance());
  AuditTally tally(audit, SystemClock::instance(), {.window = seconds(1)});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tally.count(failed("admin", "10.0.0.1"), "failed").isOk());
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  std::vector<AuditRow> rows;
  while (std::chrono::steady_clock::now() < deadline) {
    rows = *db.store().auditRows(0, 100);
    if (rows.size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(failures(rows[1]), 2);
}

}  // namespace
}  // namespace vigil::access
