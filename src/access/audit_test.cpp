#include "access/audit.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "access/audit_checkpoint.h"
#include "access/crypto.h"
#include "access/test_db.h"
#include "base/encoding.h"

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

// The kinds, the cameras and a page's end are filtered by the store, so a
// non-admin's looks need no scan in memory (AUDIT.md "Who looked at my
// cameras", invariant 5).
TEST_P(AuditTest, QueryFiltersByKindsCamerasAndPage) {
  ASSERT_TRUE(log_->record({"bob", "snapshot", "yard", "10.0.0.2", "{}"}).isOk());  // seq 6
  ASSERT_TRUE(log_->record({"bob", "login", "", "10.0.0.2", "{}"}).isOk());
  ASSERT_TRUE(log_->record({"bob", "snapshot", "it's \"odd\"", "10.0.0.2", "{}"}).isOk());  // seq 8
  auto seqs = [&](const AuditFilter& f) {
    std::vector<int64_t> out;
    auto rows = log_->query(f);
    EXPECT_TRUE(rows) << rows.status().toString();
    if (rows) for (const AuditRow& r : *rows) out.push_back(r.seq);
    return out;
  };
  using Seqs = std::vector<int64_t>;
  AuditFilter looks;
  looks.actions = {"snapshot", "playback"};
  EXPECT_EQ(seqs(looks), (Seqs{8, 6}));
  looks.cameras = std::vector<std::string>{"it's \"odd\"", "gate"};
  EXPECT_EQ(seqs(looks), Seqs{8});
  looks.actions.clear();
  EXPECT_EQ(seqs(looks), (Seqs{8, 5, 4, 3, 2, 1}));
  looks.cameras = std::vector<std::string>{};  // no camera at all
  EXPECT_TRUE(seqs(looks).empty());
  AuditFilter page;
  page.limit = 3;
  EXPECT_EQ(seqs(page), (Seqs{8, 7, 6}));
  page.beforeSeq = 6;
  EXPECT_EQ(seqs(page), (Seqs{5, 4, 3}));
}

// A node's log: rows signed with its key, checkpoints in a file beside it.
// The attacker edits the database (SQL behind the log's back) but cannot
// touch the data directory, except where a test says so.
class SignedAuditTest : public AccessDbTest {
 protected:
  void SetUp() override {
    AccessDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-signed-audit-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    log_ = openLog(db().store());
    for (int i = 1; i <= 5; ++i) {
      ASSERT_TRUE(log_->record({"ann", "playback", "gate", "10.0.0.1", "{\"n\":" + std::to_string(i) + "}"}).isOk());
      clock_.advance(std::chrono::seconds(10));
    }
  }
  void TearDown() override {
    log_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<AuditLog> openLog(AuditStore& store, const std::string& keyFile = "node.key") {
    auto key = NodeKey::loadOrCreate(dir_ / keyFile);
    EXPECT_TRUE(key) << key.status().toString();
    return std::make_unique<AuditLog>(store, clock_, AuditSigning{*key, checkpointFile()});
  }
  std::filesystem::path checkpointFile() const { return dir_ / "audit.checkpoint"; }
  std::optional<AuditCheckpoint> fileCheckpoint() const {
    auto c = readCheckpointFile(checkpointFile());
    EXPECT_TRUE(c) << c.status().toString();
    return c ? *c : std::nullopt;
  }
  std::vector<AuditRow> rows() {
    auto r = db().store().auditRows(0, 1000);
    EXPECT_TRUE(r);
    return r ? *r : std::vector<AuditRow>();
  }
  // What an intruder with a script does: edits row `seq` and recomputes the
  // hash chain from there on, so every link holds again.
  void rewriteFrom(int64_t seq, const std::string& user) {
    std::vector<AuditRow> all = rows();
    std::string prev = seq > 1 ? all[static_cast<size_t>(seq - 2)].hash : std::string(64, '0');
    for (AuditRow& row : all) {
      if (row.seq < seq) continue;
      if (row.seq == seq) row.user = user;
      row.prevHash = prev;
      row.hash = chainHash(prev, row);
      db().exec("UPDATE audit SET \"user\" = '" + row.user + "', prev_hash = '" + row.prevHash + "', hash = '" +
                row.hash + "' WHERE seq = " + std::to_string(row.seq));
      prev = row.hash;
    }
  }

  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  std::filesystem::path dir_;
  std::unique_ptr<AuditLog> log_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SignedAuditTest, kBothBackends, backendParamName);

TEST_P(SignedAuditTest, SignedRowsAndCheckpointVerify) {
  ASSERT_TRUE(log_->checkpoint().isOk());
  auto c = fileCheckpoint();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->seq, 5);
  EXPECT_EQ(c->head, rows().back().hash);
  EXPECT_TRUE(c->signatureValid());
  for (const AuditRow& row : rows()) EXPECT_EQ(row.signature.size(), 128u) << row.seq;
  auto verified = log_->verify();
  ASSERT_TRUE(verified) << verified.status().toString();
  EXPECT_EQ(*verified, 5);
}

// Before rows were signed this verified as intact.
TEST_P(SignedAuditTest, RewrittenAndRechainedRowIsNamed) {
  ASSERT_TRUE(log_->checkpoint().isOk());
  rewriteFrom(3, "mallory");
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "audit row 3: signature does not match");
}

TEST_P(SignedAuditTest, RowReSignedWithAnotherKeyIsNamed) {
  ASSERT_TRUE(log_->checkpoint().isOk());
  // The intruder signs the rewritten rows with a key of their own.
  auto own = NodeKey::loadOrCreate(dir_ / "intruder.key");
  ASSERT_TRUE(own);
  rewriteFrom(4, "mallory");
  for (const AuditRow& row : rows()) {
    if (row.seq < 4) continue;
    const std::string text = "vigil-audit-row/1\n" + row.hash;
    db().exec("UPDATE audit SET signer = '" + own->publicKeyHex() + "', signature = '" +
              hexEncode(own->sign(asBytes(text))) + "' WHERE seq = " + std::to_string(row.seq));
  }
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message().rfind("audit row 4: signed by key " + own->publicKeyHex().substr(0, 16), 0), 0u)
      << r.status().message();
}

// Before checkpoints this verified as intact: 3 rows.
TEST_P(SignedAuditTest, DeletedTailIsNamed) {
  ASSERT_TRUE(log_->checkpoint().isOk());
  db().exec("DELETE FROM audit WHERE seq >= 4");
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(),
            "audit rows 4..5 missing: the log ends at row 3, the checkpoint of " + fileCheckpoint()->at.toRfc3339() +
                " counted 5 rows");
}

// Rows deleted before the periodic checkpoint ran: the process that
// appended them still vouches for them.
TEST_P(SignedAuditTest, TailCutBeforeTheCheckpointIsSeenByItsWriter) {
  db().exec("DELETE FROM audit WHERE seq >= 4");
  Status s = log_->checkpoint();
  EXPECT_EQ(s.message(), "audit rows 4..5 missing: the log ends at row 3, this node counted 5 rows");
  auto c = fileCheckpoint();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->seq, 5);
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message().rfind("audit rows 4..5 missing", 0), 0u) << r.status().message();
}

// Deleting the tail and letting the node write over it changes nothing:
// the checkpoint never moves back, nor past a row that differs from it.
TEST_P(SignedAuditTest, CheckpointIsKeptAsEvidence) {
  ASSERT_TRUE(log_->checkpoint().isOk());
  db().exec("DELETE FROM audit WHERE seq >= 4");
  auto fresh = openLog(db().store());  // a restarted node: it appended nothing yet
  EXPECT_EQ(fresh->checkpoint().code(), StatusCode::kDataLoss);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fresh->record({"bob", "login", "", "10.0.0.2", "{}"}).isOk());
  Status s = fresh->checkpoint();
  EXPECT_EQ(s.message(), "audit row 5: differs from the row the checkpoint of " + fileCheckpoint()->at.toRfc3339() +
                             " saw");
  EXPECT_EQ(fileCheckpoint()->seq, 5);
  auto r = fresh->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message().rfind("audit row 5: differs from the row the checkpoint", 0), 0u);
}

// Before the key: the log verified whatever key file the node had.
TEST_P(SignedAuditTest, ReplacedKeyFileIsNamed) {
  ASSERT_TRUE(log_->checkpoint().isOk());
  const auto oldKey = fileCheckpoint()->key;
  std::filesystem::remove(dir_ / "node.key");
  auto replaced = openLog(db().store());
  auto r = replaced->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message().rfind("audit row 1: signed by key " + hexEncode(oldKey).substr(0, 16), 0), 0u)
      << r.status().message();
  // The new key does not overwrite the old key's checkpoint either.
  EXPECT_EQ(replaced->checkpoint().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(fileCheckpoint()->key, oldKey);
  // An owner who knows the old key was theirs (a lost disk) trusts it.
  auto trusted = replaced->verify({oldKey});
  ASSERT_TRUE(trusted) << trusted.status().toString();
  EXPECT_EQ(*trusted, 5);
}

TEST_P(SignedAuditTest, MissingOrForgedCheckpointIsAnError) {
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(),
            "audit checkpoint " + checkpointFile().string() + ": missing, so rows cut off the end cannot be seen");
  ASSERT_TRUE(log_->checkpoint().isOk());
  AuditCheckpoint c = *fileCheckpoint();
  c.seq = 3;
  c.head = rows()[2].hash;
  std::ofstream(checkpointFile(), std::ios::trunc) << c.encode();
  r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "audit checkpoint " + checkpointFile().string() + ": signature does not match");
}

// Rows written before rows were signed are accepted at the start of the
// log only: an intruder cannot strip the signatures of later rows.
TEST_P(SignedAuditTest, UnsignedRowsOnlyBeforeTheFirstSignedOne) {
  ASSERT_TRUE(log_->checkpoint().isOk());
  db().exec("UPDATE audit SET signer = '', signature = '' WHERE seq <= 2");
  auto r = log_->verify();
  ASSERT_TRUE(r) << r.status().toString();
  db().exec("UPDATE audit SET signer = '', signature = '' WHERE seq = 4");
  r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "audit row 4: no valid signer");
}

// Nodes sharing a chain (PostgreSQL) each sign their own rows; a node
// accepts another's rows when told its key.
TEST_P(SignedAuditTest, AnotherNodesRowsNeedItsKey) {
  auto other = db().openAnother();
  ASSERT_TRUE(other);
  auto west = openLog(**other, "west.key");
  ASSERT_TRUE(west->record({"bob", "login", "", "10.0.0.2", "{}"}).isOk());
  ASSERT_TRUE(log_->record({"ann", "logout", "", "10.0.0.1", "{}"}).isOk());
  ASSERT_TRUE(log_->checkpoint().isOk());
  auto r = log_->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message().rfind("audit row 6: signed by key", 0), 0u) << r.status().message();
  auto westKey = NodeKey::load(dir_ / "west.key");
  ASSERT_TRUE(westKey);
  r = log_->verify({westKey->publicKey()});
  ASSERT_TRUE(r) << r.status().toString();
  EXPECT_EQ(*r, 7);
}

TEST_P(SignedAuditTest, CheckpointerWritesOnItsWayOut) {
  { AuditCheckpointer checkpointer(*log_, std::chrono::hours(1)); }
  auto c = fileCheckpoint();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->seq, 5);
}

TEST(AuditCheckpointText, RoundTripsAndRefusesOtherText) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("vigil-checkpoint-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto key = NodeKey::loadOrCreate(dir / "node.key");
  ASSERT_TRUE(key);
  const AuditCheckpoint c =
      AuditCheckpoint::make(*key, 42, std::string(64, 'a'), WallTime::fromUnixMicros(1'700'000'000'000'000));
  std::filesystem::remove_all(dir);
  const std::string text = c.encode();
  EXPECT_EQ(text.rfind("vigil-audit-checkpoint/1\nkey=" + key->publicKeyHex() + "\nseq=42\nhead=" +
                           std::string(64, 'a') + "\nat=1700000000000000\nsignature=",
                       0),
            0u)
      << text;
  auto back = AuditCheckpoint::parse(text);
  ASSERT_TRUE(back) << back.status().toString();
  EXPECT_EQ(back->seq, 42);
  EXPECT_TRUE(back->signatureValid());
  std::string edited = text;
  edited.replace(edited.find("seq=42"), 6, "seq=43");
  back = AuditCheckpoint::parse(edited);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->signatureValid());
  EXPECT_EQ(AuditCheckpoint::parse(text.substr(0, text.size() - 1)).status().message(),
            "checkpoint: the last line has no line break");
  EXPECT_EQ(AuditCheckpoint::parse("x\n").status().message(), "checkpoint: 1 lines, not 6");
  std::string negative = text;
  negative.replace(negative.find("seq=42"), 6, "seq=-1");
  EXPECT_EQ(AuditCheckpoint::parse(negative).status().message(), "checkpoint: line 3 is not seq=<rows>");
}

}  // namespace
}  // namespace vigil::access
