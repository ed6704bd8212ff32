#include "link/catalog.h"

#include <gtest/gtest.h>

#include <set>

#include "link/wire.h"

namespace vigil::link {
namespace {

using access::ShareRight;

// A parent link that keeps what it is sent (from the catalog's thread too).
struct RecordingEndpoint : Endpoint {
  bool post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) override {
    MutexLock lock(mutex);
    sent.push_back(Frame{kind, channel, std::move(payload)});
    return true;
  }
  // Everything sent so far, decoded, in order; forgets it.
  std::vector<CatalogUpdate> take() {
    MutexLock lock(mutex);
    std::vector<CatalogUpdate> out;
    for (const Frame& f : sent) {
      EXPECT_EQ(f.kind, Kind::kCatalog);
      auto u = decodeCatalog(f.payload);
      EXPECT_TRUE(u.isOk()) << u.status().message();
      if (u) out.insert(out.end(), u->begin(), u->end());
    }
    sent.clear();
    return out;
  }
  Mutex mutex;
  std::vector<Frame> sent GUARDED_BY(mutex);
};

CatalogEntry entry(TierRights rights, std::string name = "Door") {
  return CatalogEntry{std::move(name), "Zhang family", "streaming", "h264", 1920, 1080, std::move(rights), std::nullopt, ""};
}

std::vector<uint8_t> message(const std::vector<CatalogUpdate>& updates) {
  auto payloads = encodeCatalog(updates);
  EXPECT_EQ(payloads.size(), 1u);
  return payloads.front();
}

std::vector<uint8_t> text(std::string_view s) { return {s.begin(), s.end()}; }

TEST(CatalogMessagesTest, UpdatesRoundTripAndSplitToFitFrames) {
  std::vector<CatalogUpdate> updates;
  for (int i = 0; i < 400; ++i) {
    updates.push_back({{"village1", "house" + std::to_string(i)},
                       "door",
                       entry({{Tier::kTownship, {ShareRight::kLive}}, {Tier::kCounty, {ShareRight::kLive, ShareRight::kExport}}},
                             std::string(128, 'n'))});
  }
  updates.push_back({{"village1"}, "gone", std::nullopt});
  updates[7].entry->codec = "";
  updates[8].entry->publicListing = PublicListing{std::string(kMaxCoversBytes, 'c'), "Zhang family", 30, 12};
  updates[9].entry->audio = "alaw";
  auto payloads = encodeCatalog(updates);
  ASSERT_GT(payloads.size(), 1u);
  std::vector<CatalogUpdate> decoded;
  for (const auto& p : payloads) {
    EXPECT_LE(p.size() + kHeaderBytes, kMaxFrameBytes);
    auto d = decodeCatalog(p);
    ASSERT_TRUE(d.isOk()) << d.status().message();
    decoded.insert(decoded.end(), d->begin(), d->end());
  }
  EXPECT_EQ(decoded, updates);
}

TEST(CatalogMessagesTest, TheDecoderRefusesWhatIsNotExactlyAnUpdateList) {
  const std::string good =
      R"({"path":["house1"],"camera":"door","entry":{"name":"Door","owner":"Zhang","state":"streaming",)"
      R"("codec":"h264","width":640,"height":480,"rights":{"village":["live"]}}})";
  ASSERT_TRUE(decodeCatalog(text(R"({"updates":[)" + good + "]}")).isOk());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "catalog: not JSON"},
      {R"({"updates":[]})", "updates: must be a list of 1 to 1000 updates"},
      {R"({"updates":[{"path":["house1"],"camera":"door","entry":null}],"more":1})", "catalog: unknown key \"more\""},
      {R"({"updates":[{"path":["House1"],"camera":"door","entry":null}]})",
       "updates[0].path[0]: must be 1 to 64 of a-z, 0-9, '_' and '-'"},
      {R"({"updates":[{"path":["house1.x"],"camera":"door","entry":null}]})",
       "updates[0].path[0]: must be 1 to 64 of a-z, 0-9, '_' and '-'"},
      {R"({"updates":[{"path":["a","b","c","d"],"camera":"door","entry":null}]})",
       "updates[0].path: must be a list of 1 to 3 node ids"},
      {R"({"updates":[{"path":[],"camera":"door","entry":null}]})", "updates[0].path: must be a list of 1 to 3 node ids"},
      {R"({"updates":[{"path":["house1"],"camera":"../door","entry":null}]})",
       "updates[0].camera: must be 1 to 64 of a-z, 0-9, '_' and '-'"},
      {R"({"updates":[{"path":["house1"],"entry":null}]})", "updates[0]: \"camera\" is required"},
  };
  for (const auto& [payload, why] : bad) {
    EXPECT_EQ(decodeCatalog(text(payload)).status().message(), why) << payload;
  }
  // One field of a good entry made wrong at a time.
  const std::vector<std::pair<std::pair<std::string, std::string>, std::string>> fields = {
      {{R"("name":"Door")", R"("name":"")"}, "updates[0].entry.name: 1 to 128 bytes of UTF-8, no control characters"},
      {{R"("name":"Door")", R"("name":"a\nb")"}, "updates[0].entry.name: 1 to 128 bytes of UTF-8, no control characters"},
      {{R"("owner":"Zhang")", R"("owner":7)"}, "updates[0].entry.owner: 1 to 128 bytes of UTF-8, no control characters"},
      {{R"("state":"streaming")", R"("state":"Up!")"}, "updates[0].entry.state: must be 1 to 32 of a-z and '_'"},
      {{R"("codec":"h264")", R"("codec":"vp8")"}, "updates[0].entry.codec: must be h264, h265 or null"},
      {{R"("width":640)", R"("width":-1)"}, "updates[0].entry.width: must be an integer 0..65535"},
      {{R"("height":480)", R"("height":70000)"}, "updates[0].entry.height: must be an integer 0..65535"},
      {{R"({"village":["live"]})", R"({})"}, "updates[0].entry.rights: must be an object with at least one tier"},
      {{R"({"village":["live"]})", R"({"household":["live"]})"},
       "updates[0].entry.rights.household: must be village, township or county"},
      {{R"({"village":["live"]})", R"({"village":[]})"}, "updates[0].entry.rights.village: must be a list of 1 to 4 rights"},
      {{R"({"village":["live"]})", R"({"village":["live","live"]})"},
       "updates[0].entry.rights.village: a right is given twice"},
      {{R"({"village":["live"]})", R"({"village":["watch"]})"},
       "updates[0].entry.rights.village: rights are live, playback, export and snapshot"},
      {{R"("height":480,)", R"("height":480,"extra":1,)"}, "updates[0].entry: unknown key \"extra\""},
      {{R"("height":480,)", R"("height":480,"public":null,)"}, "updates[0].entry.public: must be an object"},
      {{R"("height":480,)", R"("height":480,"audio":"mp3",)"}, "updates[0].entry.audio: must be aac, alaw or ulaw"},
      {{R"("height":480,)", R"("height":480,"audio":null,)"}, "updates[0].entry.audio: must be aac, alaw or ulaw"},
      {{R"("height":480,)", R"("height":480,"public":{"covers":"Lane","run_by":"Zhang","retention_days":30},)"},
       "updates[0].entry.public: \"looks_30d\" is required"},
      {{R"("height":480,)", R"("height":480,"public":{"covers":"","run_by":"Zhang","retention_days":30,"looks_30d":0},)"},
       "updates[0].entry.public.covers: 1 to 512 bytes of UTF-8, no control characters"},
      {{R"("height":480,)",
        R"("height":480,"public":{"covers":"Lane","run_by":"a\u0007","retention_days":30,"looks_30d":0},)"},
       "updates[0].entry.public.run_by: 1 to 128 bytes of UTF-8, no control characters"},
      {{R"("height":480,)",
        R"("height":480,"public":{"covers":"Lane","run_by":"Zhang","retention_days":36501,"looks_30d":0},)"},
       "updates[0].entry.public.retention_days: must be an integer 0..36500"},
      {{R"("height":480,)",
        R"("height":480,"public":{"covers":"Lane","run_by":"Zhang","retention_days":3,"looks_30d":-1},)"},
       "updates[0].entry.public.looks_30d: must be an integer 0..1000000000"},
      {{R"("height":480,)",
        R"("height":480,"public":{"covers":"Lane","run_by":"Zhang","retention_days":3,"looks_30d":1,"who":"x"},)"},
       "updates[0].entry.public: unknown key \"who\""},
  };
  for (const auto& [change, why] : fields) {
    std::string u = good;
    u.replace(u.find(change.first), change.first.size(), change.second);
    EXPECT_EQ(decodeCatalog(text(R"({"updates":[)" + u + "]}")).status().message(), why) << u;
  }
}

// A village (its parent a township) with one camera of its own.
class CatalogTest : public ::testing::Test {
 protected:
  CatalogTest()
      : catalog_(bus_, {"village1", "Willow village", Tier::kVillage, Tier::kTownship},
                 {[this] { return cameras_; },
                  [this](const std::string& camera) -> Result<TierRights> { return rights_[camera]; },
                  [this](const std::string& camera) -> std::optional<PublicListing> {
                    auto it = listings_.find(camera);
                    if (it == listings_.end()) return std::nullopt;
                    return it->second;
                  },
                  [this](const std::string& camera) { return masked_.count(camera) > 0; }}) {}

  Status fromChild(const std::string& child, const std::vector<CatalogUpdate>& updates) {
    return bus_.deliver(Peer::child(child), Frame{Kind::kCatalog, 0, message(updates)});
  }
  std::vector<std::string> listed() {
    std::vector<std::string> ids;
    for (const RemoteCamera& c : catalog_.cameras()) ids.push_back(c.id);
    return ids;
  }

  Bus bus_;
  std::vector<camera::CameraStatus> cameras_;
  std::map<std::string, TierRights> rights_;
  std::map<std::string, PublicListing> listings_;
  std::set<std::string> masked_;
  Catalog catalog_;
};

TEST_F(CatalogTest, AChildsEntriesAreListedUnderItsIdWithTheRightsOfThisTier) {
  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "door",
                                    entry({{Tier::kVillage, {ShareRight::kLive}}, {Tier::kCounty, {ShareRight::kExport}}})},
                                   {{"house1"}, "yard", entry({{Tier::kCounty, {ShareRight::kLive}}})}})
                  .isOk());
  auto cameras = catalog_.cameras();
  ASSERT_EQ(cameras.size(), 1u);  // the yard is for the county only
  EXPECT_EQ(cameras[0].id, "house1.door");
  EXPECT_EQ(cameras[0].nodePath, (std::vector<std::string>{"house1"}));
  EXPECT_EQ(cameras[0].entry.owner, "Zhang family");
  EXPECT_EQ(cameras[0].entry.rights, (TierRights{{Tier::kVillage, {ShareRight::kLive}}}));
  EXPECT_TRUE(catalog_.has("house1.door"));
  EXPECT_FALSE(catalog_.has("house1.yard"));
  EXPECT_FALSE(catalog_.has("house2.door"));
  EXPECT_FALSE(catalog_.has("door"));

  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "door", std::nullopt}}).isOk());
  EXPECT_TRUE(listed().empty());
}

TEST_F(CatalogTest, AChildCannotClaimAnotherChildsCamerasOrAForgedPath) {
  const TierRights village{{Tier::kVillage, {ShareRight::kLive}}};
  ASSERT_TRUE(fromChild("house2", {{{"house2"}, "door", entry(village)}}).isOk());
  // house1 claims house2's door, then a camera of its own beside the claim:
  // the whole message is refused (the link ends), nothing of it is kept.
  EXPECT_EQ(fromChild("house1", {{{"house1"}, "gate", entry(village)}, {{"house2"}, "door", entry(village, "Mine")}})
                .message(),
            "updates[1].path: must start at the sender, house1");
  EXPECT_EQ(fromChild("house1", {{{"house2"}, "door", std::nullopt}}).message(),
            "updates[0].path: must start at the sender, house1");
  EXPECT_EQ(fromChild("house1", {{{"village1", "house1"}, "door", entry(village)}}).message(),
            "updates[0].path: must start at the sender, house1");
  EXPECT_EQ(listed(), (std::vector<std::string>{"house2.door"}));
  EXPECT_EQ(catalog_.cameras()[0].entry.name, "Door");
}

TEST_F(CatalogTest, RightsForATierBelowThisNodeAreRefused) {
  // A village's child may name the village and the tiers above, nothing lower.
  Bus bus;
  Catalog township(bus, {"township1", "East township", Tier::kTownship, Tier::kCounty}, {});
  auto deliver = [&](TierRights rights) {
    return bus.deliver(Peer::child("village1"),
                       Frame{Kind::kCatalog, 0, message({{{"village1", "house1"}, "door", entry(std::move(rights))}})});
  };
  EXPECT_EQ(deliver({{Tier::kVillage, {ShareRight::kLive}}, {Tier::kCounty, {ShareRight::kLive}}}).message(),
            "updates[0].entry.rights: the village is not above this township");
  EXPECT_TRUE(township.cameras().empty());
  EXPECT_TRUE(deliver({{Tier::kTownship, {ShareRight::kPlayback}}}).isOk());
  ASSERT_EQ(township.cameras().size(), 1u);
  EXPECT_EQ(township.cameras()[0].id, "village1.house1.door");
  EXPECT_EQ(township.cameras()[0].nodePath, (std::vector<std::string>{"village1", "house1"}));
}

TEST_F(CatalogTest, AChildsLinkGoingDownOrUpDropsWhatItHeld) {
  auto link = std::make_shared<RecordingEndpoint>();
  bus_.attach(Peer::child("house1"), link);
  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "door", entry({{Tier::kVillage, {ShareRight::kLive}}})}}).isOk());
  EXPECT_EQ(listed().size(), 1u);
  bus_.detach(Peer::child("house1"), link.get());
  EXPECT_TRUE(listed().empty());
  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "door", entry({{Tier::kVillage, {ShareRight::kLive}}})}}).isOk());
  bus_.attach(Peer::child("house1"), link);  // a reconnection: the child sends everything again
  EXPECT_TRUE(listed().empty());
}

TEST_F(CatalogTest, OnlyWhatTheTiersAboveMaySeeGoesUpAndOnlyChanges) {
  auto parent = std::make_shared<RecordingEndpoint>();
  camera::CameraStatus hall;
  hall.id = "hall";
  hall.name = "Village hall";
  hall.state = camera::CameraState::kRetrying;
  cameras_ = {hall};
  rights_["hall"] = {{Tier::kTownship, {ShareRight::kSnapshot}}};
  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "door",
                                    entry({{Tier::kVillage, {ShareRight::kLive}}, {Tier::kCounty, {ShareRight::kLive}}})},
                                   {{"house1"}, "yard", entry({{Tier::kVillage, {ShareRight::kLive}}})}})
                  .isOk());
  catalog_.sync();  // no parent link yet: nothing to send
  bus_.attach(Peer::theParent(), parent);
  catalog_.sync();
  auto sent = parent->take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].path, (std::vector<std::string>{"village1"}));
  EXPECT_EQ(sent[0].camera, "hall");
  EXPECT_EQ(sent[0].entry->owner, "Willow village");
  EXPECT_EQ(sent[0].entry->state, "retrying");
  EXPECT_EQ(sent[0].entry->codec, "");
  EXPECT_EQ(sent[1].path, (std::vector<std::string>{"village1", "house1"}));
  EXPECT_EQ(sent[1].camera, "door");
  EXPECT_EQ(sent[1].entry->owner, "Zhang family");
  EXPECT_EQ(sent[1].entry->rights, (TierRights{{Tier::kCounty, {ShareRight::kLive}}}));  // the village's stays here

  catalog_.sync();
  EXPECT_TRUE(parent->take().empty());  // nothing changed

  // The hall's share is revoked and the door goes offline.
  rights_["hall"] = {};
  auto offline = entry({{Tier::kVillage, {ShareRight::kLive}}, {Tier::kCounty, {ShareRight::kLive}}});
  offline.state = "retrying";
  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "door", offline}}).isOk());
  catalog_.sync();
  sent = parent->take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].camera, "door");
  EXPECT_EQ(sent[0].entry->state, "retrying");
  EXPECT_EQ(sent[1].camera, "hall");
  EXPECT_FALSE(sent[1].entry.has_value());

  // A new connection to the parent gets everything again.
  bus_.attach(Peer::theParent(), parent);
  catalog_.sync();
  sent = parent->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].camera, "door");

  // The child's link goes down: its cameras leave the parent too.
  auto child = std::make_shared<RecordingEndpoint>();
  bus_.attach(Peer::child("house1"), child);
  bus_.detach(Peer::child("house1"), child.get());
  catalog_.sync();
  sent = parent->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].camera, "door");
  EXPECT_FALSE(sent[0].entry.has_value());
}

// A camera goes up as public only when its owner listed it; a child's
// listing passes on unchanged, and the register sees every listed camera
// below whatever this tier's own rights.
TEST_F(CatalogTest, APublicListingGoesUpOnlyAsItsOwnerSetItAndPassesOnUnchanged) {
  auto parent = std::make_shared<RecordingEndpoint>();
  bus_.attach(Peer::theParent(), parent);
  camera::CameraStatus hall, office;
  hall.id = "hall";
  office.id = "office";
  cameras_ = {hall, office};
  rights_["hall"] = rights_["office"] = {{Tier::kTownship, {ShareRight::kLive}}};
  const PublicListing square{"The square in front of the hall", "Willow village committee", 30, 2};
  listings_["hall"] = square;
  auto lane = entry({{Tier::kTownship, {ShareRight::kSnapshot}}});
  lane.publicListing = PublicListing{"The lane to the well", "Zhang family", 7, 5};
  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "lane", lane},
                                   {{"house1"}, "door", entry({{Tier::kVillage, {ShareRight::kLive}}})}})
                  .isOk());
  catalog_.sync();
  std::map<std::string, std::optional<PublicListing>> sent;
  for (const CatalogUpdate& u : parent->take()) sent[u.camera] = u.entry->publicListing;
  EXPECT_EQ(sent, (std::map<std::string, std::optional<PublicListing>>{
                      {"hall", square}, {"office", std::nullopt}, {"lane", lane.publicListing}}));

  auto listed = catalog_.publicCameras();
  ASSERT_EQ(listed.size(), 1u);  // the lane, though only the township may look at it
  EXPECT_EQ(listed[0].id, "house1.lane");
  EXPECT_EQ(listed[0].entry.rights, lane.rights);

  listings_.erase("hall");  // the owner takes it off the register
  catalog_.sync();
  auto changed = parent->take();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].camera, "hall");
  EXPECT_FALSE(changed[0].entry->publicListing.has_value());
}

// The node above learns which cameras have sound (its camera page offers
// "Sound on"); a camera with privacy masks sends none up, so lists none.
TEST_F(CatalogTest, ACamerasSoundIsListedUnlessItHasMasks) {
  auto parent = std::make_shared<RecordingEndpoint>();
  bus_.attach(Peer::theParent(), parent);
  camera::CameraStatus hall, office, shed;
  hall.id = "hall";
  hall.audio = media::AudioParameters{media::AudioCodec::kAac, 16000, 1, media::aacLcAudioSpecificConfig(16000, 1)};
  office.id = "office";
  office.audio = media::AudioParameters{media::AudioCodec::kPcma, 8000, 1, {}};
  shed.id = "shed";
  cameras_ = {hall, office, shed};
  rights_["hall"] = rights_["office"] = rights_["shed"] = {{Tier::kTownship, {ShareRight::kLive}}};
  masked_.insert("office");
  auto lane = entry({{Tier::kTownship, {ShareRight::kLive}}});
  lane.audio = "ulaw";
  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "lane", lane}}).isOk());
  catalog_.sync();
  std::map<std::string, std::string> sent;
  for (const CatalogUpdate& u : parent->take()) sent[u.camera] = u.entry->audio;
  EXPECT_EQ(sent, (std::map<std::string, std::string>{{"hall", "aac"}, {"office", ""}, {"shed", ""}, {"lane", "ulaw"}}));
}

TEST_F(CatalogTest, TheThreadSendsAChangeSoon) {
  auto parent = std::make_shared<RecordingEndpoint>();
  bus_.attach(Peer::theParent(), parent);
  catalog_.start();
  ASSERT_TRUE(fromChild("house1", {{{"house1"}, "door", entry({{Tier::kCounty, {ShareRight::kLive}}})}}).isOk());
  std::vector<CatalogUpdate> sent;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);  // loose: the debounce is 50 ms
  while (sent.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    sent = parent->take();
  }
  catalog_.stop();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].path, (std::vector<std::string>{"village1", "house1"}));
}

}  // namespace
}  // namespace vigil::link
