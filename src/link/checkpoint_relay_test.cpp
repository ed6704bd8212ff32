#include "link/checkpoint_relay.h"

#include <gtest/gtest.h>

#include "link/test_keys.h"

namespace vigil::link {
namespace {

class CheckpointRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = LinkStore::open((keys_.dir() / "link.db").string());
    ASSERT_TRUE(s) << s.status().toString();
    store_ = std::move(*s);
    auto invite = store_->addInvite("Zhang family", InviteFor{Tier::kHousehold, ""}, std::vector<uint8_t>(32, 1), clock_.now(),
                                    WallTime::fromUnixMicros(clock_.now().unixMicros() + 1'000'000));
    ASSERT_TRUE(invite);
    ASSERT_TRUE(store_->enrolChild(*invite, {"house7", "Zhang family", Tier::kHousehold, house_.publicKey(), clock_.now(), {}},
                                   clock_.now())
                    .isOk());
  }
  // What the village keeps after house7 sends `c`.
  std::vector<ChildCheckpoint> send(const access::AuditCheckpoint& c) {
    const std::string text = c.encode();
    EXPECT_TRUE(keepChildCheckpoint(*store_, clock_, "house7",
                                    std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()))
                    .isOk());
    return *store_->childCheckpoints("house7");
  }
  access::AuditCheckpoint make(int64_t seq, char head) {
    return access::AuditCheckpoint::make(house_, seq, std::string(64, head), clock_.now());
  }

  testing::TestKeys keys_;
  access::NodeKey house_ = keys_.key("house");
  access::NodeKey stranger_ = keys_.key("stranger");
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  std::unique_ptr<LinkStore> store_;
};

TEST_F(CheckpointRelayTest, TheParentKeepsEachVerifiedCheckpointOnceAndFlagsACutOrRewrittenLog) {
  EXPECT_EQ(send(make(3, 'a')).size(), 1u);
  EXPECT_EQ(send(make(3, 'a')).size(), 1u);  // given again: nothing new
  auto kept = send(make(5, 'b'));
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[1].seq, 5);
  EXPECT_EQ(kept[1].problem, "");
  EXPECT_EQ(kept[1].text, make(5, 'b').encode());
  // Signed by another key, or not a checkpoint at all: not kept.
  EXPECT_EQ(send(access::AuditCheckpoint::make(stranger_, 9, std::string(64, 'c'), clock_.now())).size(), 2u);
  auto forged = make(9, 'c');
  forged.seq = 10;  // the signature no longer matches
  EXPECT_EQ(send(forged).size(), 2u);
  // Going backwards, or another head for a row already vouched for: kept, flagged.
  kept = send(make(4, 'd'));
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[2].problem, "row 4 is before the newest checkpoint kept (row 5): the log was cut");
  kept = send(make(5, 'e'));
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[3].problem, "head differs from the checkpoint already kept for row 5: the log was rewritten");
}

}  // namespace
}  // namespace vigil::link
