#include "link/ancestors.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "link/at_source.h"
#include "link/test_endpoint.h"
#include "link/test_keys.h"

namespace vigil::link {
namespace {

using namespace std::chrono_literals;

// county1 -> township1 -> village1 -> house7, each enrolled by the one above.
class ChainTest : public ::testing::Test {
 protected:
  ChainNode root() const { return {"county1", Tier::kCounty, county_.publicKey(), 0, std::nullopt}; }
  static ChildRecord record(const std::string& id, Tier tier, const access::NodeKey& key, int64_t enrolledUs) {
    return {id, id, tier, key.publicKey(), WallTime::fromUnixMicros(enrolledUs), std::nullopt};
  }
  Chain fullChain(int64_t townshipEnrolled = 1000) const {
    return {root(), vouchFor(county_, "county1", record("township1", Tier::kTownship, township_, townshipEnrolled)),
            vouchFor(township_, "township1", record("village1", Tier::kVillage, village_, 2000)),
            vouchFor(village_, "village1", record("house7", Tier::kHousehold, house_, 3000))};
  }
  ChainNode house() const { return {"house7", Tier::kHousehold, house_.publicKey(), 0, std::nullopt}; }
  // "take", "keep", or why it was refused.
  static std::string outcome(const Result<bool>& r) {
    if (!r) return "refused: " + r.status().message();
    return *r ? "take" : "keep";
  }
  ParentRecord village() const { return {"https://v", "village1", "Village", Tier::kVillage, village_.publicKey(), {}}; }

  testing::TestKeys keys_;
  const access::NodeKey county_ = keys_.key("county1");
  const access::NodeKey township_ = keys_.key("township1");
  const access::NodeKey village_ = keys_.key("village1");
  const access::NodeKey house_ = keys_.key("house7");
};

TEST_F(ChainTest, AChainVerifiesOnlyWhenEachNodeIsVouchedForByTheOneAbove) {
  const Chain chain = fullChain();
  EXPECT_TRUE(verifyChain(chain).isOk());
  auto decoded = decodeChain(encodeChain(chain));
  ASSERT_TRUE(decoded) << decoded.status().toString();
  EXPECT_EQ(*decoded, chain);

  Chain promoted = chain;  // the village says it is a county
  promoted[2].tier = Tier::kCounty;
  EXPECT_FALSE(verifyChain(promoted).isOk());
  Chain rekeyed = chain;  // the village's vouch over another key
  rekeyed[2].key = house_.publicKey();
  EXPECT_EQ(verifyChain(rekeyed).message(), "chain: village1 is not vouched for by the key of township1");
  Chain selfMade = chain;  // the village vouches for a township of its own making
  selfMade[1] = vouchFor(village_, "county1", record("township1", Tier::kTownship, village_, 1000));
  EXPECT_FALSE(verifyChain(selfMade).isOk());

  // Strict decoding: no vouch for the root, one for every other node, 2 to 4 nodes.
  Chain vouchedRoot = chain;
  vouchedRoot[0].vouch = chain[1].vouch;
  EXPECT_FALSE(decodeChain(encodeChain(vouchedRoot)));
  Chain unvouched = chain;
  unvouched[3].vouch.reset();
  EXPECT_FALSE(decodeChain(encodeChain(unvouched)));
  EXPECT_FALSE(decodeChain(encodeChain({root()})));
  Chain five = chain;
  five.push_back(chain.back());
  EXPECT_FALSE(decodeChain(encodeChain(five)));
  const std::string extra = R"({"chain":[{"id":"a","tier":"county","key":")" + std::string(64, '0') +
                            R"(","enrolled_at":0,"admin":true}]})";
  EXPECT_FALSE(decodeChain(std::span(reinterpret_cast<const uint8_t*>(extra.data()), extra.size())));
}

TEST_F(ChainTest, AChildPinsItsFirstChainAndTakesAnotherOnlyAnchoredInIt) {
  const Chain pinned = fullChain();
  // The first: it must end here, under the parent pinned at enrolment.
  EXPECT_EQ(outcome(takeChain(std::nullopt, pinned, house(), village())), "take");
  ParentRecord countyParent = village();
  countyParent.tier = Tier::kCounty;  // a parent that claims another tier than it had
  EXPECT_FALSE(takeChain(std::nullopt, pinned, house(), countyParent));
  ChainNode other = house();
  other.id = "house8";
  EXPECT_FALSE(takeChain(std::nullopt, pinned, other, village()));
  EXPECT_EQ(outcome(takeChain(pinned, pinned, house(), village())), "keep");  // nothing new

  // The township enrolled again with a new key: vouched for by the county
  // pinned here, later than the pinned enrolment.
  const access::NodeKey newTownship = keys_.key("township1-new");
  Chain reEnrolled = pinned;
  reEnrolled[1] = vouchFor(county_, "county1", record("township1", Tier::kTownship, newTownship, 5000));
  reEnrolled[2] = vouchFor(newTownship, "township1", record("village1", Tier::kVillage, village_, 6000));
  EXPECT_EQ(outcome(takeChain(pinned, reEnrolled, house(), village())), "take");
  // ...but not back: the old vouch is older than the one now pinned.
  EXPECT_EQ(outcome(takeChain(reEnrolled, pinned, house(), village())),
            "refused: chain: township1 is not enrolled later than the township1 pinned here");
  // Another root cannot be slipped in above by a node below it.
  const access::NodeKey fake = keys_.key("fake");
  Chain newRoot = {ChainNode{"county1", Tier::kCounty, fake.publicKey(), 0, std::nullopt},
                   vouchFor(fake, "county1", record("township1", Tier::kTownship, township_, 9000)),
                   pinned[2], pinned[3]};
  EXPECT_FALSE(takeChain(pinned, newRoot, house(), village()));
}

// The owner's view: who may ask, at which tier, by which path.
TEST_F(ChainTest, AncestorsFindEachPinnedNodeAtItsTierWithThePathDown) {
  auto store = LinkStore::open((keys_.dir() / "link.db").string());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->setParent(village()).isOk());
  Bus bus;
  auto parent = std::make_shared<testing::RecordingEndpoint>();
  Ancestors ancestors(AncestorsContext{.bus = &bus, .store = store->get(), .key = &house_, .selfId = "house7",
                                       .selfTier = Tier::kHousehold, .parent = village()});
  // Before any chain: the parent alone, at its pinned tier.
  EXPECT_TRUE(ancestors.find("village1", Tier::kVillage));
  EXPECT_FALSE(ancestors.find("village1", Tier::kCounty));
  EXPECT_FALSE(ancestors.find("county1", Tier::kCounty));
  bus.attach(Peer::theParent(), parent);
  ASSERT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kChain, 0, encodeChain(fullChain())}).isOk());
  auto county = ancestors.find("county1", Tier::kCounty);
  ASSERT_TRUE(county);
  EXPECT_EQ(county->key, county_.publicKey());
  EXPECT_EQ(county->path, (std::vector<std::string>{"county1", "township1", "village1"}));
  EXPECT_FALSE(ancestors.find("township1", Tier::kCounty));  // its pinned tier only
  EXPECT_FALSE(ancestors.find("house7", Tier::kHousehold));  // not above itself
  EXPECT_EQ(ancestors.own(), fullChain());
  // A chain that does not verify is not taken, and the link stays.
  Chain forged = fullChain();
  forged[2].tier = Tier::kTownship;
  EXPECT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kChain, 0, encodeChain(forged)}).isOk());
  EXPECT_EQ(ancestors.own(), fullChain());
}

// A village hands its chain down to its households, with each vouched for
// at the end: once it has one, and again when it takes a newer one.
TEST_F(ChainTest, AParentHandsItsChainDownAndPassesOnANewerOne) {
  auto store = LinkStore::open((keys_.dir() / "village.db").string());
  ASSERT_TRUE(store);
  const ParentRecord township{"https://t", "township1", "Township", Tier::kTownship, township_.publicKey(), {}};
  ASSERT_TRUE((*store)->setParent(township).isOk());
  const WallTime now = SystemClock::instance().now();
  auto invite = (*store)->addInvite("house7", {Tier::kHousehold, "house7"}, std::vector<uint8_t>(32, 7), now,
                                    now + std::chrono::hours(1));
  ASSERT_TRUE(invite);
  const ChildRecord child = record("house7", Tier::kHousehold, house_, 3000);
  ASSERT_TRUE((*store)->enrolChild(*invite, child, child.enrolledAt).isOk());
  Bus bus;
  auto parent = std::make_shared<testing::RecordingEndpoint>();
  auto house = std::make_shared<testing::RecordingEndpoint>();
  Ancestors ancestors(AncestorsContext{.bus = &bus, .store = store->get(), .key = &village_, .selfId = "village1",
                                       .selfTier = Tier::kVillage, .parent = township});
  bus.attach(Peer::theParent(), parent);
  bus.attach(Peer::child("house7"), house);
  // What went down once `n` came, or `limit` passed.
  const auto chainsDown = [&](size_t n, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (house->of(Kind::kChain).size() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    return house->of(Kind::kChain);
  };
  EXPECT_TRUE(chainsDown(1, 300ms).empty());  // none to hand down yet
  Chain mine = fullChain();
  mine.pop_back();  // county1, township1, village1
  ASSERT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kChain, 0, encodeChain(mine)}).isOk());
  auto down = chainsDown(1);
  ASSERT_EQ(down.size(), 1u);
  auto got = decodeChain(down[0].payload);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, fullChain());  // the household vouched for by the village, at its enrolment
  // The township removed and enrolled again by the county (its key kept:
  // with a new one, the village would join it again): the village takes
  // the newer chain and passes it on.
  Chain newer = mine;
  newer[1] = vouchFor(county_, "county1", record("township1", Tier::kTownship, township_, 5000));
  ASSERT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kChain, 0, encodeChain(newer)}).isOk());
  down = chainsDown(2);
  ASSERT_EQ(down.size(), 2u);
  got = decodeChain(down[1].payload);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ((*got)[1].enrolledAtUs, 5000u);
  EXPECT_TRUE(verifyChain(*got).isOk());
  // ...and not the older one again.
  ASSERT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kChain, 0, encodeChain(mine)}).isOk());
  EXPECT_EQ(chainsDown(3, 300ms).size(), 2u);
}

TEST(SeenAsks, EachAskIsTakenOnceWithinItsWindow) {
  SeenAsks seen;
  const AskNonce a{1}, b{2};
  EXPECT_TRUE(seen.admit("county1", a, 1000, 0));
  EXPECT_FALSE(seen.admit("county1", a, 1000, 10));
  EXPECT_TRUE(seen.admit("township1", a, 1000, 10));  // by asker
  EXPECT_TRUE(seen.admit("county1", b, 1000, 10));
  EXPECT_TRUE(seen.admit("county1", a, 3000, 1000));  // forgotten once out of its window (then stale anyway)
}

}  // namespace
}  // namespace vigil::link
