#include "link/outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

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

  testing::TestKeys keys_;
  Node house_;
  Node village_;
  std::shared_ptr<Pipe> up_;
  std::shared_ptr<Pipe> down_;
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

}  // namespace
}  // namespace vigil::link
