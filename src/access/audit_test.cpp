#include "access/audit.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "access/test_db.h"

namespace vigil::access {
namespace {

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 5; ++i) {
      ASSERT_TRUE(log_.record({"ann", "live_start", "gate", "10.0.0.1", "{\"n\":" + std::to_string(i) + "}"}).isOk());
      clock_.advance(std::chrono::seconds(10));
    }
  }
  // Edits the database behind the log's back, as an intruder with file access would.
  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.path().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  TempAccessDb db_;
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  AuditLog log_{db_.store(), clock_};
};

TEST_F(AuditTest, IntactChainVerifies) {
  auto rows = log_.verify();
  ASSERT_TRUE(rows) << rows.status().toString();
  EXPECT_EQ(*rows, 5);
}

TEST_F(AuditTest, RowsLinkToTheirPredecessor) {
  auto rows = db_.store().auditRows(0, 100);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ((*rows)[0].prevHash, std::string(64, '0'));
  for (size_t i = 1; i < rows->size(); ++i) EXPECT_EQ((*rows)[i].prevHash, (*rows)[i - 1].hash);
  EXPECT_EQ((*rows)[2].hash, chainHash((*rows)[1].hash, (*rows)[2]));
}

TEST_F(AuditTest, EditedRowIsNamed) {
  sql("UPDATE audit SET user = 'mallory' WHERE seq = 3");
  auto r = log_.verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "audit row 3: content does not match its hash");
}

TEST_F(AuditTest, RehashedRowBreaksTheNextLink) {
  // An intruder who edits row 2 and recomputes its hash is caught at row 3.
  auto rows = db_.store().auditRows(0, 100);
  ASSERT_TRUE(rows);
  AuditRow edited = (*rows)[1];
  edited.detail = "{}";
  sql("UPDATE audit SET detail = '{}', hash = '" + chainHash(edited.prevHash, edited) + "' WHERE seq = 2");
  auto r = log_.verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "audit row 3: does not link to row 2");
}

TEST_F(AuditTest, DeletedRowIsNamed) {
  sql("DELETE FROM audit WHERE seq = 4");
  auto r = log_.verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "audit row 4: missing (the next row is 5)");
}

TEST_F(AuditTest, CanonicalContentIsUnambiguous) {
  AuditRow a, b;
  a.user = "ab";
  a.action = "c";
  b.user = "a";
  b.action = "bc";
  EXPECT_NE(canonicalAuditContent(a), canonicalAuditContent(b));
}

TEST_F(AuditTest, QueryFiltersNewestFirst) {
  ASSERT_TRUE(log_.record({"bob", "snapshot", "yard", "10.0.0.2", "{}"}).isOk());
  AuditFilter f;
  f.user = "ann";
  f.start = WallTime::fromUnixMicros(1'700'000'010'000'000);
  f.end = WallTime::fromUnixMicros(1'700'000'040'000'000);
  auto rows = log_.query(f);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);  // at +10 s, +20 s, +30 s
  EXPECT_EQ((*rows)[0].seq, 4);
  AuditFilter byCamera;
  byCamera.camera = "yard";
  rows = log_.query(byCamera);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].user, "bob");
}

}  // namespace
}  // namespace vigil::access
