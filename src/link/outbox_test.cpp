#include "link/outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "link/sql.h"
#include "link/test_keys.h"

namespace vigil::link {
namespace {

using namespace std::chrono_literals;

// One direction of a link between two buses in this process: what one bus
// sends to its peer arrives at the other bus as from `from`.
struct Pipe : Endpoint {
  Pipe(Bus& to, Peer from) : to(to), from(std::move(from)) {}
  bool post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) override {
    if (kind == Kind::kDeliver) ++deliveries;
    if (dropAcks && kind == Kind::kAck) return true;
    if (hold) {  // sent, never arrives
      MutexLock lock(mutex);
      held.push_back(std::move(payload));
      return true;
    }
    (void)to.deliver(from, Frame{kind, channel, std::move(payload)});
    return true;
  }
  Bus& to;
  const Peer from;
  std::atomic<bool> dropAcks{false};
  std::atomic<bool> hold{false};
  std::atomic<int> deliveries{0};
  Mutex mutex;
  std::vector<std::vector<uint8_t>> held GUARDED_BY(mutex);
  uint64_t heldStream() {
    MutexLock lock(mutex);
    auto d = decodeDelivery(held.at(0));
    return d ? d->stream : 0;
  }
};

std::vector<uint8_t> body(int i) { return std::vector<uint8_t>{static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8)}; }
int number(std::span<const uint8_t> b) { return b.size() == 2 ? b[0] | b[1] << 8 : -1; }

// Waits, boundedly, for `done`.
template <typename F>
bool eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// A household ("house7") and its village, each with a bus and an outbox
// in its own database; either can be restarted (closed and reopened from
// its file) and the link between them cut and restored.
class OutboxTest : public ::testing::Test {
 protected:
  struct Node {
    std::unique_ptr<Bus> bus;
    std::unique_ptr<Outbox> outbox;
    Mutex mutex;
    std::vector<int> taken GUARDED_BY(mutex);
    std::atomic<bool> failing{false};
    std::vector<int> takenNow() {
      MutexLock lock(mutex);
      return taken;
    }
  };

  void SetUp() override {
    open(house_, "house.db");
    open(village_, "village.db");
  }
  // Neither sends into the other's bus once it is gone.
  void TearDown() override {
    house_.outbox->stop();
    village_.outbox->stop();
    for (auto& h : others_) h->outbox->stop();
  }

  void open(Node& n, const std::string& file, OutboxOptions options = {}) {
    if (n.outbox) n.outbox->stop();
    n.outbox.reset();
    n.bus = std::make_unique<Bus>();  // the process's links went with it
    auto o = Outbox::open((keys_.dir() / file).string(), *n.bus, options);
    ASSERT_TRUE(o) << o.status().toString();
    n.outbox = std::move(*o);
    n.outbox->receive("test.number", [&n](const Peer&, std::span<const uint8_t> b) {
      if (n.failing) return Status::unavailable("disk full");
      MutexLock lock(n.mutex);
      n.taken.push_back(number(b));
      return Status::ok();
    });
    n.outbox->start();
  }

  void connect() {
    up_ = std::make_shared<Pipe>(*village_.bus, Peer::child("house7"));
    down_ = std::make_shared<Pipe>(*house_.bus, Peer::theParent());
    house_.bus->attach(Peer::theParent(), up_);
    village_.bus->attach(Peer::child("house7"), down_);
  }
  void disconnect() {
    house_.bus->detach(Peer::theParent(), up_.get());
    village_.bus->detach(Peer::child("house7"), down_.get());
  }

  void send(int from, int to) {
    for (int i = from; i <= to; ++i) ASSERT_TRUE(house_.outbox->enqueue(Peer::theParent(), "test.number", body(i)));
  }
  static std::vector<int> range(int from, int to) {
    std::vector<int> out;
    for (int i = from; i <= to; ++i) out.push_back(i);
    return out;
  }
  int64_t pending() { return *house_.outbox->pending(Peer::theParent()); }

  // Another household, linked to the village as `id` at once.
  Node& another(const std::string& id) {
    others_.push_back(std::make_unique<Node>());
    Node& h = *others_.back();
    open(h, id + ".db");
    auto up = std::make_shared<Pipe>(*village_.bus, Peer::child(id));
    auto down = std::make_shared<Pipe>(*h.bus, Peer::theParent());
    h.bus->attach(Peer::theParent(), up);
    village_.bus->attach(Peer::child(id), down);
    pipes_.push_back(up);
    pipes_.push_back(down);
    return h;
  }
  // A count from a file's tables, read beside the outbox (WAL: a reader sees every commit).
  int64_t count(const std::string& file, const char* sql) {
    auto db = openDatabase((keys_.dir() / file).string(), "");
    EXPECT_TRUE(db) << db.status().toString();
    if (!db) return -1;
    int64_t n = -1;
    {
      SqlQuery q(*db, sql);
      auto row = q.next();
      if (row && *row) n = q.integer(0);
    }
    sqlite3_close(*db);
    return n;
  }

  testing::TestKeys keys_;
  Node house_;
  Node village_;
  std::shared_ptr<Pipe> up_;
  std::shared_ptr<Pipe> down_;
  std::vector<std::unique_ptr<Node>> others_;
  std::vector<std::shared_ptr<Pipe>> pipes_;
};

TEST_F(OutboxTest, WhatWasQueuedOfflineArrivesInOrderOnceAndIsDeletedWhenAcknowledged) {
  send(1, 100);
  EXPECT_EQ(pending(), 100);
  connect();
  ASSERT_TRUE(eventually([&] { return pending() == 0; })) << pending();
  EXPECT_EQ(village_.takenNow(), range(1, 100));
  auto last = house_.outbox->lastAcknowledged(Peer::theParent(), "test.number");
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->seq, 100);
  EXPECT_EQ(number((*last)->body), 100);
  send(101, 102);  // while up: sent at once
  ASSERT_TRUE(eventually([&] { return village_.takenNow().size() == 102; }));
}

TEST_F(OutboxTest, AReceiverRestartedAfterTakingButBeforeItsAckGotOutTakesNothingTwice) {
  send(1, 5);  // within the window
  connect();
  down_->dropAcks = true;  // the village takes them, the household never hears
  ASSERT_TRUE(eventually([&] { return village_.takenNow().size() == 5; }));
  EXPECT_EQ(pending(), 5);
  disconnect();
  open(village_, "village.db");  // kill -9 and restart: only the database is left
  send(6, 10);
  connect();
  ASSERT_TRUE(eventually([&] { return pending() == 0; })) << pending();
  EXPECT_EQ(village_.takenNow(), range(1, 10));  // 1..5 were resent and recognised
  EXPECT_GE(up_->deliveries, 10);
}

TEST_F(OutboxTest, ASenderRestartedResendsFromTheFirstUnacknowledgedWithTheSameNumbers) {
  send(1, 10);
  connect();
  ASSERT_TRUE(eventually([&] { return pending() == 0; }));
  up_->hold = true;  // these leave but never arrive
  send(11, 15);
  ASSERT_TRUE(eventually([&] { return up_->deliveries == 15; }));
  disconnect();
  open(house_, "house.db");
  EXPECT_EQ(pending(), 5);
  send(16, 16);
  connect();
  ASSERT_TRUE(eventually([&] { return pending() == 0; })) << pending();
  EXPECT_EQ(village_.takenNow(), range(1, 16));
}

TEST_F(OutboxTest, NoMoreThanTheWindowIsInFlightAndEachAckOpensIt) {
  open(house_, "house.db", OutboxOptions{.window = 3});
  connect();
  up_->hold = true;
  send(1, 10);
  ASSERT_TRUE(eventually([&] { return up_->deliveries == 3; }));
  std::this_thread::sleep_for(50ms);  // nothing more goes while nothing is acknowledged
  EXPECT_EQ(up_->deliveries, 3);
  // The village acknowledges 1 and 2 (cumulatively): two more go.
  ASSERT_TRUE(house_.bus->deliver(Peer::theParent(), Frame{Kind::kAck, 0, encode(Ack{up_->heldStream(), 2})}).isOk());
  ASSERT_TRUE(eventually([&] { return up_->deliveries == 5; }));
  EXPECT_EQ(pending(), 8);
  // An ack past what was sent deletes nothing unsent.
  ASSERT_TRUE(house_.bus->deliver(Peer::theParent(), Frame{Kind::kAck, 0, encode(Ack{up_->heldStream(), 10})}).isOk());
  ASSERT_TRUE(eventually([&] { return up_->deliveries == 8; }));
  EXPECT_EQ(pending(), 5);
  up_->hold = false;
  disconnect();
  connect();  // a new connection resends from the first unacknowledged
  ASSERT_TRUE(eventually([&] { return pending() == 0; })) << pending();
  EXPECT_EQ(village_.takenNow(), range(6, 10));  // this test acknowledged 1..5 for the village
}

TEST_F(OutboxTest, AReceiverThatFailsTakesNothingMoreFromThatSenderUntilItReconnects) {
  village_.failing = true;
  connect();
  send(1, 5);
  ASSERT_TRUE(eventually([&] { return up_->deliveries == 5; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(pending(), 5);
  village_.failing = false;
  disconnect();
  connect();
  ASSERT_TRUE(eventually([&] { return pending() == 0; })) << pending();
  EXPECT_EQ(village_.takenNow(), range(1, 5));
}

TEST_F(OutboxTest, EachDestinationHasItsOwnNumbersAndBadMessagesAreRefusedOnEnqueue) {
  auto a = village_.outbox->enqueue(Peer::child("house7"), "test.number", body(1));
  auto b = village_.outbox->enqueue(Peer::child("house8"), "test.number", body(1));
  auto c = village_.outbox->enqueue(Peer::child("house7"), "test.number", body(2));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, 1);
  EXPECT_EQ(*b, 1);
  EXPECT_EQ(*c, 2);
  EXPECT_EQ(village_.outbox->enqueue(Peer::theParent(), "Bad Type", body(1)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(village_.outbox->enqueue(Peer::theParent(), "test.number", std::vector<uint8_t>(kMaxMessageBodyBytes + 1))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  connect();  // the village to house7: the other direction
  ASSERT_TRUE(eventually([&] { return house_.takenNow().size() == 2; }));
  EXPECT_EQ(house_.takenNow(), range(1, 2));
}

TEST_F(OutboxTest, AMessageToManyIsStoredOnceAndItsBodyGoesWhenNoDestinationNeedsIt) {
  const std::vector<Peer> houses{Peer::child("house7"), Peer::child("house8"), Peer::child("house9")};
  const std::vector<uint8_t> big(kMaxMessageBodyBytes, 0x5a);
  auto seqs = village_.outbox->enqueueToMany(houses, "test.big", big);
  ASSERT_TRUE(seqs) << seqs.status().toString();
  EXPECT_EQ(*seqs, (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(count("village.db", "SELECT COUNT(*) FROM outgoing"), 3);
  EXPECT_EQ(count("village.db", "SELECT COUNT(*) FROM body"), 1);
  EXPECT_EQ(count("village.db", "SELECT SUM(LENGTH(bytes)) FROM body"), static_cast<int64_t>(big.size()));
  // Acknowledged by all but house9: the body stays for it.
  connect();
  another("house8");
  ASSERT_TRUE(eventually([&] { return count("village.db", "SELECT COUNT(*) FROM outgoing") == 1; }));
  EXPECT_EQ(count("village.db", "SELECT COUNT(*) FROM body"), 1);
  // The last acknowledged message of a type keeps its body (lastAcknowledged());
  // once a later one of that type is acknowledged everywhere, only it is left.
  another("house9");
  ASSERT_TRUE(village_.outbox->enqueueToMany(houses, "test.big", std::vector<uint8_t>(10, 1)));
  ASSERT_TRUE(eventually([&] { return count("village.db", "SELECT COUNT(*) FROM outgoing") == 0; }));
  ASSERT_TRUE(eventually([&] { return count("village.db", "SELECT COUNT(*) FROM body") == 1; }));
  EXPECT_EQ(count("village.db", "SELECT SUM(LENGTH(bytes)) FROM body"), 10);
  auto last = village_.outbox->lastAcknowledged(Peer::child("house9"), "test.big");
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->seq, 2);
  EXPECT_EQ((*last)->body, std::vector<uint8_t>(10, 1));
  // None to send to: nothing stored.
  auto none = village_.outbox->enqueueToMany({}, "test.big", big);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(count("village.db", "SELECT COUNT(*) FROM body"), 1);
}

TEST_F(OutboxTest, AMessageToManyKeepsEachDestinationsOrderAmongSingleMessages) {
  const Peer h7 = Peer::child("house7"), h8 = Peer::child("house8");
  ASSERT_TRUE(village_.outbox->enqueue(h7, "test.number", body(1)));
  auto both = village_.outbox->enqueueToMany(std::vector<Peer>{h7, h8}, "test.number", body(2));
  ASSERT_TRUE(village_.outbox->enqueue(h8, "test.number", body(3)));
  auto again = village_.outbox->enqueueToMany(std::vector<Peer>{h8, h7}, "test.number", body(4));
  ASSERT_TRUE(village_.outbox->enqueue(h7, "test.number", body(5)));
  ASSERT_TRUE(both && again);
  EXPECT_EQ(*both, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(*again, (std::vector<int64_t>{3, 3}));
  connect();
  Node& house8 = another("house8");
  ASSERT_TRUE(eventually([&] { return house_.takenNow().size() == 4 && house8.takenNow().size() == 3; }));
  EXPECT_EQ(house_.takenNow(), (std::vector<int>{1, 2, 4, 5}));
  EXPECT_EQ(house8.takenNow(), (std::vector<int>{2, 3, 4}));
}

TEST_F(OutboxTest, AMessageToManyIsOneTransactionAndSurvivesASenderRestart) {
  const std::vector<Peer> houses{Peer::child("house7"), Peer::child("house8"), Peer::child("house9")};
  // A failure at the third destination (a trigger put in from outside)
  // leaves nothing of the first two: not their rows, numbers nor the body.
  {
    auto db = openDatabase((keys_.dir() / "village.db").string(),
                           "CREATE TRIGGER fail_house9 BEFORE INSERT ON outgoing WHEN NEW.peer = 'house9' "
                           "BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    ASSERT_TRUE(db);
    sqlite3_close(*db);
  }
  EXPECT_FALSE(village_.outbox->enqueueToMany(houses, "test.number", body(1)));
  EXPECT_EQ(count("village.db", "SELECT COUNT(*) FROM outgoing"), 0);
  EXPECT_EQ(count("village.db", "SELECT COUNT(*) FROM body"), 0);
  EXPECT_EQ(count("village.db", "SELECT COUNT(*) FROM destination"), 0);
  {
    auto db = openDatabase((keys_.dir() / "village.db").string(), "DROP TRIGGER fail_house9;");
    ASSERT_TRUE(db);
    sqlite3_close(*db);
  }
  // Queued, then the village is killed before anything went out.
  auto seqs = village_.outbox->enqueueToMany(houses, "test.number", body(1));
  ASSERT_TRUE(seqs);
  EXPECT_EQ(*seqs, (std::vector<int64_t>{1, 1, 1}));
  open(village_, "village.db");
  ASSERT_TRUE(village_.outbox->enqueueToMany(houses, "test.number", body(2)));
  connect();
  Node& house8 = another("house8");
  Node& house9 = another("house9");
  ASSERT_TRUE(eventually([&] { return count("village.db", "SELECT COUNT(*) FROM outgoing") == 0; }));
  for (Node* h : {&house_, &house8, &house9}) EXPECT_EQ(h->takenNow(), range(1, 2));
}

TEST_F(OutboxTest, AnOutboxFromBeforeSharedBodiesIsMigratedWithNothingLost) {
  house_.outbox->stop();
  house_.outbox.reset();
  {
    // The schema outbox.db had before bodies were shared, with what a node
    // in the field may hold: two messages queued, one acknowledged before.
    auto db = openDatabase((keys_.dir() / "old.db").string(), R"sql(
      CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
      CREATE TABLE outgoing (peer TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, body BLOB NOT NULL,
                             PRIMARY KEY (peer, seq)) WITHOUT ROWID;
      CREATE TABLE destination (peer TEXT PRIMARY KEY NOT NULL, last_seq INTEGER NOT NULL);
      CREATE TABLE acknowledged (peer TEXT NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL,
                                 PRIMARY KEY (peer, type));
      CREATE TABLE incoming (peer TEXT PRIMARY KEY NOT NULL, stream INTEGER NOT NULL, last_seq INTEGER NOT NULL);
      INSERT INTO meta VALUES ('stream', 12345);
      INSERT INTO destination VALUES ('', 3);
      INSERT INTO acknowledged VALUES ('', 'test.number', 1, x'0100');
      INSERT INTO outgoing VALUES ('', 2, 'test.number', x'0200'), ('', 3, 'test.number', x'0300');
    )sql");
    ASSERT_TRUE(db) << db.status().toString();
    sqlite3_close(*db);
  }
  open(house_, "old.db");
  EXPECT_EQ(pending(), 2);
  auto last = house_.outbox->lastAcknowledged(Peer::theParent(), "test.number");
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->seq, 1);
  EXPECT_EQ(number((*last)->body), 1);
  EXPECT_EQ(*house_.outbox->enqueue(Peer::theParent(), "test.number", body(4)), 4);
  connect();
  ASSERT_TRUE(eventually([&] { return pending() == 0; })) << pending();
  EXPECT_EQ(village_.takenNow(), range(2, 4));
  EXPECT_EQ(count("old.db", "SELECT COUNT(*) FROM body"), 1);  // the last acknowledged's
  // Opened again: already migrated, nothing changes.
  open(house_, "old.db");
  EXPECT_EQ(number((*house_.outbox->lastAcknowledged(Peer::theParent(), "test.number"))->body), 4);
}

}  // namespace
}  // namespace vigil::link
