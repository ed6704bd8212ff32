#include "access/audit.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "access/test_db.h"

namespace vigil::access {
namespace {

class AuditTest : public AccessDbTest {
 protected:
  void SetUp() override {
    AccessDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    log_ = std::make_unique<AuditLog>(db().store(), clock_);
    for (int i = 1; i <= 5; ++i) {
      ASSERT_TRUE(log_->record({"ann", "live_start", "gate", "10.0.0.1", "{\"n\":" + std::to_string(i) + "}"}).isOk());
      clock_.advance(std::chrono::seconds(10));
    }
  }
  // Edits the database behind the log's back, as an intruder with access to it would.
  void sql(const std::string& statement) { db().exec(statement); }

  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  std::unique_ptr<AuditLog> log_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, kBothBackends, backendParamName);

TEST_P(AuditTest, IntactChainVerifies) {
  auto rows = log_->verify();
  ASSERT_TRUE(rows) << rows.status().toString();
  EXPECT_EQ(*rows, 5);
}

TEST_P(AuditTest, RowsLinkToTheirPredecessor) {
  auto rows = db().store().auditRows(0, 100);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ((*rows)[0].prevHash, std::string(64, '0'));
  for (size_t i = 1; i < rows->size(); ++i) EXPECT_EQ((*rows)[i].prevHash, (*rows)[i - 1].hash);
  EXPECT_EQ((*rows)[2].hash, chainHash((*rows)[1].hash, (*rows)[2]));
}

TEST_P(AuditTest, EditedRowIsNamed) {
  sql("UPDATE audit SET \"user\" = 'mallory' WHERE seq = 3");
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "audit row 3: content does not match its hash");
}

TEST_P(AuditTest, RehashedRowBreaksTheNextLink) {
  // An intruder who edits row 2 and recomputes its hash is caught at row 3.
  auto rows = db().store().auditRows(0, 100);
  ASSERT_TRUE(rows);
  AuditRow edited = (*rows)[1];
  edited.detail = "{}";
  sql("UPDATE audit SET detail = '{}', hash = '" + chainHash(edited.prevHash, edited) + "' WHERE seq = 2");
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "audit row 3: does not link to row 2");
}

TEST_P(AuditTest, DeletedRowIsNamed) {
  sql("DELETE FROM audit WHERE seq = 4");
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "audit row 4: missing (the next row is 5)");
}

// Two nodes sharing the database (two connections, two threads) append at
// once: every append succeeds and the rows still form one chain.
TEST_P(AuditTest, ConcurrentWritersOnTwoConnectionsFormOneChain) {
  auto other = db().openAnother();
  ASSERT_TRUE(other) << other.status().toString();
  AuditLog first(db().store(), SystemClock::instance());
  AuditLog second(**other, SystemClock::instance());
  constexpr int kRowsEach = 40;
  std::mutex mutex;
  std::vector<std::string> failures;
  auto write = [&](AuditLog& log, const std::string& user) {
    for (int i = 0; i < kRowsEach; ++i) {
      if (Status s = log.record({user, "playback", "gate", "10.0.0.1", "{}"}); !s.isOk()) {
        std::lock_guard lock(mutex);
        failures.push_back(s.toString());
      }
    }
  };
  std::thread a(write, std::ref(first), "ann");
  std::thread b(write, std::ref(second), "bob");
  a.join();
  b.join();
  EXPECT_EQ(failures, std::vector<std::string>());
  auto rows = log_->verify();
  ASSERT_TRUE(rows) << rows.status().toString();
  EXPECT_EQ(*rows, 5 + 2 * kRowsEach);
}

TEST_P(AuditTest, CanonicalContentIsUnambiguous) {
  AuditRow a, b;
  a.user = "ab";
  a.action = "c";
  b.user = "a";
  b.action = "bc";
  EXPECT_NE(canonicalAuditContent(a), canonicalAuditContent(b));
}

TEST_P(AuditTest, QueryFiltersNewestFirst) {
  ASSERT_TRUE(log_->record({"bob", "snapshot", "yard", "10.0.0.2", "{}"}).isOk());
  AuditFilter f;
  f.user = "ann";
  f.start = WallTime::fromUnixMicros(1'700'000'010'000'000);
  f.end = WallTime::fromUnixMicros(1'700'000'040'000'000);
  auto rows = log_->query(f);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);  // at +10 s, +20 s, +30 s
  EXPECT_EQ((*rows)[0].seq, 4);
  AuditFilter byCamera;
  byCamera.camera = "yard";
  rows = log_->query(byCamera);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].user, "bob");
}

}  // namespace
}  // namespace vigil::access
