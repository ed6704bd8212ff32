#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include <fmt/format.h>

#include "alarm/alarms.h"

namespace vigil::alarm {
namespace {

using namespace std::chrono_literals;

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

Alarm sample() {
  return Alarm{.id = std::string(32, 'a'), .node = "house1", .kind = Kind::kMedical, .note = "老人摔倒 fell",
               .cameras = {"door"}, .raisedAt = 1'700'000'000'000};
}

TEST(AlarmRecordTest, EncodesAndDecodesTheSameRecordAndRefusesWhatIsOutOfBounds) {
  Alarm a = sample();
  a.nodePath = {"house1"};
  a.acknowledgedBy = "op@village1";
  a.acknowledgedAt = 5;
  a.notes = {{"op@village1", 6, "on the way"}};
  auto back = decodeAlarm(encode(a));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(*back, a);

  const auto refused = [](std::string text) { return !decodeAlarm(bytes(text)).isOk(); };
  const std::vector<uint8_t> encoded = encode(sample());
  const std::string good(encoded.begin(), encoded.end());
  ASSERT_FALSE(refused(good));
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_TRUE(refused(replaced("\"medical\"", "\"flood\"")));
  EXPECT_TRUE(refused(replaced(std::string(32, 'a'), "../../etc")));
  EXPECT_TRUE(refused(replaced("\"note\":\"", "\"note\":\"" + std::string(501, 'x'))));
  EXPECT_TRUE(refused(replaced("\"note\":\"", "\"note\":\"\\u0007")));
  EXPECT_TRUE(refused(replaced("{", "{\"extra\":1,")));
  EXPECT_TRUE(refused(replaced("\"acknowledged_by\":\"\"", "\"acknowledged_by\":\"x\"")));  // without its time
  EXPECT_TRUE(refused(good.substr(0, good.size() - 1)));
  EXPECT_TRUE(refused(std::string(100, '[')));
  EXPECT_FALSE(isValidText("\xc0\xaf", 10));  // overlong '/'
  EXPECT_FALSE(isValidText("\xed\xa0\x80", 10));  // a surrogate
  EXPECT_TRUE(isValidText(std::string(500, 'x'), 500));
  EXPECT_TRUE(isValidText("火警", 2));
  EXPECT_FALSE(isValidText("火警!", 2));
}

TEST(AlarmRecordTest, MergingInEitherOrderGivesTheSameRecordAndTheEarliestAckWins) {
  Alarm base = sample();
  Alarm village = base, township = base;
  village.deliveredAt = 10;
  village.acknowledgedBy = "ann@village1";
  village.acknowledgedAt = 200;
  village.notes = {{"ann@village1", 210, "calling"}};
  township.acknowledgedBy = "tom@township1";
  township.acknowledgedAt = 150;
  township.escalatedTo = "township1";
  township.assignedTo = "doctor";
  township.assignedAt = 160;
  township.notes = {{"tom@township1", 155, "sent a car"}};

  Alarm a = village, b = township;
  EXPECT_TRUE(merge(a, township, true));
  EXPECT_TRUE(merge(b, village, false));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.acknowledgedBy, "tom@township1");
  EXPECT_EQ(a.deliveredAt, 10);
  EXPECT_EQ(a.escalatedTo, "township1");
  ASSERT_EQ(a.notes.size(), 2u);
  EXPECT_EQ(a.notes[0].text, "sent a car");  // in order of time
  EXPECT_FALSE(merge(a, b, true));  // nothing new: no change, nothing forwarded
  EXPECT_EQ(describeChanges(village, a).front(), "escalated to township1");
}

struct Dirs {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("alarm_test_" + std::to_string(::getpid()) + "_" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Dirs() { std::filesystem::create_directories(dir); }
  ~Dirs() { std::filesystem::remove_all(dir); }
};

// One node: its alarms over an outbox whose links never come up (what it
// queues stays in outbox.db, countable).
struct TestNode {
  TestNode(const std::filesystem::path& dir, std::string id, std::string parent, ManualClock& clock,
           std::function<Result<bool>(const std::string&)> childRelays = {}) {
    std::filesystem::create_directories(dir);
    outbox = link::Outbox::open((dir / "outbox.db").string(), bus).value();
    store = AlarmStore::open((dir / "alarms.db").string()).value();
    alarms = std::make_unique<Alarms>(AlarmsContext{.store = store.get(), .outbox = outbox.get(), .bus = &bus,
                                                    .clock = &clock, .selfId = std::move(id),
                                                    .parentId = std::move(parent), .childRelays = std::move(childRelays),
                                                    .config = {.escalateAfter = 2s}});
  }
  int64_t pending(const link::Peer& p) { return *outbox->pending(p); }
  link::Bus bus;
  std::unique_ptr<link::Outbox> outbox;
  std::unique_ptr<AlarmStore> store;
  std::unique_ptr<Alarms> alarms;
};

TEST(AlarmsTest, ARaisedAlarmIsStoredOnceAtTheDeskAndOnlyTheDeskActsOnIt) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  TestNode house(d.dir / "house", "house1", "village1", clock);
  TestNode village(d.dir / "village", "village1", "", clock);
  TestNode alone(d.dir / "alone", "alone", "", clock);

  EXPECT_EQ(alone.alarms->raise("gran", Kind::kFire, "", {}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(house.alarms->raise("gran", Kind::kFire, std::string(501, 'x'), {}).status().code(),
            StatusCode::kInvalidArgument);
  auto raised = house.alarms->raise("gran", Kind::kMedical, "help", {"door"});
  ASSERT_TRUE(raised.isOk()) << raised.status().toString();
  EXPECT_EQ(house.pending(link::Peer::theParent()), 1);
  EXPECT_FALSE((*house.store->get(raised->alarm.id))->unsent);
  EXPECT_EQ(house.alarms->delivery(*raised), "stored");

  // The village receives it twice (a resend after a kill -9): one alarm.
  const std::vector<uint8_t> body = encode(raised->alarm);
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house1"), kRaiseMessage, body).isOk());
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house1"), kRaiseMessage, body).isOk());
  auto listed = *village.store->list(std::nullopt, 10);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].alarm.nodePath, std::vector<std::string>{"house1"});
  EXPECT_NE(listed[0].alarm.deliveredAt, 0);
  EXPECT_EQ(village.pending(link::Peer::child("house1")), 1);  // delivered_at goes down once

  // Another child naming the same id, or a node not at its path's end: refused.
  Alarm forged = raised->alarm;
  forged.node = "house2";
  forged.acknowledgedBy = "mallory@house2";
  forged.acknowledgedAt = 1;
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house2"), kRaiseMessage, encode(forged)).isOk());
  EXPECT_EQ((*village.store->get(raised->alarm.id))->alarm.acknowledgedBy, "");
  forged.id = std::string(32, 'b');
  forged.node = "house9";
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house2"), kRaiseMessage, encode(forged)).isOk());
  EXPECT_EQ(village.store->list(std::nullopt, 10)->size(), 1u);
  EXPECT_EQ(listed[0].fromChild, "house1");

  EXPECT_EQ(house.alarms->act(raised->alarm.id, "gran", Action::kAcknowledge, "").status().code(),
            StatusCode::kPermissionDenied);
  auto acked = village.alarms->act(raised->alarm.id, "ann", Action::kAcknowledge, "");
  ASSERT_TRUE(acked.isOk()) << acked.status().toString();
  EXPECT_EQ(acked->alarm.acknowledgedBy, "ann@village1");
  auto second = village.alarms->act(raised->alarm.id, "bob", Action::kAcknowledge, "");
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(village.alarms->act(std::string(32, 'c'), "bob", Action::kAcknowledge, "").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(village.pending(link::Peer::child("house1")), 2);

  // The household takes the village's record and shows who answered.
  ASSERT_TRUE(house.alarms->receive(link::Peer::theParent(), kUpdateMessage, encode(acked->alarm)).isOk());
  auto seen = *house.store->get(raised->alarm.id);
  EXPECT_EQ(seen->alarm.acknowledgedBy, "ann@village1");
  EXPECT_EQ(house.alarms->delivery(*seen), "delivered");
  EXPECT_EQ(house.pending(link::Peer::theParent()), 1);  // nothing goes back up

  auto closed = village.alarms->act(raised->alarm.id, "ann", Action::kClose, "false alarm");
  ASSERT_TRUE(closed.isOk());
  EXPECT_EQ(closed->alarm.state(), State::kClosed);
  EXPECT_EQ(village.alarms->act(raised->alarm.id, "ann", Action::kNote, "late").status().code(),
            StatusCode::kFailedPrecondition);
  auto history = *village.store->history(raised->alarm.id);
  ASSERT_EQ(history.size(), 3u);  // received, acknowledged, closed
  EXPECT_EQ(history.back().what, "closed by ann@village1: false alarm");
}

TEST(AlarmsTest, AnUnacknowledgedAlarmEscalatesOnceAfterTheDelayEvenAcrossARestart) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  auto village = std::make_unique<TestNode>(d.dir / "village", "village1", "township1", clock);
  Alarm a = sample();
  a.nodePath = {};
  a.node = "house1";
  ASSERT_TRUE(village->alarms->receive(link::Peer::child("house1"), kRaiseMessage, encode(a)).isOk());
  clock.advance(1s);
  ASSERT_TRUE(village->alarms->tick().isOk());
  EXPECT_EQ(village->pending(link::Peer::theParent()), 0);
  village = std::make_unique<TestNode>(d.dir / "village", "village1", "township1", clock);  // a restart
  clock.advance(1s);
  ASSERT_TRUE(village->alarms->tick().isOk());
  EXPECT_EQ(village->pending(link::Peer::theParent()), 1);
  auto s = *village->store->get(a.id);
  EXPECT_TRUE(s->up);
  EXPECT_EQ(s->alarm.escalatedTo, "township1");
  EXPECT_EQ(village->pending(link::Peer::child("house1")), 2);  // delivered, then escalated
  clock.advance(10s);
  ASSERT_TRUE(village->alarms->tick().isOk());
  EXPECT_EQ(village->pending(link::Peer::theParent()), 1);

  // The township's ack comes down; the village shows it and tells the household.
  Alarm fromTownship = s->alarm;
  fromTownship.acknowledgedBy = "tom@township1";
  fromTownship.acknowledgedAt = 7;
  ASSERT_TRUE(village->alarms->receive(link::Peer::theParent(), kUpdateMessage, encode(fromTownship)).isOk());
  EXPECT_EQ((*village->store->get(a.id))->alarm.acknowledgedBy, "tom@township1");
  EXPECT_EQ(village->pending(link::Peer::child("house1")), 3);
  EXPECT_EQ(village->pending(link::Peer::theParent()), 1);  // not back to where it came from
}

TEST(AlarmsTest, ARecordLeftUnsentByACrashIsSentAtTheNextTick) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  auto store = AlarmStore::open((d.dir / "alarms.db").string()).value();
  StoredAlarm s{.alarm = sample(), .up = true, .receivedAt = clock.now()};
  ASSERT_TRUE(store->add(s, clock.now(), {"raised by gran"}).isOk());  // then kill -9: never queued
  EXPECT_EQ(store->add(s, clock.now(), {}).code(), StatusCode::kAlreadyExists);
  store.reset();
  TestNode house(d.dir, "house1", "village1", clock);
  EXPECT_EQ(house.pending(link::Peer::theParent()), 0);
  ASSERT_TRUE(house.alarms->tick().isOk());
  EXPECT_EQ(house.pending(link::Peer::theParent()), 1);
  ASSERT_TRUE(house.alarms->tick().isOk());
  EXPECT_EQ(house.pending(link::Peer::theParent()), 1);
}


TEST(AlarmsTest, BracketsInATextAreTextNotStructure) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  TestNode house(d.dir / "house", "house1", "village1", clock);
  TestNode village(d.dir / "village", "village1", "", clock);
  // 25 brackets in a note: the record still has only 4 objects and arrays.
  const std::string note = "{{{ [1] [2] [3] [4] [5] [6] [7] [8] [9] [10] [11] [12] [13] [14] [15] [16] [17] [18] [19] [20] [21] [22]";
  auto raised = house.alarms->raise("gran", Kind::kOther, note, {});
  ASSERT_TRUE(raised.isOk()) << raised.status().toString();
  EXPECT_EQ(house.pending(link::Peer::theParent()), 1);
  ASSERT_TRUE(house.store->list(std::nullopt, 10).isOk());
  ASSERT_TRUE(house.alarms->tick().isOk());
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house1"), kRaiseMessage, encode(raised->alarm)).isOk());
  auto listed = village.store->list(std::nullopt, 10);
  ASSERT_TRUE(listed.isOk()) << listed.status().toString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().alarm.note, note);
  // A desk's note with brackets keeps the desk's list readable.
  ASSERT_TRUE(village.alarms->act(raised->alarm.id, "ann", Action::kNote, "[[[[[[[[[[[[[[[[[[[[[[[[[[").isOk());
  EXPECT_TRUE(village.store->list(std::nullopt, 10).isOk());
  EXPECT_TRUE(village.alarms->tick().isOk());
}


TEST(AlarmsTest, AHouseholdSpeaksOnlyForItsOwnAlarmsAndActsForNoDesk) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  TestNode village(d.dir / "village", "village1", "township1", clock);
  // house2 (a household: it relays nothing) claims to pass on house1's alarm.
  Alarm forged = sample();
  forged.node = "house1";
  forged.nodePath = {"house1"};
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house2"), kRaiseMessage, encode(forged)).isOk());
  EXPECT_EQ(village.store->list(std::nullopt, 10)->size(), 0u);

  // Its own alarm, arriving acknowledged, noted and closed by a desk's name, and never escalating.
  Alarm own = sample();
  own.node = "house2";
  own.acknowledgedBy = "ann@village1";
  own.acknowledgedAt = 1;
  own.notes = {{"ann@village1", 2, "nothing to see"}};
  own.closedBy = "ann@village1";
  own.closedAt = 3;
  own.outcome = "false alarm";
  own.escalatedTo = "township1";
  own.assignedTo = "nobody";
  own.assignedAt = 253402300799999;
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house2"), kRaiseMessage, encode(own)).isOk());
  auto stored = *village.store->get(own.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->alarm.state(), State::kOpen);
  EXPECT_TRUE(stored->alarm.notes.empty());
  EXPECT_EQ(stored->alarm.escalatedTo, "");
  EXPECT_EQ(stored->alarm.assignedTo, "");
  // Nor later, on the alarm the village holds.
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house2"), kRaiseMessage, encode(own)).isOk());
  EXPECT_EQ((*village.store->get(own.id))->alarm.state(), State::kOpen);
  clock.advance(3s);
  ASSERT_TRUE(village.alarms->tick().isOk());
  EXPECT_EQ((*village.store->get(own.id))->alarm.escalatedTo, "township1");

  // A village (enrolled as one) passes on its household's alarm and its desk's ack.
  TestNode township(d.dir / "township", "township1", "", clock,
                    [](const std::string& c) -> Result<bool> { return c == "village1"; });
  Alarm relayed = (*village.store->get(own.id))->alarm;
  relayed.acknowledgedBy = "ann@village1";
  relayed.acknowledgedAt = 4;
  ASSERT_TRUE(township.alarms->receive(link::Peer::child("village1"), kRaiseMessage, encode(relayed)).isOk());
  auto atTownship = *township.store->get(own.id);
  ASSERT_TRUE(atTownship);
  EXPECT_EQ(atTownship->alarm.nodePath, (std::vector<std::string>{"village1", "house2"}));
  EXPECT_EQ(atTownship->alarm.acknowledgedBy, "ann@village1");

  // link.db failing: not taken (given again later), rather than refused and lost.
  TestNode failing(d.dir / "failing", "township2", "", clock,
                   [](const std::string&) -> Result<bool> { return Status::internal("link.db: disk I/O error"); });
  EXPECT_FALSE(failing.alarms->receive(link::Peer::child("village1"), kRaiseMessage, encode(relayed)).isOk());
}


// A household's box that keeps raising (compromised, or a stuck button)
// gets at most kMaxOpenPerHousehold alarms not closed at its desk; the
// rest are refused and taken (the outbox does not stall on them), and a
// neighbour's alarm is stored as ever.
TEST(AlarmsTest, AHouseholdFloodingItsDeskIsCappedAndItsNeighboursStillHeard) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  TestNode village(d.dir / "village", "village1", "township1", clock);
  for (int i = 0; i < kMaxOpenPerHousehold + 5; ++i) {
    Alarm a = sample();
    a.id = fmt::format("{:032x}", i + 1);
    a.node = "house2";
    ASSERT_TRUE(village.alarms->receive(link::Peer::child("house2"), kRaiseMessage, encode(a)).isOk());
  }
  EXPECT_EQ(*village.store->notClosedFrom("house2"), kMaxOpenPerHousehold);
  Alarm neighbour = sample();
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house1"), kRaiseMessage, encode(neighbour)).isOk());
  EXPECT_TRUE(*village.store->get(neighbour.id));
}

// What the village fails to queue is its own to retry: a child's alarm is
// still taken and stored (refused, the outbox would give it again and
// again, and hold back everything else that child sends).
TEST(AlarmsTest, ARecordThatCannotBeQueuedHoldsBackNoChildsAlarm) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  TestNode village(d.dir / "village", "village1", "township1", clock);
  Alarm stuck = sample();
  stuck.id = fmt::format("{:032x}", 7);
  stuck.node = "house2";
  StoredAlarm s{.alarm = stuck, .fromChild = "house2", .receivedAt = clock.now(), .unsent = true};
  ASSERT_TRUE(village.store->add(s, clock.now(), {"received from house2"}).isOk());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((d.dir / "village" / "alarms.db").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "UPDATE alarm SET record = '{'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const Alarm fresh = sample();
  EXPECT_TRUE(village.alarms->receive(link::Peer::child("house1"), kRaiseMessage, encode(fresh)).isOk());
  EXPECT_TRUE(*village.store->get(fresh.id));
  EXPECT_EQ(village.pending(link::Peer::child("house1")), 1);  // delivered_at goes down
  EXPECT_FALSE(village.alarms->tick().isOk());  // the stuck one: logged, retried
}

TEST(AlarmsTest, ARecordLeftUnsentGoesBeforeTheNextAlarmRaised) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  {
    auto store = AlarmStore::open((d.dir / "alarms.db").string()).value();
    StoredAlarm s{.alarm = sample(), .up = true, .receivedAt = clock.now()};
    ASSERT_TRUE(store->add(s, clock.now(), {"raised by gran"}).isOk());  // then kill -9: never queued
  }
  TestNode house(d.dir, "house1", "village1", clock);
  // Raised after the restart, before the thread's first tick.
  auto later = house.alarms->raise("gran", Kind::kFire, "smoke", {});
  ASSERT_TRUE(later.isOk()) << later.status().toString();
  ASSERT_TRUE(house.alarms->tick().isOk());
  auto first = *house.store->get(sample().id);
  auto second = *house.store->get(later->alarm.id);
  EXPECT_GT(first->raiseSeq, 0);
  EXPECT_LT(first->raiseSeq, second->raiseSeq);  // the desk's arrival order is the order raised
}


TEST(AlarmsTest, ADeskKilledBeforeItToldTheHouseholdTellsItWhenTheAlarmComesAgain) {
  Dirs d;
  ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  Alarm a = sample();
  {
    // The village stored the raise (delivered_at set), then kill -9: no update queued, the raise not taken.
    auto store = AlarmStore::open((d.dir / "alarms.db").string()).value();
    Alarm atDesk = a;
    atDesk.nodePath = {"house1"};
    atDesk.deliveredAt = 1'700'000'000'001;
    StoredAlarm s{.alarm = atDesk, .fromChild = "house1", .receivedAt = clock.now()};
    ASSERT_TRUE(store->add(s, clock.now(), {"received from house1"}).isOk());
  }
  TestNode village(d.dir, "village1", "", clock);
  // The household's outbox gives the raise again, before the thread's first tick.
  ASSERT_TRUE(village.alarms->receive(link::Peer::child("house1"), kRaiseMessage, encode(a)).isOk());
  EXPECT_EQ(village.pending(link::Peer::child("house1")), 1);  // delivered_at goes down
  EXPECT_FALSE((*village.store->get(a.id))->unsent);
}


TEST(AlarmRecordTest, NotesPastTheCapConvergeOnTheEarliest) {
  Alarm village = sample(), township = sample();
  for (int i = 0; i < 15; ++i) {
    village.notes.push_back({"ann@village1", 100 + 2 * i, "v" + std::to_string(i)});
    township.notes.push_back({"tom@township1", 101 + 2 * i, "t" + std::to_string(i)});
  }
  township.notes.push_back({"tom@township1", 100, "same time as ann's first"});
  Alarm a = village, b = township;
  merge(a, township, true);
  merge(b, village, false);
  EXPECT_EQ(a.notes, b.notes);
  ASSERT_EQ(a.notes.size(), kMaxNotes);
  EXPECT_EQ(a.notes.back().at, 118);  // the 20 earliest of 31
  EXPECT_FALSE(merge(a, b, true));
}

}  // namespace
}  // namespace vigil::alarm
