#include "link/looks.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "access/sqlite_store.h"
#include "link/at_source.h"
#include "link/look_messages.h"
#include "link/test_asks.h"
#include "link/stream_frames.h"
#include "link/test_endpoint.h"
#include "link/test_keys.h"

namespace vigil::link {
namespace {

using namespace std::chrono_literals;

// A household that owns "door" and "gate", under a village, attacked by
// its parent with crafted look messages.
class LooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = access::SqliteAccessStore::open((keys_.dir() / "access.db").string());
    ASSERT_TRUE(store) << store.status().toString();
    store_ = std::move(*store);
    audit_ = std::make_unique<access::AuditLog>(*store_, SystemClock::instance());
    shares_ = std::make_unique<access::CameraShares>(*store_, *audit_, SystemClock::instance());
    loopThread_ = std::thread([this] { loop_.run(); });
    LooksContext context{
        .bus = &bus_,
        .live = &live_,
        .shares = shares_.get(),
        .audit = audit_.get(),
        .askers = [this](std::string_view id, Tier tier) -> std::optional<PinnedAsker> {
          if (id != "village1" || tier != Tier::kVillage) return std::nullopt;
          return PinnedAsker{village_.publicKey(), {"village1"}};
        },
        .cameraExists = [](std::string_view id) { return id == "door" || id == "gate"; },
        .selfId = "house7",
        .selfTier = Tier::kHousehold,
        .parentTier = Tier::kVillage,
        .loop = &loop_,
        .recheck = 100ms};
    withMasks(context);
    looks_ = std::make_unique<RemoteLooks>(std::move(context));
    bus_.attach(Peer::theParent(), parent_);
  }
  // What a test of privacy masks adds to the owner's context.
  virtual void withMasks(LooksContext&) {}
  void TearDown() override {
    looks_.reset();
    work_.reset();
    loop_.stop();
    loopThread_.join();
  }
  void share(const std::string& camera, const std::string& json) {
    auto parsed = access::parseShares(json);
    ASSERT_TRUE(parsed) << parsed.status().toString();
    ASSERT_TRUE(shares_->replace({"adm", "cli"}, camera, *parsed).isOk());
  }
  Status fromParent(Kind kind, std::vector<uint8_t> payload) {
    return bus_.deliver(Peer::theParent(), Frame{kind, 0, std::move(payload)});
  }
  // As the village signs it.
  LookOpen ask(uint64_t id, std::string camera, access::ShareRight right) const {
    return testing::signedBy(village_, "house7", LookOpen{id, std::move(camera), right, "desk", {"village1"}, Tier::kVillage});
  }
  // The answer to look `id`, and what it refused (bounded wait).
  std::optional<LookAnswer> answerTo(uint64_t id) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const Frame& f : parent_->of(Kind::kLookAnswer)) {
        auto a = decodeLookAnswer(f.payload);
        if (a && a->look == id) return *a;
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }
  // Waits (bounded) until `n` messages of `kind` went up.
  std::vector<Frame> waitFor(Kind kind, size_t n, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (parent_->of(kind).size() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return parent_->of(kind);
  }
  void publishKeyframes(const std::string& camera, int count) { publishKeyframes(*live_.stream(camera), count, 0x88); }
  // Keyframes whose slice's second byte is `mark`.
  static void publishKeyframes(media::LiveStream& stream, int count, uint8_t mark) {
    auto params = std::make_shared<media::VideoParameters>();
    params->sps = {{0x67, 0x42, 0x00, 0x1e}};
    params->pps = {{0x68, 0xce}};
    for (int i = 0; i < count; ++i) {
      media::Frame f;
      f.pts = MediaTime(i * 3600);
      f.keyframe = true;
      f.data = {0, 0, 0, 2, 0x65, mark};
      f.params = params;
      stream.publish(f, i == 0);
    }
  }
  // AAC frames of the camera's sound, 1024 samples at 16 kHz apart, from `pts`.
  void publishSound(const std::string& camera, int count, int64_t pts) {
    auto stream = live_.stream(media::liveAudioStreamOf(camera));
    for (int i = 0; i < count; ++i) {
      media::Frame f;
      f.pts = MediaTime(pts + i * 5760);
      f.keyframe = true;
      f.data = {0x21, 0x10, static_cast<uint8_t>(i)};
      f.audio = sound_;
      stream->publish(f, i == 0);
    }
  }
  // The frames that went up on a look's channel, decoded.
  std::vector<media::SharedFrame> framesUp(uint32_t channel) {
    StreamDecoder decoder;
    std::vector<media::SharedFrame> out;
    for (const Frame& f : parent_->of(Kind::kData)) {
      if (f.channel != channel) continue;
      auto frame = decoder.push(f.payload);
      EXPECT_TRUE(frame.isOk());
      if (frame && *frame) out.push_back((*frame)->frame);
    }
    return out;
  }
  std::vector<media::SharedFrame> waitFramesUp(uint32_t channel, size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (framesUp(channel).size() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    return framesUp(channel);
  }

  const std::shared_ptr<const media::AudioParameters> sound_ = std::make_shared<const media::AudioParameters>(
      media::AudioParameters{media::AudioCodec::kAac, 16000, 1, media::aacLcAudioSpecificConfig(16000, 1)});

  testing::TestKeys keys_;
  const access::NodeKey village_ = keys_.key("village1");  // the parent pinned here
  std::unique_ptr<access::SqliteAccessStore> store_;
  std::unique_ptr<access::AuditLog> audit_;
  std::unique_ptr<access::CameraShares> shares_;
  media::LiveRegistry live_;
  boost::asio::io_context loop_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      boost::asio::make_work_guard(loop_)};
  std::thread loopThread_;
  Bus bus_;
  std::shared_ptr<testing::RecordingEndpoint> parent_ = std::make_shared<testing::RecordingEndpoint>();
  std::unique_ptr<RemoteLooks> looks_;
};

TEST_F(LooksTest, ALookIdReusedBeforeTheAnswerGetsNoFramesOfTheCameraFirstAsked) {
  share("door", R"([{"tier": "village", "rights": ["live"]}])");
  // Another writer holds the access database: the owner's first decision
  // waits on its audit row while the parent closes the look and opens the
  // same id again for a camera not shared with it.
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open((keys_.dir() / "access.db").string().c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(5, "door", access::ShareRight::kLive))).isOk());
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(fromParent(Kind::kLookClose, encode(LookClose{5})).isOk());
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(5, "gate", access::ShareRight::kLive))).isOk());
  sqlite3_exec(writer, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(writer);
  auto answers = waitFor(Kind::kLookAnswer, 1);
  ASSERT_EQ(answers.size(), 1u);  // the first open was closed before its answer
  auto answer = decodeLookAnswer(answers.back().payload);
  ASSERT_TRUE(answer);
  EXPECT_FALSE(answer->ok);
  EXPECT_EQ(answer->reason, "not shared with the village");
  publishKeyframes("door", 3);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(parent_->of(Kind::kData).empty());  // no feed left behind for the door
  EXPECT_EQ(looks_->openFromAbove(), 0u);
}

// A feed's frames go up only after the answer naming its channel: a
// parent that got them first would drop them (no feed on that channel
// yet), and its viewer would wait up to a GOP for the next keyframe.
TEST_F(LooksTest, ALooksFramesGoUpOnlyAfterItsAnswer) {
  share("door", R"([{"tier": "village", "rights": ["live"]}])");
  publishKeyframes("door", 3);  // the cached GOP a feed starts with
  // The owner's worker is slow to hand the answer to the link (preempted).
  parent_->beforePost = [](Kind kind) {
    if (kind == Kind::kLookAnswer) std::this_thread::sleep_for(300ms);
  };
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(1, "door", access::ShareRight::kLive))).isOk());
  ASSERT_FALSE(waitFor(Kind::kData, 1).empty());
  std::lock_guard lock(parent_->mutex);
  ASSERT_FALSE(parent_->sent.empty());
  EXPECT_EQ(parent_->sent.front().kind, Kind::kLookAnswer);  // before any frame of its feed
}

// The camera's sound rides its pictures' channel, behind the answer like
// them, its latest frame before the first picture (the viewer above takes
// a sound track only when sound comes first), with its parameters.
TEST_F(LooksTest, ACamerasSoundGoesUpOnItsPicturesChannelAfterTheAnswer) {
  share("door", R"([{"tier": "village", "rights": ["live"]}])");
  publishKeyframes("door", 1);
  publishSound("door", 2, 1000);  // the cache keeps the latest
  parent_->beforePost = [](Kind kind) {
    if (kind == Kind::kLookAnswer) std::this_thread::sleep_for(300ms);
  };
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(1, "door", access::ShareRight::kLive))).isOk());
  auto answer = answerTo(1);
  ASSERT_TRUE(answer && answer->ok);
  auto up = waitFramesUp(answer->channel, 2);
  ASSERT_EQ(up.size(), 2u);
  {
    std::lock_guard lock(parent_->mutex);
    EXPECT_EQ(parent_->sent.front().kind, Kind::kLookAnswer);  // before any frame of its feed, sound included
  }
  ASSERT_TRUE(up[0]->audio);
  EXPECT_EQ(*up[0]->audio, *sound_);
  EXPECT_EQ(up[0]->pts, MediaTime(1000 + 5760));
  EXPECT_EQ(up[0]->data.back(), 1);
  EXPECT_FALSE(up[1]->audio);
  EXPECT_TRUE(up[1]->keyframe);
  publishSound("door", 1, 20000);
  up = waitFramesUp(answer->channel, 3);
  ASSERT_EQ(up.size(), 3u);
  ASSERT_TRUE(up[2]->audio);
  EXPECT_EQ(up[2]->pts, MediaTime(20000));
}

// A local user's live look at "shed.door", a camera of the child "shed",
// which accepts it on channel 7.
Result<std::unique_ptr<RemoteLooks::Look>> lookAtTheShedsDoor(Bus& bus, RemoteLooks& looks) {
  auto shed = std::make_shared<testing::RecordingEndpoint>();
  bus.attach(Peer::child("shed"), shed);
  Result<std::unique_ptr<RemoteLooks::Look>> look = Status::unavailable("not asked");
  std::thread asking([&] { look = looks.open({"shed.door", access::ShareRight::kLive, "desk"}, [](std::string) {}); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (shed->of(Kind::kLookOpen).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  // (Asked as a household would: the decoder takes only the tiers that have children.)
  auto opens = shed->of(Kind::kLookOpen);
  if (!opens.empty()) {
    const auto open = nlohmann::json::parse(opens[0].payload);
    const LookAnswer answer{open.at("look").get<uint64_t>(), true, "", 7};
    EXPECT_TRUE(bus.deliver(Peer::child("shed"), Frame{Kind::kLookAnswer, 0, encode(answer)}).isOk());
  }
  asking.join();
  return look;
}

// A snapshot is one picture: a look for it takes no sound up, even while
// its feed's pictures go (a live look on the same feed hears it again).
TEST_F(LooksTest, ASnapshotLookTakesNoSoundUp) {
  share("door", R"([{"tier": "village", "rights": ["snapshot", "live"]}])");
  publishKeyframes("door", 1);
  publishSound("door", 2, 1000);
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(1, "door", access::ShareRight::kSnapshot))).isOk());
  auto snapshot = answerTo(1);
  ASSERT_TRUE(snapshot && snapshot->ok);
  ASSERT_FALSE(waitFramesUp(snapshot->channel, 1).empty());
  publishSound("door", 1, 20000);
  publishKeyframes("door", 1);  // a frame after the sound: once it is up, so would the sound be
  auto up = waitFramesUp(snapshot->channel, 2);
  ASSERT_EQ(up.size(), 2u);
  for (const auto& f : up) EXPECT_FALSE(f->audio) << "pts " << f->pts.ticks();

  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(2, "door", access::ShareRight::kLive))).isOk());
  auto live = answerTo(2);
  ASSERT_TRUE(live && live->ok);
  EXPECT_EQ(live->channel, snapshot->channel);  // one feed per camera
  publishSound("door", 1, 30000);
  bool heard = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!heard && std::chrono::steady_clock::now() < deadline) {
    for (const auto& f : framesUp(live->channel)) heard = heard || f->audio;
    if (!heard) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(heard);
}

// A node above publishes what comes from below: the pictures under the
// camera's dotted id, its sound beside them, that stream made as the look
// is accepted (a viewer asking for sound finds it before the first frame).
TEST_F(LooksTest, SoundFromBelowIsPublishedBesideItsPictures) {
  auto look = lookAtTheShedsDoor(bus_, *looks_);
  ASSERT_TRUE(look) << look.status().toString();
  auto sound = live_.find(media::liveAudioStreamOf("shed.door"));
  ASSERT_TRUE(sound);
  std::vector<media::LiveItem> heard, seen;
  auto listener = sound->subscribe([] {});
  auto viewer = live_.stream("shed.door")->subscribe([] {});
  StreamEncoder encoder;
  std::vector<std::vector<uint8_t>> payloads;
  media::Frame audio;
  audio.pts = MediaTime(500);
  audio.keyframe = true;
  audio.data = {0x21, 0x10, 0x42};
  audio.audio = sound_;
  encoder.encode(audio, true, payloads);
  media::Frame picture;
  picture.keyframe = true;
  picture.data = {0, 0, 0, 2, 0x65, 0x88};
  picture.params = std::make_shared<media::VideoParameters>(media::VideoParameters{.sps = {{0x67, 0x42, 0x00, 0x1e}}, .pps = {{0x68, 0xce}}});
  encoder.encode(picture, true, payloads);
  for (auto& p : payloads) ASSERT_TRUE(bus_.deliver(Peer::child("shed"), Frame{Kind::kData, 7, std::move(p)}).isOk());
  ASSERT_TRUE(listener->pop(heard).isOk());
  ASSERT_TRUE(viewer->pop(seen).isOk());
  ASSERT_EQ(heard.size(), 1u);
  ASSERT_TRUE(heard[0].frame->audio);
  EXPECT_EQ(*heard[0].frame->audio, *sound_);
  EXPECT_EQ(heard[0].frame->data, audio.data);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].frame->audio);
  EXPECT_EQ(seen[0].frame->data, picture.data);
}

// At a node on the way, the answer from below is handed to the parent's
// connection by a handler on that connection's loop (where frames going up
// are drained). A frame published between the feed's start and that
// hand-off has its drain posted before the answer, and the feed is
// announced before that drain runs: its frames still follow the answer.
TEST_F(LooksTest, FramesPublishedBeforeTheAnswerReachedTheLinkStillFollowIt) {
  auto kid = std::make_shared<testing::RecordingEndpoint>();
  bus_.attach(Peer::child("kid"), kid);
  parent_->loop = &loop_;
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(1, "kid.door", access::ShareRight::kLive))).isOk());
  auto opens = kid->of(Kind::kLookOpen);
  ASSERT_EQ(opens.size(), 1u);
  auto open = decodeLookOpen(opens.front().payload);
  ASSERT_TRUE(open);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  parent_->beforePost = [&](Kind kind) {
    if (kind != Kind::kLookAnswer) return;
    // The loop is busy (held until the answer is handed over): what is
    // posted to it now waits there in order.
    boost::asio::post(loop_, [released] { released.wait_for(10s); });
    publishKeyframes(*live_.stream("kid.door"), 1, 0x88);  // its drain is posted before the answer
  };
  ASSERT_TRUE(bus_.deliver(Peer::child("kid"), Frame{Kind::kLookAnswer, 0, encode(LookAnswer{open->look, true, "", 7})})
                  .isOk());
  release.set_value();  // the answer was handed over and the feed announced
  ASSERT_FALSE(waitFor(Kind::kData, 1).empty());
  std::lock_guard lock(parent_->mutex);
  ASSERT_FALSE(parent_->sent.empty());
  EXPECT_EQ(parent_->sent.front().kind, Kind::kLookAnswer);  // before any frame of its feed
}

// A child's sound is taken at the pace of its own clock: a flood of
// G.711 (each second of it transcoded for every listener at this node)
// is dropped beyond a short lead over the wall clock.
TEST_F(LooksTest, SoundFromBelowFasterThanItsClockIsDropped) {
  auto look = lookAtTheShedsDoor(bus_, *looks_);
  ASSERT_TRUE(look) << look.status().toString();
  auto listener = live_.find(media::liveAudioStreamOf("shed.door"))->subscribe([] {});
  const auto alaw = std::make_shared<const media::AudioParameters>(media::AudioParameters{media::AudioCodec::kPcma, 8000, 1, {}});
  StreamEncoder encoder;
  const auto started = std::chrono::steady_clock::now();
  constexpr int kSeconds = 60;
  for (int i = 0; i < kSeconds; ++i) {  // a second of sound each
    media::Frame second;
    second.pts = MediaTime(int64_t{i} * MediaDuration::kTicksPerSecond);
    second.keyframe = true;
    second.data.assign(8000, 0xd5);
    second.audio = alaw;
    std::vector<std::vector<uint8_t>> payloads;
    encoder.encode(second, i == 0, payloads);
    for (auto& p : payloads) ASSERT_TRUE(bus_.deliver(Peer::child("shed"), Frame{Kind::kData, 7, std::move(p)}).isOk());
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<media::LiveItem> heard;
  ASSERT_TRUE(listener->pop(heard).isOk());
  EXPECT_GE(heard.size(), 1u);
  // The lead (2 s) and the time the flood took, not the minute it claims.
  EXPECT_LE(static_cast<double>(heard.size()), took + 2.0 + 1.0) << "took " << took << " s";
}

TEST_F(LooksTest, ASnapshotLookEndsOnItsOwnAndRecordingsAreNotLooks) {
  share("door", R"([{"tier": "village", "rights": ["snapshot", "playback"]}])");
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(1, "door", access::ShareRight::kPlayback))).isOk());
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(2, "door", access::ShareRight::kSnapshot))).isOk());
  auto answers = waitFor(Kind::kLookAnswer, 2);
  ASSERT_EQ(answers.size(), 2u);
  auto playback = decodeLookAnswer(answers[0].payload);
  ASSERT_TRUE(playback);
  EXPECT_FALSE(playback->ok);
  EXPECT_EQ(playback->reason, "recordings are asked as recorded media (kMediaOpen), not as looks");
  auto snapshot = decodeLookAnswer(answers[1].payload);
  ASSERT_TRUE(snapshot);
  EXPECT_TRUE(snapshot->ok);
  // Never closed by the parent: the owner ends it, not a live view in disguise.
  auto ends = waitFor(Kind::kLookEnd, 1, 15s);
  ASSERT_EQ(ends.size(), 1u);
  auto end = decodeLookEnd(ends[0].payload);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->look, 2u);
  EXPECT_EQ(end->reason, "snapshot taken");
  EXPECT_EQ(looks_->openFromAbove(), 0u);
}

TEST_F(LooksTest, ALookIdOpenTwiceEndsTheLink) {
  share("door", R"([{"tier": "village", "rights": ["live"]}])");
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(3, "door", access::ShareRight::kLive))).isOk());
  EXPECT_EQ(fromParent(Kind::kLookOpen, encode(ask(3, "door", access::ShareRight::kLive))).code(),
            StatusCode::kInvalidArgument);
}

// The owner takes an ask only as signed by the node it names, with the key
// and tier pinned here for that node: a village that claims the county's
// tier, an unsigned ask, another node's signature, an ask changed on the
// way, a stale one and a replay are each refused and written as refused.
TEST_F(LooksTest, AnAskIsTakenOnlyAsSignedByThePinnedNodeItNamesAtItsTier) {
  share("door", R"([{"tier": "village", "rights": ["live"]}, {"tier": "county", "rights": ["live", "snapshot"]}])");
  const auto refusedWith = [&](uint64_t id, const std::string& reason) {
    auto a = answerTo(id);
    ASSERT_TRUE(a) << id;
    EXPECT_FALSE(a->ok) << id;
    EXPECT_EQ(a->reason, reason) << id;
  };
  // The village signs, with its own key, a look it says the county asked.
  LookOpen forged = testing::signedBy(
      village_, "house7", LookOpen{1, "door", access::ShareRight::kSnapshot, "desk", {"village1"}, Tier::kCounty});
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(forged)).isOk());
  refusedWith(1, "no node village1 of the county tier is pinned above this node");
  LookOpen unsigned_ = ask(2, "door", access::ShareRight::kLive);
  unsigned_.proof.reset();
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(unsigned_)).isOk());
  refusedWith(2, "the ask is not signed by village1");
  // Signed by a household's key (a child's signature used above).
  LookOpen other = testing::signedBy(keys_.key("house8"), "house7",
                                     LookOpen{3, "door", access::ShareRight::kSnapshot, "desk", {"village1"}, Tier::kVillage});
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(other)).isOk());
  refusedWith(3, "the ask's signature is not village1's");
  LookOpen changed = ask(4, "gate", access::ShareRight::kLive);
  changed.camera = "door";
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(changed)).isOk());
  refusedWith(4, "the ask's signature is not village1's");
  AskTerms old = testing::whoAsks("house7", "door", "desk", {"village1"}, Tier::kVillage);
  old.kind = "look";
  old.what = "live";
  old.atMs = static_cast<uint64_t>(SystemClock::instance().now().unixMicros() / 1000 - 600'000);
  const auto signature = village_.sign(askStatement(old));
  LookOpen stale{5, "door", access::ShareRight::kLive, "desk", {"village1"}, Tier::kVillage, AskProof{old.atMs, {}, {}}};
  std::copy(signature.begin(), signature.end(), stale.proof->signature.begin());
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(stale)).isOk());
  refusedWith(5, "the ask was made -600 s away from this node's clock");
  // Taken once; the same signed ask under another look id is a replay.
  LookOpen taken = ask(6, "door", access::ShareRight::kLive);
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(taken)).isOk());
  auto first = answerTo(6);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->ok) << first->reason;
  taken.look = 7;
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(taken)).isOk());
  refusedWith(7, "the ask was taken before (replayed)");
  auto rows = audit_->query({});
  ASSERT_TRUE(rows);
  size_t refused = 0;
  for (const auto& row : *rows) {
    if (row.action == access::audit_kind::kRefused) ++refused;
  }
  EXPECT_EQ(refused, 6u);
}

// "door" has privacy masks; "gate" has none. Without a masked live
// stream (maskedLive null) the door's live and snapshot looks are refused.
class MaskedLooksTest : public LooksTest {
 protected:
  void withMasks(LooksContext& context) override {
    context.masked = [](std::string_view id) { return id == "door"; };
    if (!withMaskedStream_) return;
    context.maskedLive = [this](const std::string& camera) -> Result<std::shared_ptr<media::LiveStream>> {
      EXPECT_EQ(camera, "door");
      auto held = masked_.lock();
      if (!held) {
        held = std::make_shared<media::LiveStream>("door masked", media::LiveOptions{}, SystemClock::instance());
        masked_ = held;
      }
      return held;
    };
  }
  bool withMaskedStream_ = false;
  std::weak_ptr<media::LiveStream> masked_;
};

TEST_F(MaskedLooksTest, AMaskedCameraWithoutItsMaskedStreamIsRefusedAndSendsNothing) {
  share("door", R"([{"tier": "village", "rights": ["live", "snapshot"]}])");
  share("gate", R"([{"tier": "village", "rights": ["live"]}])");
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(1, "door", access::ShareRight::kLive))).isOk());
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(2, "door", access::ShareRight::kSnapshot))).isOk());
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(3, "gate", access::ShareRight::kLive))).isOk());
  auto answers = waitFor(Kind::kLookAnswer, 3);
  ASSERT_EQ(answers.size(), 3u);
  std::map<uint64_t, LookAnswer> byLook;
  for (const Frame& f : answers) {
    auto a = decodeLookAnswer(f.payload);
    ASSERT_TRUE(a);
    byLook[a->look] = *a;
  }
  EXPECT_FALSE(byLook[1].ok);
  EXPECT_EQ(byLook[1].reason, kMaskedNotShared);
  EXPECT_FALSE(byLook[2].ok);
  EXPECT_EQ(byLook[2].reason, kMaskedNotShared);
  EXPECT_TRUE(byLook[3].ok);  // a camera without masks is shared as before
  publishKeyframes("door", 3);
  std::this_thread::sleep_for(300ms);
  for (const Frame& f : parent_->of(Kind::kData)) EXPECT_EQ(f.channel, byLook[3].channel);  // none of the door
}

class MaskedStreamLooksTest : public MaskedLooksTest {
 protected:
  MaskedStreamLooksTest() { withMaskedStream_ = true; }
};

TEST_F(MaskedStreamLooksTest, AMaskedCameraSendsItsMaskedStreamOnlyHeldWhileLooked) {
  share("door", R"([{"tier": "village", "rights": ["live", "snapshot"]}])");
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(1, "door", access::ShareRight::kLive))).isOk());
  ASSERT_TRUE(fromParent(Kind::kLookOpen, encode(ask(2, "door", access::ShareRight::kSnapshot))).isOk());
  auto answers = waitFor(Kind::kLookAnswer, 2);
  ASSERT_EQ(answers.size(), 2u);
  auto first = decodeLookAnswer(answers[0].payload);
  auto second = decodeLookAnswer(answers[1].payload);
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->ok) << first->reason;
  ASSERT_TRUE(second->ok) << second->reason;
  EXPECT_EQ(first->channel, second->channel);  // one feed for both looks
  auto masked = masked_.lock();
  ASSERT_TRUE(masked);
  publishKeyframes("door", 3);  // the raw stream: never sent up
  publishSound("door", 3, 100);  // nor the sound of a camera with masks
  publishKeyframes(*masked, 3, 0x99);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (framesUp(first->channel).size() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(200ms);
  auto up = framesUp(first->channel);
  ASSERT_EQ(up.size(), 3u);
  for (const auto& f : up) {
    EXPECT_EQ(f->data.back(), 0x99);
    EXPECT_FALSE(f->audio);
  }
  masked.reset();
  ASSERT_TRUE(fromParent(Kind::kLookClose, encode(LookClose{1})).isOk());
  ASSERT_TRUE(fromParent(Kind::kLookClose, encode(LookClose{2})).isOk());
  const auto released = std::chrono::steady_clock::now() + 10s;
  while (!masked_.expired() && std::chrono::steady_clock::now() < released) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(masked_.expired());  // the last look gone, the masked stream is let go
}

}  // namespace
}  // namespace vigil::link
