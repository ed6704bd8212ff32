#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "alarm/notices.h"
#include "link/sql.h"
#include "link/wire.h"

namespace vigil::alarm {
namespace {

using namespace std::chrono_literals;

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

constexpr int64_t kStart = 1'700'000'000'000;  // Unix ms

Notice sample() {
  return Notice{.id = std::string(32, 'a'), .from = "township1", .text = "台风明天到达 Typhoon tomorrow: stay in",
                .priority = Priority::kUrgent, .sentAt = kStart, .expiresAt = kStart + 3'600'000};
}

TEST(NoticeMessageTest, EncodesAndDecodesTheSameMessagesAndRefusesWhatIsOutOfBounds) {
  Notice n = sample();
  n.to = {"house1", "village2"};
  n.audioType = "audio/ogg";
  n.audioBytes = 100'000;
  auto back = decodeNotice(encode(n));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(*back, n);
  EXPECT_EQ(back->audioChunks(), 3);
  EXPECT_EQ(*decodeNotice(encode(sample())), sample());  // "to": "all"

  const std::vector<uint8_t> encoded = encode(sample());
  const std::string good(encoded.begin(), encoded.end());
  const auto refused = [](const std::string& text) { return !decodeNotice(bytes(text)).isOk(); };
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_TRUE(refused(replaced("\"urgent\"", "\"loud\"")));
  EXPECT_TRUE(refused(replaced("{", "{\"extra\":1,")));
  EXPECT_TRUE(refused(replaced("\"text\":\"台风", "\"text\":\"" + std::string(2001, 'x'))));
  EXPECT_TRUE(refused(replaced("\"text\":\"台风明天到达 Typhoon tomorrow: stay in\"", "\"text\":\"\"")));
  EXPECT_TRUE(refused(replaced("\"to\":\"all\"", "\"to\":[]")));
  EXPECT_TRUE(refused(replaced("\"to\":\"all\"", "\"to\":[\"../x\"]")));
  EXPECT_TRUE(refused(replaced("\"audio_bytes\":0", "\"audio_bytes\":5")));  // without a type
  EXPECT_TRUE(refused(replaced(std::to_string(kStart + 3'600'000), std::to_string(kStart))));  // expires when sent
  EXPECT_TRUE(refused(good.substr(0, good.size() - 1)));
  EXPECT_TRUE(refused(std::string(100, '[')));
  EXPECT_FALSE(refused(replaced("stay in", "[{stay in}]")));  // brackets in text are text

  const std::vector<uint8_t> audio(kAudioChunkBytes, 7);
  auto chunk = decodeAudioChunk(encodeAudioChunk(n.id, 2, audio));
  ASSERT_TRUE(chunk.isOk());
  EXPECT_EQ(chunk->id, n.id);
  EXPECT_EQ(chunk->index, 2u);
  EXPECT_EQ(chunk->bytes.size(), audio.size());
  EXPECT_FALSE(decodeAudioChunk(encodeAudioChunk(n.id, 2, {})).isOk());
  EXPECT_FALSE(decodeAudioChunk(encodeAudioChunk("../" + std::string(29, 'a'), 0, audio)).isOk());
  EXPECT_FALSE(decodeAudioChunk(encodeAudioChunk(n.id, 1000, audio)).isOk());

  Receipts r{n.id, {{"house1", 5, 0}, {"village1.house2", 0, 0}}};
  EXPECT_EQ(*decodeReceipts(encode(r)), r);
  // The most rows of the longest paths and times fit one outbox message.
  const std::string id(64, 'x');
  Receipts longest{n.id, std::vector<HouseholdReceipt>(
                             kMaxReceiptRows, {id + "." + id + "." + id + "." + id, 253402300799999, 253402300799999})};
  EXPECT_LE(encode(longest).size(), link::kMaxMessageBodyBytes);
  EXPECT_TRUE(decodeReceipts(encode(longest)).isOk());
  longest.households[0].node += ".x";  // 5 ids
  EXPECT_FALSE(decodeReceipts(encode(longest)).isOk());
  EXPECT_FALSE(decodeReceipts(encode(Receipts{n.id, {}})).isOk());
  EXPECT_FALSE(decodeReceipts(bytes(R"({"id":")" + n.id + R"(","households":[{"node":"h","delivered_at":-1,"seen_at":0}]})")).isOk());

  HouseholdReceipt ours{"house1", 0, 0};
  EXPECT_TRUE(merge(ours, {"house1", 20, 0}));
  EXPECT_TRUE(merge(ours, {"house1", 10, 30}));
  EXPECT_FALSE(merge(ours, {"house1", 0, 40}));  // later, or unset: no change
  EXPECT_EQ(ours, (HouseholdReceipt{"house1", 10, 30}));
}

struct Dirs {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              fmt::format("vigil_notice_test_{}_{}", ::getpid(),
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Dirs() { std::filesystem::create_directories(dir); }
  ~Dirs() { std::filesystem::remove_all(dir); }
};

// One node: its notices over an outbox whose links never come up; the
// test carries what it queued to the neighbour (take()).
struct TestNode {
  TestNode(const std::filesystem::path& dir, std::string id, Tier tier, bool hasParent, ManualClock& clock,
           std::vector<NoticeChild> children = {}, int64_t maxHouseholdsPerRelay = 100'000)
      : path(dir), kids(std::move(children)) {
    std::filesystem::create_directories(dir);
    outbox = link::Outbox::open((dir / "outbox.db").string(), bus).value();
    store = NoticeStore::open((dir / "notices.db").string()).value();
    notices = std::make_unique<Notices>(NoticesContext{
        .store = store.get(), .outbox = outbox.get(), .clock = &clock, .selfId = std::move(id), .selfTier = tier,
        .hasParent = hasParent, .children = [this] { return Result<std::vector<NoticeChild>>(kids); },
        .onReceived = [this](const Notice& n) { received.push_back(n.id); },
        .maxHouseholdsPerRelay = maxHouseholdsPerRelay});
  }
  struct Message {
    std::string type;
    std::vector<uint8_t> body;
  };
  // What is queued for `peer` ('' the parent) and not yet taken, in order; taken now.
  std::vector<Message> take(const std::string& peer) {
    sqlite3* db = link::openDatabase((path / "outbox.db").string(), "").value();
    std::vector<Message> out;
    {
      link::SqlQuery q(db,
                       "SELECT o.seq, b.type, b.bytes FROM outgoing o JOIN body b ON b.id = o.body "
                       "WHERE o.peer = ? AND o.seq > ? ORDER BY o.seq");
      q.bind(peer).bind(taken[peer]);
      while (*q.next()) {
        taken[peer] = q.integer(0);
        out.push_back({q.text(1), q.blob(2)});
      }
    }
    sqlite3_close(db);
    return out;
  }
  // A count from its outbox.db.
  int64_t count(const char* sql) {
    sqlite3* db = link::openDatabase((path / "outbox.db").string(), "").value();
    int64_t n = -1;
    {
      link::SqlQuery q(db, sql);
      if (*q.next()) n = q.integer(0);
    }
    sqlite3_close(db);
    return n;
  }
  // Gives `to` what this node queued for it (`as`: how `to` names this node).
  void deliver(TestNode& to, const std::string& peer, const link::Peer& as) {
    for (const Message& m : take(peer)) ASSERT_TRUE(to.notices->receive(as, m.type, m.body).isOk());
  }
  std::filesystem::path path;
  std::vector<NoticeChild> kids;
  std::map<std::string, int64_t> taken;
  std::vector<std::string> received;
  link::Bus bus;
  std::unique_ptr<link::Outbox> outbox;
  std::unique_ptr<NoticeStore> store;
  std::unique_ptr<Notices> notices;
};

// A township over village1 over house1 and house2.
struct Tree {
  explicit Tree(const Dirs& d, int64_t townshipMaxPerRelay = 100'000)
      : township(d.dir / "township", "township1", Tier::kTownship, false, clock, {{"village1", true}},
                 townshipMaxPerRelay),
        village(d.dir / "village", "village1", Tier::kVillage, true, clock, {{"house1", false}, {"house2", false}}),
        house1(d.dir / "house1", "house1", Tier::kHousehold, true, clock),
        house2(d.dir / "house2", "house2", Tier::kHousehold, true, clock) {}
  void down() {
    township.deliver(village, "village1", link::Peer::theParent());
    village.deliver(house1, "house1", link::Peer::theParent());
    village.deliver(house2, "house2", link::Peer::theParent());
  }
  void up() {
    house1.deliver(village, "", link::Peer::child("house1"));
    house2.deliver(village, "", link::Peer::child("house2"));
    village.deliver(township, "", link::Peer::child("village1"));
  }
  ReceiptCounts counts(const std::string& id) { return *township.store->counts(id); }
  // The township's "hello" to all, carried down to the households; its id.
  std::string helloDown() {
    auto sent = township.notices->send({.user = "ann", .text = "hello"});
    EXPECT_TRUE(sent.isOk());
    down();
    return sent.isOk() ? sent->notice.id : "";
  }
  ManualClock clock{WallTime::fromUnixMicros(kStart * 1000)};
  TestNode township, village, house1, house2;
};

TEST(NoticesTest, ANoticeWithAudioReachesEveryHouseholdOnceAndTheSenderCountsTheirReceipts) {
  Dirs d;
  Tree t(d);
  std::vector<uint8_t> audio(100'000);
  for (size_t i = 0; i < audio.size(); ++i) audio[i] = static_cast<uint8_t>(i * 7);
  auto sent = t.township.notices->send(
      {.user = "ann", .text = "台风 typhoon", .priority = Priority::kUrgent, .audio = audio, .audioType = "audio/ogg"});
  ASSERT_TRUE(sent.isOk()) << sent.status().toString();
  EXPECT_EQ(t.township.outbox->pending(link::Peer::child("village1")).value(), 1 + 3);  // the notice, 3 chunks
  t.township.deliver(t.village, "village1", link::Peer::theParent());
  // The village queued the notice and its audio for both households, each
  // message stored once (DECISIONS 63): 4 bodies for their 8 rows.
  EXPECT_EQ(t.village.outbox->pending(link::Peer::child("house1")).value(), 1 + 3);
  EXPECT_EQ(t.village.outbox->pending(link::Peer::child("house2")).value(), 1 + 3);
  EXPECT_EQ(t.village.count("SELECT COUNT(DISTINCT body) FROM outgoing WHERE peer != ''"), 4);
  t.down();
  for (TestNode* house : {&t.house1, &t.house2}) {
    auto got = house->notices->find(sent->notice.id);
    ASSERT_TRUE(got.isOk() && *got) << house->path;
    EXPECT_EQ((*got)->notice.text, "台风 typhoon");
    EXPECT_NE((*got)->deliveredAt, 0);
    EXPECT_EQ(*house->store->audio(sent->notice.id), audio);
    EXPECT_EQ(house->received, std::vector<std::string>{sent->notice.id});
  }
  EXPECT_EQ(t.counts(sent->notice.id).targeted, 0);  // nothing came up yet
  t.up();
  ReceiptCounts c = t.counts(sent->notice.id);
  EXPECT_EQ(c.targeted, 2);
  EXPECT_EQ(c.delivered, 2);
  EXPECT_EQ(c.seen, 0);

  ASSERT_TRUE(t.house1.notices->seen(sent->notice.id).isOk());
  ASSERT_TRUE(t.house1.notices->seen(sent->notice.id).isOk());  // again: nothing more
  EXPECT_EQ(t.house1.outbox->pending(link::Peer::theParent()).value(), 2);  // delivered, seen
  t.up();
  c = t.counts(sent->notice.id);
  EXPECT_EQ(c.seen, 1);
  EXPECT_EQ(c.delivered, 2);
  EXPECT_EQ(t.township.notices->seen(sent->notice.id).code(), StatusCode::kNotFound);  // sent here, not received

  // Everything again (an outbox resending after a kill -9): nothing doubles.
  for (TestNode* n : {&t.township, &t.village, &t.house1, &t.house2}) n->taken.clear();
  t.down();
  t.up();
  EXPECT_EQ(t.house1.received.size(), 1u);
  EXPECT_EQ(t.house1.store->list(kStart, 10)->size(), 1u);
  c = t.counts(sent->notice.id);
  EXPECT_EQ(c.targeted, 2);
  EXPECT_EQ(c.seen, 1);
}

TEST(NoticesTest, ANoticeToOneHouseholdReachesItAndNoOther) {
  Dirs d;
  Tree t(d);
  // The township names only its own children: a household's id is unique
  // under its village alone, so "house2" could be another village's family.
  auto further = t.township.notices->send({.user = "ann", .text = "your water bill", .to = {"house2"}});
  EXPECT_EQ(further.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(further.status().message(), ::testing::HasSubstr("does not start at a node directly below"));
  // Naming its village reaches every household of it.
  auto village = t.township.notices->send({.user = "ann", .text = "road closed", .to = {"village1"}});
  ASSERT_TRUE(village.isOk()) << village.status().toString();
  t.down();
  EXPECT_TRUE(t.house1.store->get(village->notice.id)->has_value());
  EXPECT_TRUE(t.house2.store->get(village->notice.id)->has_value());
  t.up();
  EXPECT_EQ(t.counts(village->notice.id).delivered, 2);

  // The village names one of its households: it alone gets it.
  const auto pending = [&](const char* house) { return t.village.outbox->pending(link::Peer::child(house)).value(); };
  const int64_t before1 = pending("house1"), before2 = pending("house2");
  auto direct = t.village.notices->send({.user = "vic", .text = "your parcel is here", .to = {"house2"}});
  ASSERT_TRUE(direct.isOk()) << direct.status().toString();
  EXPECT_EQ(pending("house1"), before1);
  EXPECT_EQ(pending("house2"), before2 + 1);
  t.down();
  EXPECT_TRUE(t.house2.notices->find(direct->notice.id)->has_value());
  EXPECT_FALSE(t.house1.store->get(direct->notice.id)->has_value());
  EXPECT_EQ(t.village.notices->send({.user = "vic", .text = "x", .to = {"house9"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NoticesTest, ATownshipNamesOneHouseholdByItsPathAndItAloneGetsIt) {
  Dirs d;
  Tree t(d);
  auto sent = t.township.notices->send({.user = "ann", .text = "your parcel is here", .to = {"village1.house2"}});
  ASSERT_TRUE(sent.isOk()) << sent.status().toString();
  // The village is told the rest of the path, and forwards to house2 only.
  auto toVillage = t.township.take("village1");
  ASSERT_EQ(toVillage.size(), 1u);
  EXPECT_EQ(decodeNotice(toVillage[0].body)->to, std::vector<std::string>{"house2"});
  for (const auto& m : toVillage) ASSERT_TRUE(t.village.notices->receive(link::Peer::theParent(), m.type, m.body).isOk());
  t.down();
  EXPECT_TRUE(t.house2.notices->find(sent->notice.id)->has_value());
  EXPECT_FALSE(t.house1.store->get(sent->notice.id)->has_value());
  EXPECT_EQ(t.village.outbox->pending(link::Peer::child("house1")).value(), 0);
  t.up();
  ReceiptCounts c = t.counts(sent->notice.id);
  EXPECT_EQ(c.targeted, 1);
  EXPECT_EQ(c.delivered, 1);

  const auto refused = [&](std::vector<std::string> to) {
    auto r = t.township.notices->send({.user = "ann", .text = "x", .to = std::move(to)});
    return r.isOk() ? std::string("sent") : r.status().message();
  };
  EXPECT_THAT(refused({"village2.house2"}), ::testing::HasSubstr("does not start at a node directly below"));
  EXPECT_THAT(refused({"village1", "village1.house2"}), ::testing::HasSubstr("which is named whole"));
  EXPECT_THAT(refused({"village1.house2.x.y"}), ::testing::HasSubstr("node paths"));
  EXPECT_THAT(refused({"village1..house2"}), ::testing::HasSubstr("node paths"));
  EXPECT_THAT(t.village.notices->send({.user = "vic", .text = "x", .to = {"house2.cam"}}).status().message(),
              ::testing::HasSubstr("below a household"));
}

TEST(NoticesTest, AnExpiredNoticeIsNeitherPassedOnNorStoredNorShown) {
  Dirs d;
  Tree t(d);
  auto sent = t.township.notices->send(
      {.user = "ann", .text = "road closed", .expiresAt = t.clock.now() + std::chrono::microseconds(60s)});
  ASSERT_TRUE(sent.isOk());
  auto later = t.township.notices->send({.user = "ann", .text = "road open"});
  ASSERT_TRUE(later.isOk());
  t.township.deliver(t.village, "village1", link::Peer::theParent());
  EXPECT_TRUE(t.village.notices->find(sent->notice.id)->has_value());
  t.clock.advance(61s);
  EXPECT_FALSE(t.village.notices->find(sent->notice.id)->has_value());  // not shown
  EXPECT_EQ(t.village.notices->list(10)->size(), 1u);
  EXPECT_EQ(t.village.notices->seen(sent->notice.id).code(), StatusCode::kNotFound);
  // A household offline until after it expired: the village's outbox
  // gives it then, and the household drops it.
  t.village.deliver(t.house1, "house1", link::Peer::theParent());
  EXPECT_FALSE(t.house1.store->get(sent->notice.id)->has_value());
  EXPECT_TRUE(t.house1.store->get(later->notice.id)->has_value());
  EXPECT_EQ(t.house1.received, std::vector<std::string>{later->notice.id});

  // A relay that has it but has not passed it on before it expired drops it.
  auto third = t.township.notices->send(
      {.user = "ann", .text = "x", .expiresAt = t.clock.now() + std::chrono::microseconds(60s)});
  ASSERT_TRUE(third.isOk());
  const auto queued = t.township.take("village1");
  ASSERT_EQ(queued.size(), 1u);
  ASSERT_TRUE(t.village.store
                  ->add({.notice = *decodeNotice(queued[0].body), .storedAt = kStart, .deliveredAt = kStart,
                         .unsent = true},
                        {}, {{"house1"}}, {}, false)
                  .isOk());  // stored, then a kill -9 before it was queued
  t.clock.advance(61s);
  const int64_t before = t.village.outbox->pending(link::Peer::child("house1")).value();
  ASSERT_TRUE(t.village.notices->tick().isOk());
  EXPECT_EQ(t.village.outbox->pending(link::Peer::child("house1")).value(), before);
  EXPECT_TRUE(t.village.store->unsent()->empty());

  EXPECT_EQ(t.township.notices->send({.user = "ann", .text = "x", .expiresAt = t.clock.now()}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NoticesTest, WhatACrashLeftUnsentIsSentAtTheNextTick) {
  Dirs d;
  Tree t(d);
  const Notice n = sample();
  ASSERT_TRUE(t.township.store
                  ->add({.notice = n, .sent = true, .storedAt = kStart, .unsent = true}, {}, {{"village1"}}, {},
                        false)
                  .isOk());
  EXPECT_EQ(t.township.outbox->pending(link::Peer::child("village1")).value(), 0);
  ASSERT_TRUE(t.township.notices->tick().isOk());
  EXPECT_EQ(t.township.outbox->pending(link::Peer::child("village1")).value(), 1);
  ASSERT_TRUE(t.township.notices->tick().isOk());
  EXPECT_EQ(t.township.outbox->pending(link::Peer::child("village1")).value(), 1);  // once
}

// A record every node stores must decode again: an expiry past the year
// 9999 (given with an offset) or within the millisecond it was sent would
// be stored, then refuse to decode at every flush and listing.
TEST(NoticesTest, AnExpiryTheMessageCannotCarryIsRefusedAndNothingIsStored) {
  Dirs d;
  Tree t(d);
  auto far = WallTime::parseRfc3339("9999-12-31T23:59:59-23:59");
  ASSERT_TRUE(far.isOk());
  EXPECT_EQ(t.township.notices->send({.user = "ann", .text = "x", .expiresAt = *far}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(t.township.notices->send({.user = "ann", .text = "x", .expiresAt = t.clock.now() + 500us}).status().code(),
            StatusCode::kInvalidArgument);
  auto listed = t.township.notices->list(10);
  ASSERT_TRUE(listed.isOk()) << listed.status().toString();
  EXPECT_TRUE(listed->empty());
  EXPECT_TRUE(t.township.notices->tick().isOk());
}

// A notice here that cannot be queued (a store or outbox failure) is the
// thread's to retry: the messages of a child are still taken, else its
// outbox stream, its alarms included, would wait behind it for ever.
TEST(NoticesTest, ANoticeThatCannotBeQueuedHoldsBackNoMessageOfAChild) {
  Dirs d;
  Tree t(d);
  const std::string id = t.helloDown();
  Notice broken = sample();
  broken.expiresAt = 253402300799999 + 1;  // does not decode
  ASSERT_TRUE(t.village.store->add({.notice = broken, .sent = true, .storedAt = kStart, .unsent = true}, {},
                                   {{"house1"}}, {}, false)
                  .isOk());
  ASSERT_TRUE(t.house1.notices->seen(id).isOk());
  t.house1.deliver(t.village, "", link::Peer::child("house1"));  // each message taken
  const std::vector<Receipt> receipts = *t.village.store->receipts(id);
  EXPECT_TRUE(std::any_of(receipts.begin(), receipts.end(),
                          [](const Receipt& r) { return r.household.node == "house1" && r.household.seenAt != 0; }));
  EXPECT_FALSE(t.village.notices->tick().isOk());  // still failing: logged, retried
}

// A village is believed for the households below it, named by their
// path through it: two villages may each have a house1, and neither can
// touch the other's rows nor this node's own household's; and only up to
// a bound: it cannot inflate the counts without end nor fill the disk.
TEST(NoticesTest, ARelayingChildSpeaksOnlyForHouseholdsBelowItUpToABound) {
  Dirs d;
  Tree t(d, 3);
  t.township.kids.push_back({"house9", false});   // the township's own household
  t.township.kids.push_back({"village2", true});  // another village, with its own house1
  auto sent = t.township.notices->send({.user = "ann", .text = "hello"});
  ASSERT_TRUE(sent.isOk());
  t.down();
  t.up();
  EXPECT_EQ(t.counts(sent->notice.id).targeted, 3);  // village1.house1, village1.house2; house9
  const auto report = [&](const std::string& via, std::vector<std::string> nodes) {
    Receipts r{sent->notice.id, {}};
    for (const std::string& node : nodes) r.households.push_back({node, kStart, kStart});
    ASSERT_TRUE(t.township.notices->receive(link::Peer::child(via), kReceiptMessage, encode(r)).isOk());
  };
  report("village2", {"house1"});
  report("village1", {"house9"});  // village1's own house9, if any: not the township's
  std::map<std::string, int64_t> seen;
  const std::vector<Receipt> rows = *t.township.store->receipts(sent->notice.id);
  for (const Receipt& r : rows) seen[r.household.node] = r.household.seenAt;
  EXPECT_EQ(seen, (std::map<std::string, int64_t>{{"house9", 0},
                                                  {"village1.house1", 0},
                                                  {"village1.house2", 0},
                                                  {"village1.house9", kStart},
                                                  {"village2.house1", kStart}}));
  report("village1", {"house4", "house5"});  // past 3 through village1
  EXPECT_EQ(t.counts(sent->notice.id).targeted, 5);
  ASSERT_TRUE(t.house2.notices->seen(sent->notice.id).isOk());  // those it has still change
  t.up();
  EXPECT_EQ(t.counts(sent->notice.id).seen, 3);
}

// A notice whose audio never completes (a parent that stops after one
// chunk) holds no disk for ever: it goes a week after it expired.
TEST(NoticesTest, AReceivedNoticeGoesAWeekAfterItExpiredWholeOrNot) {
  Dirs d;
  Tree t(d);
  auto sent = t.township.notices->send({.user = "ann",
                                        .text = "x",
                                        .audio = std::vector<uint8_t>(100'000, 1),
                                        .audioType = "audio/ogg",
                                        .expiresAt = t.clock.now() + std::chrono::microseconds(1h)});
  ASSERT_TRUE(sent.isOk());
  const auto queued = t.township.take("village1");
  ASSERT_EQ(queued.size(), 4u);  // the notice, 3 chunks
  for (size_t i = 0; i < 2; ++i) {  // the notice and one chunk
    ASSERT_TRUE(t.village.notices->receive(link::Peer::theParent(), queued[i].type, queued[i].body).isOk());
  }
  EXPECT_FALSE(t.village.store->audio(sent->notice.id)->empty());
  t.clock.advance(1h + std::chrono::hours(24 * 7) - 1s);
  ASSERT_TRUE(t.village.notices->tick().isOk());
  EXPECT_TRUE(t.village.store->get(sent->notice.id)->has_value());  // late receipts may still come
  t.clock.advance(2s);
  ASSERT_TRUE(t.village.notices->tick().isOk());
  EXPECT_TRUE(t.village.store->get(sent->notice.id)->has_value());  // pruned once a minute
  t.clock.advance(60s);
  ASSERT_TRUE(t.village.notices->tick().isOk());
  EXPECT_FALSE(t.village.store->get(sent->notice.id)->has_value());
  EXPECT_TRUE(t.village.store->audio(sent->notice.id)->empty());
  EXPECT_TRUE(t.village.store->forwards(sent->notice.id)->empty());
  EXPECT_TRUE(t.village.store->receipts(sent->notice.id)->empty());
  EXPECT_TRUE(t.township.store->get(sent->notice.id)->has_value());  // what was sent stays
}

// A household's receipt times are its word: kept within the notice's
// sending and this node's clock + 5 min, and seen implies delivered.
TEST(NoticesTest, AChildsReceiptTimesStayBetweenTheSendingAndThisClock) {
  Dirs d;
  Tree t(d);
  const std::string id = t.helloDown();
  const auto report = [&](const std::string& house, int64_t delivered, int64_t seen) {
    ASSERT_TRUE(t.village.notices
                    ->receive(link::Peer::child(house), kReceiptMessage, encode(Receipts{id, {{house, delivered, seen}}}))
                    .isOk());
  };
  report("house1", 0, 253402300799999);  // seen in 9999, never delivered
  report("house2", 1, 0);                // delivered in 1970
  std::map<std::string, std::pair<int64_t, int64_t>> times;
  const std::vector<Receipt> rows = *t.village.store->receipts(id);
  for (const Receipt& r : rows) times[r.household.node] = {r.household.deliveredAt, r.household.seenAt};
  const int64_t ahead = kStart + 5 * 60'000;
  EXPECT_EQ(times["house1"], std::make_pair(ahead, ahead));
  EXPECT_EQ(times["house2"], std::make_pair(kStart, int64_t{0}));
}

TEST(NoticesTest, BadInputAndForgedReceiptsChangeNothing) {
  Dirs d;
  Tree t(d);
  EXPECT_EQ(t.house1.notices->send({.user = "gran", .text = "hello"}).status().code(), StatusCode::kPermissionDenied);
  for (const NewNotice& bad :
       {NewNotice{.user = "ann", .text = ""}, NewNotice{.user = "ann", .text = std::string(2001, 'x')},
        NewNotice{.user = "ann", .text = "x", .audio = {1, 2}},
        NewNotice{.user = "ann", .text = "x", .audio = {1, 2}, .audioType = "video/mp4"},
        NewNotice{.user = "ann", .text = "x", .audio = std::vector<uint8_t>(kMaxAudioBytes + 1), .audioType = "audio/ogg"},
        NewNotice{.user = "ann", .text = "x", .to = {"house9", "house9"}}, NewNotice{.user = "ann", .text = "x", .to = {"../"}}}) {
    EXPECT_EQ(t.township.notices->send(bad).status().code(), StatusCode::kInvalidArgument) << bad.text.size();
  }
  EXPECT_TRUE(t.township.notices->list(10)->empty());

  auto sent = t.township.notices->send({.user = "ann", .text = "hello"});
  ASSERT_TRUE(sent.isOk());
  t.down();
  // house1 speaking for house2 or house8, a child it was not sent to, a notice unknown, a notice from
  // a child, a receipt from the parent: refused, taken.
  const auto receipt = [&](const std::string& id, const std::string& node) {
    return encode(Receipts{id, {{node, kStart, kStart}}});
  };
  ASSERT_TRUE(t.village.notices->receive(link::Peer::child("house1"), kReceiptMessage, receipt(sent->notice.id, "house2")).isOk());
  ASSERT_TRUE(t.village.notices->receive(link::Peer::child("house7"), kReceiptMessage, receipt(sent->notice.id, "house7")).isOk());
  ASSERT_TRUE(t.village.notices->receive(link::Peer::child("house1"), kReceiptMessage, receipt(sent->notice.id, "house8")).isOk());
  ASSERT_TRUE(t.village.notices->receive(link::Peer::child("house1"), kReceiptMessage, receipt(std::string(32, 'f'), "house1")).isOk());
  ASSERT_TRUE(t.village.notices->receive(link::Peer::child("house1"), kNoticeMessage, encode(sample())).isOk());  // a notice goes down
  ASSERT_TRUE(t.village.notices->receive(link::Peer::theParent(), kReceiptMessage, receipt(sent->notice.id, "house1")).isOk());
  const std::vector<Receipt> receipts = *t.village.store->receipts(sent->notice.id);
  for (const Receipt& r : receipts) {
    EXPECT_EQ(r.household.seenAt, 0) << r.household.node;
  }
  EXPECT_FALSE(t.village.store->get(sample().id)->has_value());
  EXPECT_EQ(t.village.store->receipts(sent->notice.id)->size(), 2u);
}

}  // namespace
}  // namespace vigil::alarm
