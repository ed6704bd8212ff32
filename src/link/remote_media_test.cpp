#include "link/remote_media.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "access/sqlite_store.h"
#include "link/at_source.h"
#include "link/media_messages.h"
#include "link/test_asks.h"
#include "link/test_endpoint.h"
#include "link/test_keys.h"

namespace vigil::link {
namespace {

using namespace std::chrono_literals;

using Recorder = testing::RecordingEndpoint;

// What came up for one request: its head, its body, its end.
struct Reply {
  std::optional<MediaHead> head;
  std::vector<uint8_t> body;
  std::optional<std::string> end;
};
Reply replyOf(const std::vector<Frame>& frames, uint32_t request) {
  Reply r;
  for (const Frame& f : frames) {
    if (f.channel != request) continue;
    auto part = decodeMediaReply(f.payload);
    EXPECT_TRUE(part.isOk()) << part.status().toString();
    if (!part) continue;
    if (part->part == MediaPart::kHead) r.head = part->head;
    if (part->part == MediaPart::kBody) r.body.insert(r.body.end(), part->body.begin(), part->body.end());
    if (part->part == MediaPart::kEnd) r.end = part->reason;
  }
  return r;
}

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>((i * 7 + i / 251) & 0xff);
  return out;
}

// A household that owns "door", with an export.mp4 of 1 MiB and a
// recordings list, under a village that asks with crafted messages.
class RemoteMediaTest : public ::testing::Test {
 protected:
  static constexpr size_t kExportBytes = 1 << 20;
  void SetUp() override {
    auto store = access::SqliteAccessStore::open((keys_.dir() / "access.db").string());
    ASSERT_TRUE(store) << store.status().toString();
    store_ = std::move(*store);
    audit_ = std::make_unique<access::AuditLog>(*store_, SystemClock::instance());
    shares_ = std::make_unique<access::CameraShares>(*store_, *audit_, SystemClock::instance());
    media_ = std::make_unique<RemoteMedia>(LooksContext{
        .bus = &bus_,
        .shares = shares_.get(),
        .audit = audit_.get(),
        .askers = [this](std::string_view id, Tier tier) -> std::optional<PinnedAsker> {
          if (id != "village1" || tier != Tier::kVillage) return std::nullopt;
          return PinnedAsker{village_.publicKey(), {"village1"}};
        },
        .cameraExists = [](std::string_view id) { return id == "door"; },
        .masked = [this](std::string_view) { return doorMasked_; },
        .selfId = "house7",
        .selfTier = Tier::kHousehold,
        .parentTier = Tier::kVillage});
    media_->serve({.rightFor = [](std::string_view path) -> std::optional<access::ShareRight> {
                     if (path == "export.mp4") return access::ShareRight::kExport;
                     if (path == "recordings") return access::ShareRight::kPlayback;
                     return std::nullopt;
                   },
                   .serve = [this](const MediaAsk& ask) {
                     {
                       std::lock_guard lock(asksMutex_);
                       asks_.push_back(ask);
                     }
                     if (whileBuilding_) whileBuilding_();
                     MediaAnswer a;
                     a.head = {200, "video/mp4", body_.size(), true, {}, "attachment; filename=\"door.mp4\"", {}};
                     a.read = [this](uint64_t offset, size_t length) -> Result<std::vector<uint8_t>> {
                       reads_ += 1;
                       return std::vector<uint8_t>(body_.begin() + static_cast<std::ptrdiff_t>(offset),
                                                   body_.begin() + static_cast<std::ptrdiff_t>(offset + length));
                     };
                     return a;
                   },
                   .masksKept = [](std::string_view, std::string_view path) { return path == "recordings"; }});
    bus_.attach(Peer::theParent(), parent_);
  }
  void TearDown() override { media_.reset(); }
  void share(const std::string& json) {
    auto parsed = access::parseShares(json);
    ASSERT_TRUE(parsed) << parsed.status().toString();
    ASSERT_TRUE(shares_->replace({"adm", "cli"}, "door", *parsed).isOk());
  }
  Status fromParent(Kind kind, std::vector<uint8_t> payload) {
    return bus_.deliver(Peer::theParent(), Frame{kind, 0, std::move(payload)});
  }
  // As the village signs it.
  MediaOpen ask(uint32_t request, std::string path, uint64_t window) const {
    return signed_(MediaOpen{request, "door", std::move(path), "start=a&end=b", {}, {}, "desk", {"village1"},
                             Tier::kVillage, window});
  }
  MediaOpen signed_(MediaOpen m) const { return testing::signedBy(village_, "house7", std::move(m)); }
  // Waits (bounded) until `done` holds for what came up for `request`.
  Reply waitFor(uint32_t request, const std::function<bool(const Reply&)>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    Reply r = replyOf(parent_->of(Kind::kMediaReply), request);
    while (!done(r) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      r = replyOf(parent_->of(Kind::kMediaReply), request);
    }
    return r;
  }
  std::vector<access::AuditRow> rows(const std::string& action) {
    auto all = audit_->query({});
    EXPECT_TRUE(all.isOk());
    std::vector<access::AuditRow> out;
    for (auto& row : *all) {
      if (row.action == action) out.push_back(row);
    }
    return out;
  }

  testing::TestKeys keys_;
  const access::NodeKey village_ = keys_.key("village1");  // the parent pinned here
  std::unique_ptr<access::SqliteAccessStore> store_;
  std::unique_ptr<access::AuditLog> audit_;
  std::unique_ptr<access::CameraShares> shares_;
  std::function<void()> whileBuilding_;  // run by the route while it builds its answer
  Bus bus_;
  std::shared_ptr<Recorder> parent_ = std::make_shared<Recorder>();
  const std::vector<uint8_t> body_ = pattern(kExportBytes);
  std::atomic<int> reads_{0};
  std::mutex asksMutex_;
  std::vector<MediaAsk> asks_;
  bool doorMasked_ = false;  // set before SetUp(): the door has privacy masks
  std::unique_ptr<RemoteMedia> media_;
};

class MaskedRemoteMediaTest : public RemoteMediaTest {
 protected:
  MaskedRemoteMediaTest() { doorMasked_ = true; }
};

TEST_F(MaskedRemoteMediaTest, AMaskedCamerasPicturesAreRefusedAndItsListServed) {
  share(R"([{"tier": "village", "rights": ["playback", "export"]}])");
  ASSERT_TRUE(fromParent(Kind::kMediaOpen, encode(ask(1, "export.mp4", 1 << 20))).isOk());
  ASSERT_TRUE(fromParent(Kind::kMediaOpen, encode(ask(2, "recordings", 1 << 20))).isOk());
  Reply exported = waitFor(1, [](const Reply& got) { return got.end.has_value(); });
  ASSERT_TRUE(exported.head);
  EXPECT_EQ(exported.head->status, 403);
  EXPECT_EQ(exported.head->reason, kMaskedNotShared);
  EXPECT_TRUE(exported.body.empty());
  Reply listed = waitFor(2, [](const Reply& got) { return got.end.has_value(); });
  ASSERT_TRUE(listed.head);
  EXPECT_EQ(listed.head->status, 200);
  std::lock_guard lock(asksMutex_);
  ASSERT_EQ(asks_.size(), 1u);  // the export's route never ran
  EXPECT_EQ(asks_[0].path, "recordings");
}

TEST_F(RemoteMediaTest, ABodyComesUpNoFasterThanItsCreditWholeAndInOrder) {
  share(R"([{"tier": "village", "rights": ["export"]}])");
  constexpr uint64_t kWindow = 128 << 10;
  ASSERT_TRUE(fromParent(Kind::kMediaOpen, encode(ask(9, "export.mp4", kWindow))).isOk());
  Reply r = waitFor(9, [](const Reply& got) { return got.body.size() >= kWindow; });
  ASSERT_TRUE(r.head);
  EXPECT_EQ(r.head->status, 200);
  EXPECT_EQ(r.head->length, kExportBytes);
  EXPECT_EQ(r.head->disposition, "attachment; filename=\"door.mp4\"");
  std::this_thread::sleep_for(200ms);
  r = replyOf(parent_->of(Kind::kMediaReply), 9);
  EXPECT_EQ(r.body.size(), kWindow);  // not a byte past the window
  EXPECT_FALSE(r.end);
  // The reader grants what it took, step by step, to the end.
  for (uint64_t granted = kWindow; granted < kExportBytes; granted += kWindow) {
    ASSERT_TRUE(fromParent(Kind::kMediaCredit, encode(MediaCredit{9, kWindow})).isOk());
    r = waitFor(9, [&](const Reply& got) { return got.body.size() >= std::min<uint64_t>(granted + kWindow, kExportBytes); });
    ASSERT_LE(r.body.size(), granted + kWindow);
  }
  r = waitFor(9, [](const Reply& got) { return got.end.has_value(); });
  ASSERT_TRUE(r.end);
  EXPECT_EQ(*r.end, "");  // whole
  EXPECT_EQ(r.body, body_);
  // The route ran for the remote user, its rows to carry who asked.
  std::lock_guard lock(asksMutex_);
  ASSERT_EQ(asks_.size(), 1u);
  EXPECT_EQ(asks_[0].user, "desk@village1");
  EXPECT_EQ(asks_[0].query, "start=a&end=b");
  EXPECT_EQ(nlohmann::json::parse(asks_[0].look),
            (nlohmann::json{{"remote", true}, {"tier", "village"}, {"via", {"village1"}}, {"right", "export"}}));
  EXPECT_EQ(media_->openFromAbove(), 0u);
}

TEST_F(RemoteMediaTest, TheOwnerRefusesWhatItsSharesDoNotAllowAndLogsIt) {
  share(R"([{"tier": "village", "rights": ["playback"]}])");
  // Playback is shared, export is not: the path decides the right, not the asker.
  ASSERT_TRUE(fromParent(Kind::kMediaOpen, encode(ask(1, "export.mp4", 1 << 20))).isOk());
  ASSERT_TRUE(fromParent(Kind::kMediaOpen, encode(ask(2, "snapshot.jpg", 1 << 20))).isOk());
  Reply refused = waitFor(1, [](const Reply& got) { return got.end.has_value(); });
  ASSERT_TRUE(refused.head);
  EXPECT_EQ(refused.head->status, 403);
  EXPECT_EQ(refused.head->reason, "export not shared with the village");
  EXPECT_TRUE(refused.body.empty());
  Reply unknown = waitFor(2, [](const Reply& got) { return got.end.has_value(); });
  ASSERT_TRUE(unknown.head);
  EXPECT_EQ(unknown.head->status, 404);
  EXPECT_EQ(reads_.load(), 0);
  auto logged = rows(access::audit_kind::kRefused);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].user, "desk@village1");
  EXPECT_EQ(logged[0].camera, "door");
  auto detail = nlohmann::json::parse(logged[0].detail);
  EXPECT_EQ(detail["right"], "export");
  EXPECT_EQ(detail["reason"], "export not shared with the village");
  EXPECT_EQ(media_->openFromAbove(), 0u);
}

// A node above that keeps asking what it may not have (the same ask, many
// users, many cameras) gets every ask refused, but cannot flood the
// owner's log: the refusals are counted into a bounded number of rows.
TEST_F(RemoteMediaTest, AFloodOfRefusedAsksIsCountedIntoFewRows) {
  share(R"([{"tier": "village", "rights": ["playback"]}])");
  const std::vector<std::string> via{"village1"};
  uint32_t request = 0;
  auto refuse = [&](const std::string& camera, const std::string& user) {
    ++request;
    const MediaOpen open = signed_({request, camera, "export.mp4", "", {}, {}, user, via, Tier::kVillage, 1 << 20});
    ASSERT_TRUE(fromParent(Kind::kMediaOpen, encode(open)).isOk());
    Reply r = waitFor(request, [](const Reply& got) { return got.end.has_value(); });
    ASSERT_TRUE(r.head);
    EXPECT_EQ(r.head->status, 403);
  };
  constexpr int kEach = 200;
  for (int i = 0; i < kEach; ++i) refuse("door", "desk");
  for (int i = 0; i < kEach; ++i) refuse("door", fmt::format("user{}", i));
  for (int i = 0; i < kEach; ++i) refuse(fmt::format("cam{}", i), "desk");
  media_.reset();  // the tally writes what it still counts
  auto logged = rows(access::audit_kind::kRefused);
  int64_t counted = 0;
  for (const auto& row : logged) counted += nlohmann::json::parse(row.detail).value("refused", int64_t{0});
  EXPECT_EQ(counted, 3 * kEach);
  EXPECT_LT(logged.size(), 130u);  // one row each would be 600
  // The first refusal of an asker is written at once, with who and what.
  ASSERT_FALSE(logged.empty());
  const auto& first = logged.back();  // newest first
  EXPECT_EQ(first.user, "desk@village1");
  EXPECT_EQ(first.camera, "door");
  EXPECT_EQ(nlohmann::json::parse(first.detail)["refused"], 1);
}

TEST_F(RemoteMediaTest, RevokingTheRightCutsABodyInProgress) {
  share(R"([{"tier": "village", "rights": ["export"]}])");
  ASSERT_TRUE(fromParent(Kind::kMediaOpen, encode(ask(4, "export.mp4", 128 << 10))).isOk());
  Reply r = waitFor(4, [](const Reply& got) { return got.body.size() >= (128 << 10); });
  ASSERT_EQ(r.body.size(), 128u << 10);
  share("[]");
  r = waitFor(4, [](const Reply& got) { return got.end.has_value(); });
  ASSERT_TRUE(r.end);
  EXPECT_EQ(*r.end, "revoked: not shared with the village");
  // Credit after the cut sends nothing more.
  ASSERT_TRUE(fromParent(Kind::kMediaCredit, encode(MediaCredit{4, 1 << 20})).isOk());
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(replyOf(parent_->of(Kind::kMediaReply), 4).body.size(), 128u << 10);
  EXPECT_EQ(media_->openFromAbove(), 0u);
}

// The owner decides, then its route builds the reply (a big export takes
// a while): a share revoked meanwhile lets no byte of it go up. Either
// the check after the build answers 403, or the share change's recheck
// cuts the request first (an end, no head): both send nothing of it.
TEST_F(RemoteMediaTest, ARevocationWhileTheRouteBuildsTheReplyLetsNoByteGo) {
  share(R"([{"tier": "village", "rights": ["export"]}])");
  whileBuilding_ = [this] { share("[]"); };
  ASSERT_TRUE(fromParent(Kind::kMediaOpen, encode(ask(6, "export.mp4", 1 << 20))).isOk());
  Reply r = waitFor(6, [](const Reply& got) { return got.end.has_value(); });
  ASSERT_TRUE(r.end);
  if (r.head) {
    EXPECT_EQ(r.head->status, 403);
    EXPECT_EQ(r.head->reason, "revoked: not shared with the village");
  } else {
    EXPECT_TRUE(r.end->starts_with("revoked: ")) << *r.end;
  }
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(reads_.load(), 0);
  EXPECT_EQ(media_->openFromAbove(), 0u);
}

// A village between township1 (its pinned parent) and house7.
class RemoteMediaPassThrough : public ::testing::Test {
 protected:
  void SetUp() override {
    bus.attach(Peer::theParent(), parent);
    bus.attach(Peer::child("house7"), child);
  }
  Bus bus;
  std::shared_ptr<Recorder> parent = std::make_shared<Recorder>();
  std::shared_ptr<Recorder> child = std::make_shared<Recorder>();
  RemoteMedia village{LooksContext{.bus = &bus, .selfId = "village1", .selfTier = Tier::kVillage,
                                   .parentTier = Tier::kTownship, .parentId = "township1"}};
};

// A village between the county and house7: it passes requests down and
// replies up unread, but counts body bytes against the credit it passed.
TEST_F(RemoteMediaPassThrough, RepliesGoUpUnreadAndNoFasterThanTheirCredit) {
  MediaOpen open{77, "house7.door", "export.mp4", "", "bytes=0-", "", "desk", {"county1", "township1"}, Tier::kCounty,
                 kMediaChunkBytes};
  ASSERT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kMediaOpen, 0, encode(open)}).isOk());
  auto down = child->of(Kind::kMediaOpen);
  ASSERT_EQ(down.size(), 1u);
  auto passed = decodeMediaOpen(down[0].payload);
  ASSERT_TRUE(passed);
  EXPECT_EQ(passed->camera, "door");
  EXPECT_EQ(passed->range, "bytes=0-");
  EXPECT_EQ(passed->via, (std::vector<std::string>{"county1", "township1", "village1"}));
  const uint32_t id = passed->request;

  auto reply = [&](std::vector<uint8_t> part) {
    return bus.deliver(Peer::child("house7"), Frame{Kind::kMediaReply, id, std::move(part)});
  };
  MediaHead head{206, "video/mp4", 2 * kMediaChunkBytes, true, "bytes 0-1/2", {}, {}};
  ASSERT_TRUE(reply(encodeMediaHead(head)).isOk());
  const std::vector<uint8_t> chunk(kMediaChunkBytes, 0x5a);
  ASSERT_TRUE(reply(encodeMediaBody(chunk)).isOk());
  auto up = parent->of(Kind::kMediaReply);
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[0].channel, 77u);
  EXPECT_EQ(up[1].payload, encodeMediaBody(chunk));
  // One chunk past the window: the child broke the protocol.
  EXPECT_EQ(reply(encodeMediaBody(std::vector<uint8_t>(1, 1))).code(), StatusCode::kInvalidArgument);
  // Credit from above goes down, under the village's id.
  ASSERT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kMediaCredit, 0, encode(MediaCredit{77, kMediaChunkBytes})})
                  .isOk());
  auto credits = child->of(Kind::kMediaCredit);
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(decodeMediaCredit(credits[0].payload)->request, id);
  ASSERT_TRUE(reply(encodeMediaEnd("revoked: export not shared with the county")).isOk());
  EXPECT_EQ(parent->of(Kind::kMediaReply).size(), 3u);
  EXPECT_EQ(village.openFromAbove(), 0u);
}

// A node passing replies up checks their order and the credit from above,
// so a bad child ends its own link, not an honest one further up.
TEST_F(RemoteMediaPassThrough, AReplyOutOfOrderOrCreditPastTheWindowIsTheSendersFault) {
  uint32_t request = 77;
  auto open = [&]() -> uint32_t {
    MediaOpen m{request++, "house7.door", "export.mp4", "", "", "", "desk", {"township1"}, Tier::kTownship,
                kMediaChunkBytes};
    EXPECT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kMediaOpen, 0, encode(m)}).isOk());
    return decodeMediaOpen(child->of(Kind::kMediaOpen).back().payload)->request;
  };
  auto reply = [&](uint32_t id, std::vector<uint8_t> part) {
    return bus.deliver(Peer::child("house7"), Frame{Kind::kMediaReply, id, std::move(part)});
  };
  const MediaHead head{200, "video/mp4", 1, true, {}, {}, {}};
  const uint32_t first = open();
  EXPECT_EQ(reply(first, encodeMediaBody(std::vector<uint8_t>(1, 1))).code(), StatusCode::kInvalidArgument);
  const uint32_t second = open();
  ASSERT_TRUE(reply(second, encodeMediaHead(head)).isOk());
  EXPECT_EQ(reply(second, encodeMediaHead(head)).code(), StatusCode::kInvalidArgument);
  const uint32_t third = open();  // the parent's request 79
  EXPECT_EQ(reply(third, {9, 9, 9}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parent->of(Kind::kMediaReply).size(), 1u);  // the one good head went up
  // A parent granting past the largest window breaks the protocol too.
  EXPECT_EQ(bus.deliver(Peer::theParent(), Frame{Kind::kMediaCredit, 0, encode(MediaCredit{79, kMaxMediaWindow})}).code(),
            StatusCode::kInvalidArgument);
}

// A path that does not end at the parent pinned here, or a tier below it,
// is refused before anything is asked or passed down.
TEST_F(RemoteMediaPassThrough, AnAskNotFromThePinnedParentIsRefused) {
  auto ask = [&](uint32_t request, std::vector<std::string> via, Tier tier) {
    MediaOpen m{request, "house7.door", "export.mp4", "", "", "", "desk", std::move(via), tier, kMediaChunkBytes};
    EXPECT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kMediaOpen, 0, encode(m)}).isOk());
  };
  ask(1, {"county1"}, Tier::kCounty);                 // the township left out of the path
  ask(2, {"county1", "township1"}, Tier::kVillage);   // below the parent
  EXPECT_TRUE(child->of(Kind::kMediaOpen).empty());
  ASSERT_EQ(parent->of(Kind::kMediaReply).size(), 4u);  // a head and an end each
  ask(3, {"county1", "township1"}, Tier::kCounty);
  EXPECT_EQ(child->of(Kind::kMediaOpen).size(), 1u);
}

// The asking node: fetch() waits for the head, read() takes the body in
// order and grants it again; a cut ends the reading with its reason.
TEST(RemoteMediaFetch, ReadsInOrderGrantsCreditAndReportsACut) {
  Bus bus;
  auto child = std::make_shared<Recorder>();
  RemoteMedia county(LooksContext{.bus = &bus, .selfId = "county1", .selfTier = Tier::kCounty});
  bus.attach(Peer::child("township1"), child);
  std::thread owner([&] {
    for (int i = 0; i < 500 && child->of(Kind::kMediaOpen).empty(); ++i) std::this_thread::sleep_for(10ms);
    auto open = decodeMediaOpen(child->of(Kind::kMediaOpen).at(0).payload);
    ASSERT_TRUE(open);
    auto send = [&](std::vector<uint8_t> part) {
      return bus.deliver(Peer::child("township1"), Frame{Kind::kMediaReply, open->request, std::move(part)});
    };
    EXPECT_TRUE(send(encodeMediaHead({200, "video/mp4", 1 << 20, true, {}, {}, {}})).isOk());
    const auto body = pattern(RemoteMedia::kWindow);
    for (size_t at = 0; at < body.size(); at += kMediaChunkBytes) {
      const size_t n = std::min<size_t>(kMediaChunkBytes, body.size() - at);
      EXPECT_TRUE(send(encodeMediaBody(std::span(body).subspan(at, n))).isOk());
    }
    EXPECT_TRUE(send(encodeMediaEnd("revoked: export not shared with the county")).isOk());
  });
  auto transfer = county.fetch({"township1.village1.house7.door", "export.mp4", "", "", "", "admin"}, 5s);
  ASSERT_TRUE(transfer) << transfer.status().toString();
  EXPECT_EQ((*transfer)->head().length, 1u << 20);
  owner.join();
  // The end came already: a cut drops what is buffered.
  auto cut = (*transfer)->read(1000, 1s);
  EXPECT_EQ(cut.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(cut.status().message(), "revoked: export not shared with the county");
}

TEST(MediaMessages, RoundTripAndRefusals) {
  MediaOpen open{5, "house7.door", "playback/12.m4s", "start=2026-01-01T00:00:00Z", "bytes=0-99", "\"e1\"",
                 "desk", {"county1"}, Tier::kCounty, 1 << 20};
  auto back = decodeMediaOpen(encode(open));
  ASSERT_TRUE(back) << back.status().toString();
  EXPECT_EQ(back->path, "playback/12.m4s");
  EXPECT_EQ(back->range, "bytes=0-99");
  EXPECT_EQ(back->ifRange, "\"e1\"");
  EXPECT_EQ(back->window, 1u << 20);
  auto refused = [](std::string text) {
    auto r = decodeMediaOpen(std::vector<uint8_t>(text.begin(), text.end()));
    return r.isOk() ? std::string("accepted") : r.status().message();
  };
  const std::string rest = R"("query":"","user":"u","via":["c1"],"tier":"county","camera":"door")";
  EXPECT_EQ(refused(R"({"request":1,"path":"playback/../x","window":65536,)" + rest + "}"),
            "path: must be segments of [A-Za-z0-9._-] joined by '/'");
  EXPECT_EQ(refused(R"({"request":1,"path":"a//b","window":65536,)" + rest + "}"),
            "path: must be segments of [A-Za-z0-9._-] joined by '/'");
  EXPECT_EQ(refused(R"({"request":0,"path":"export.mp4","window":65536,)" + rest + "}"), "request: must not be 0");
  EXPECT_EQ(refused(R"({"request":1,"path":"export.mp4","window":99999999,)" + rest + "}"), "window: at most 16777216");
  EXPECT_EQ(refused(R"({"request":1,"path":"export.mp4","window":1,)" + rest + "}"),
            "window: at least 65523 bytes");
  EXPECT_EQ(refused(R"({"request":1,"path":"export.mp4","window":65536,"range":"a\nb",)" + rest + "}"),
            "range: printable ASCII only");

  auto head = decodeMediaReply(encodeMediaHead({206, "video/mp4", 100, true, "bytes 0-99/500", "attachment", {}}));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->part, MediaPart::kHead);
  EXPECT_EQ(head->head.contentRange, "bytes 0-99/500");
  const std::string longReason(400, 'x');
  auto end = decodeMediaReply(encodeMediaEnd(longReason));
  ASSERT_TRUE(end);  // clipped, not refused
  EXPECT_EQ(end->reason.size(), 256u);
  EXPECT_FALSE(decodeMediaReply(std::vector<uint8_t>{}));
  EXPECT_FALSE(decodeMediaReply(std::vector<uint8_t>{2}));  // an empty body part
  EXPECT_FALSE(decodeMediaReply(std::vector<uint8_t>{9, '{', '}'}));
  const std::string badHead = "\x01{\"status\":42,\"type\":\"x\",\"length\":0,\"ranges\":false}";
  EXPECT_FALSE(decodeMediaReply(std::vector<uint8_t>(badHead.begin(), badHead.end())));
  EXPECT_EQ(decodeMediaCredit(encode(MediaCredit{3, 4096}))->bytes, 4096u);
  EXPECT_EQ(decodeMediaCancel(encode(MediaCancel{3}))->request, 3u);
}

}  // namespace
}  // namespace vigil::link
