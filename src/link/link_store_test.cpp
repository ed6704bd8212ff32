#include "link/link_store.h"

#include <gtest/gtest.h>

#include "link/test_keys.h"

namespace vigil::link {
namespace {

class LinkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = LinkStore::open((keys_.dir() / "link.db").string());
    ASSERT_TRUE(s) << s.status().toString();
    store_ = std::move(*s);
  }
  ChildRecord child(const std::string& id, uint8_t keyByte) {
    ChildRecord c{id, "Zhang family", Tier::kHousehold, {}, now_, std::nullopt};
    c.key.fill(keyByte);
    return c;
  }
  int64_t invite(uint8_t hashByte) {
    auto id = store_->addInvite("Zhang family", {}, std::vector<uint8_t>(32, hashByte), now_, later_);
    EXPECT_TRUE(id);
    return id ? *id : 0;
  }

  testing::TestKeys keys_;
  std::unique_ptr<LinkStore> store_;
  WallTime now_ = WallTime::fromUnixMicros(1'700'000'000'000'000);
  WallTime later_ = WallTime::fromUnixMicros(1'700'000'000'000'000 + 3'600'000'000);
};

TEST_F(LinkStoreTest, AnInvitationEnrolsOneChildOnce) {
  const int64_t id = invite(1);
  auto found = store_->findInvite(std::vector<uint8_t>(32, 1));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->state(now_), "pending");
  EXPECT_EQ((*found)->state(later_), "expired");
  EXPECT_FALSE(*store_->findInvite(std::vector<uint8_t>(32, 2)));

  ASSERT_TRUE(store_->enrolChild(id, child("house-7", 7), now_).isOk());
  Status again = store_->enrolChild(id, child("house-8", 8), now_);
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(), "this invitation code was already used");
  auto children = store_->listChildren();
  ASSERT_TRUE(children);
  ASSERT_EQ(children->size(), 1u);  // the refused enrolment left nothing behind
  EXPECT_EQ((*children)[0].id, "house-7");
  EXPECT_EQ((*store_->listInvites())[0].usedBy, "house-7");
}

TEST_F(LinkStoreTest, AChildIdHeldByAnotherKeyIsRefusedUntilRemoved) {
  ASSERT_TRUE(store_->enrolChild(invite(1), child("house-7", 7), now_).isOk());
  const int64_t second = invite(2);
  Status taken = store_->enrolChild(second, child("house-7", 9), now_);
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(taken.message(), "node id \"house-7\" is already taken by another child of this parent");
  EXPECT_EQ((*store_->listInvites())[1].state(now_), "pending");  // not used up by the refusal
  ASSERT_TRUE(store_->removeChild("house-7", now_).isOk());
  EXPECT_EQ(store_->removeChild("house-7", now_).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->enrolChild(second, child("house-7", 9), now_).isOk());
  auto children = store_->listChildren();
  ASSERT_EQ(children->size(), 1u);
  EXPECT_EQ((*children)[0].key[0], 9);
  EXPECT_FALSE((*children)[0].removedAt);
}

TEST_F(LinkStoreTest, RevokedInvitationsCannotBeUsed) {
  const int64_t id = invite(1);
  ASSERT_TRUE(store_->revokeInvite(id, now_).isOk());
  EXPECT_EQ(store_->revokeInvite(id, now_).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->revokeInvite(99, now_).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->enrolChild(id, child("house-7", 7), now_).message(), "this invitation code was revoked");
}

TEST_F(LinkStoreTest, TheParentAndTheSaltSurviveAReopen) {
  ParentRecord p{"https://village:8443", "village-1", "Village", Tier::kVillage, {}, now_};
  p.key.fill(3);
  ASSERT_TRUE(store_->setParent(p).isOk());
  auto salt = store_->inviteSalt();
  ASSERT_TRUE(salt);
  store_.reset();
  auto reopened = LinkStore::open((keys_.dir() / "link.db").string());
  ASSERT_TRUE(reopened);
  store_ = std::move(*reopened);
  auto back = store_->parent();
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->url, p.url);
  EXPECT_EQ((*back)->key, p.key);
  EXPECT_EQ((*back)->tier, Tier::kVillage);
  EXPECT_EQ(*store_->inviteSalt(), *salt);
}

}  // namespace
}  // namespace vigil::link
