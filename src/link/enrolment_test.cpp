#include "link/enrolment.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "access/sqlite_store.h"
#include "link/invite_code.h"
#include "link/test_keys.h"

namespace vigil::link {
namespace {

using std::chrono::hours;

const access::Actor kAdmin{"adm", "192.0.2.100"};

class EnrolmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = LinkStore::open((keys_.dir() / "link.db").string());
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    auto access = access::SqliteAccessStore::open((keys_.dir() / "access.db").string());
    ASSERT_TRUE(access);
    access_ = std::move(*access);
    audit_ = std::make_unique<access::AuditLog>(*access_, clock_);
    enrolment_ = std::make_unique<Enrolment>(
        *store_, parentKey_, NodeIdentity{"village-1", "Village one", Tier::kVillage, parentKey_.publicKey()}, clock_,
        *audit_);
    binding_.fill(9);
  }
  // What `vigil link join` sends, signed for `binding`.
  JoinRequest request(const std::string& code, const access::NodeKey& key, const ChannelBinding& binding,
                      Tier tier = Tier::kHousehold) {
    JoinRequest r{newNonce(), code, {"house-7", "Zhang family", tier, key.publicKey()}, {}};
    const auto proof = key.sign(joinChildStatement(binding, r.nonce, r.child.id, r.child.tier, r.child.key));
    std::copy(proof.begin(), proof.end(), r.proof.begin());
    return r;
  }
  Result<ChildRecord> join(const JoinRequest& r, const std::string& client = "192.0.2.1") {
    return enrolment_->join(std::string(binding_.begin(), binding_.end()), r, client);
  }
  std::string code() { return enrolment_->createInvite(kAdmin, "Zhang family", hours(24))->code; }

  testing::TestKeys keys_;
  access::NodeKey parentKey_ = keys_.key("parent");
  access::NodeKey childKey_ = keys_.key("child");
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  std::unique_ptr<LinkStore> store_;
  std::unique_ptr<access::SqliteAccessStore> access_;
  std::unique_ptr<access::AuditLog> audit_;
  std::unique_ptr<Enrolment> enrolment_;
  ChannelBinding binding_{};
};

TEST_F(EnrolmentTest, HelloProvesTheKeyTheCodeNames) {
  const std::string c = code();
  JoinHello hello{newNonce()};
  auto answer = enrolment_->hello(std::string(binding_.begin(), binding_.end()), hello);
  ASSERT_TRUE(answer);
  EXPECT_EQ(keyFingerprint(answer->parent.key), parseInviteCode(c)->fingerprint);
  EXPECT_TRUE(access::NodeKey::verify(answer->parent.key, joinParentStatement(binding_, hello.nonce),
                                      std::span<const uint8_t, kSignatureBytes>(answer->proof)));
  EXPECT_EQ(enrolment_->hello("", hello).status().code(), StatusCode::kFailedPrecondition);  // no TLS 1.3
}

TEST_F(EnrolmentTest, ACodeEnrolsOnceAndIsStoredOnlyHashed) {
  const std::string c = code();
  auto child = join(request(c, childKey_, binding_));
  ASSERT_TRUE(child) << child.status().toString();
  EXPECT_EQ(child->id, "house-7");
  auto again = join(request(c, childKey_, binding_));
  EXPECT_EQ(again.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(again.status().message(), "this invitation code was already used");
  // Neither the code nor its secret part is anywhere in link.db.
  const auto secret = parseInviteCode(c)->secret;
  std::ifstream db(keys_.dir() / "link.db", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(secret), std::string::npos);
}

TEST_F(EnrolmentTest, WrongExpiredAndRevokedCodesAreRefusedClearly) {
  const std::string c = code();
  std::string wrong = c;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(join(request(wrong, childKey_, binding_)).status().message(),
            "unknown invitation code (mistyped, or not from this parent)");
  std::string otherParent = c;
  otherParent.back() = otherParent.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(join(request(otherParent, childKey_, binding_)).status().message(),
            "this invitation code is for another parent (its key fingerprint differs)");
  clock_.advance(hours(25));
  auto expired = join(request(c, childKey_, binding_), "192.0.2.2");
  EXPECT_EQ(expired.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(expired.status().message().rfind("this invitation code expired at ", 0), 0u) << expired.status().message();
  const std::string revoked = code();
  ASSERT_TRUE(enrolment_->revokeInvite(kAdmin, enrolment_->invites()->back().id).isOk());
  EXPECT_EQ(join(request(revoked, childKey_, binding_), "192.0.2.3").status().message(),
            "this invitation code was revoked");
}

TEST_F(EnrolmentTest, TheChildsProofMustBeForThisConnection) {
  ChannelBinding other = binding_;
  other[5] ^= 1;
  auto r = join(request(code(), childKey_, other));
  EXPECT_EQ(r.status().message(), "the child's proof of its key does not verify on this connection");
}

TEST_F(EnrolmentTest, TiersGoDownward) {
  auto r = join(request(code(), childKey_, binding_, Tier::kVillage));
  EXPECT_EQ(r.status().message(), "a village cannot be the child of a village: a child's tier must be below its parent's");
  NodeIdentity household{"house-1", "A house", Tier::kHousehold, parentKey_.publicKey()};
  Enrolment leaf(*store_, parentKey_, household, clock_, *audit_);
  EXPECT_EQ(leaf.createInvite(kAdmin, "x", hours(1)).status().message(), "a household has no tier below it to invite");
}

// A code enrols the tier and the id the admin chose, not what its holder
// claims: a household cannot take a village's invitation.
TEST_F(EnrolmentTest, AnInvitationBindsTheTierAndTheIdOfItsChild) {
  Enrolment county(*store_, parentKey_, NodeIdentity{"county-1", "County", Tier::kCounty, parentKey_.publicKey()}, clock_,
                   *audit_);
  auto join = [&](const std::string& code, Tier tier, const std::string& id, const std::string& client) {
    JoinRequest r = request(code, childKey_, binding_, tier);
    r.child.id = id;
    const auto proof = childKey_.sign(joinChildStatement(binding_, r.nonce, r.child.id, r.child.tier, r.child.key));
    std::copy(proof.begin(), proof.end(), r.proof.begin());
    return county.join(std::string(binding_.begin(), binding_.end()), r, client);
  };
  auto township = county.createInvite(kAdmin, "Township one", hours(1));  // the tier just below, by default
  ASSERT_TRUE(township);
  EXPECT_EQ(township->invite.bound->tier, Tier::kTownship);
  EXPECT_EQ(join(township->code, Tier::kHousehold, "house-7", "192.0.2.1").status().message(),
            "this invitation is for a township, not a household");
  auto village = county.createInvite(kAdmin, "Village one", hours(1), Tier::kVillage, "village-1");
  ASSERT_TRUE(village);
  EXPECT_EQ(join(village->code, Tier::kHousehold, "village-1", "192.0.2.2").status().message(),
            "this invitation is for a village, not a household");
  EXPECT_EQ(join(village->code, Tier::kVillage, "village-2", "192.0.2.3").status().message(),
            "this invitation is for node id \"village-1\", not \"village-2\"");
  // Refused joins leave the invitation pending for its child.
  auto enrolled = join(village->code, Tier::kVillage, "village-1", "192.0.2.4");
  ASSERT_TRUE(enrolled) << enrolled.status().toString();
  EXPECT_EQ(enrolled->tier, Tier::kVillage);
  EXPECT_TRUE(join(township->code, Tier::kTownship, "township-1", "192.0.2.5"));
  EXPECT_EQ(county.createInvite(kAdmin, "x", hours(1), Tier::kCounty).status().message(),
            "tier: a county invites only tiers below it, not a county");
  EXPECT_EQ(county.createInvite(kAdmin, "x", hours(1), std::nullopt, "Not An Id").status().code(), StatusCode::kInvalidArgument);
}

// Who made, revoked or used an invitation, and who removed a child, is in
// the node's audit log.
TEST_F(EnrolmentTest, InvitationsEnrolmentsAndRemovalsAreAudited) {
  const std::string c = code();
  ASSERT_TRUE(enrolment_->createInvite({"", "cli"}, "spare", hours(1)));
  ASSERT_TRUE(enrolment_->revokeInvite({"", "cli"}, 2).isOk());
  ASSERT_TRUE(join(request(c, childKey_, binding_), "192.0.2.7"));
  ASSERT_TRUE(enrolment_->removeChild(kAdmin, "house-7").isOk());
  EXPECT_EQ(enrolment_->removeChild(kAdmin, "house-7").code(), StatusCode::kNotFound);  // no row for nothing
  auto rows = audit_->query({});
  ASSERT_TRUE(rows);
  std::vector<std::string> seen;
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
    seen.push_back(it->action + " " + it->user + " " + it->client + " " + it->detail);
  }
  const std::string fingerprint = keyFingerprint(childKey_.publicKey());
  EXPECT_EQ(seen, (std::vector<std::string>{
                      R"(link_invite adm 192.0.2.100 {"child_id":"","expires_at":"2023-11-15T22:13:20Z","invite":1,"name":"Zhang family","tier":"household"})",
                      R"(link_invite  cli {"child_id":"","expires_at":"2023-11-14T23:13:20Z","invite":2,"name":"spare","tier":"household"})",
                      R"(link_invite_revoke  cli {"invite":2})",
                      R"(link_enrol  192.0.2.7 {"child":"house-7","fingerprint":")" + fingerprint +
                          R"(","invite":1,"name":"Zhang family","tier":"household"})",
                      R"(link_remove adm 192.0.2.100 {"child":"house-7"})"}));
  // The code is in no row.
  for (const std::string& row : seen) EXPECT_EQ(row.find(c), std::string::npos);
}

TEST_F(EnrolmentTest, GuessingIsThrottledPerAddress) {
  const std::string c = code();
  std::string wrong = c;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  for (int i = 0; i < 5; ++i) EXPECT_EQ(join(request(wrong, childKey_, binding_)).status().code(), StatusCode::kPermissionDenied);
  auto throttled = join(request(c, childKey_, binding_));  // even the right code waits
  EXPECT_EQ(throttled.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(join(request(c, childKey_, binding_), "192.0.2.9"));  // another address is not held up
}

// Many addresses, each under its own limit: the node-wide budget closes
// joins for the hour, then they open again.
TEST_F(EnrolmentTest, FailedJoinsFromManyAddressesCloseJoinsForAnHour) {
  const std::string c = code();
  ChannelBinding other = binding_;
  other[0] ^= 1;  // a proof for another connection: a failure without hashing a code
  for (size_t i = 0; i < kFailedJoinsPerHour; ++i) {
    clock_.advance(std::chrono::seconds(1));  // under the throttle's checks per second
    EXPECT_EQ(join(request(c, childKey_, other), fmt::format("198.51.{}.1", i)).status().code(),
              StatusCode::kPermissionDenied);
  }
  clock_.advance(std::chrono::seconds(1));
  auto closed = join(request(c, childKey_, binding_), "203.0.113.1");  // a fresh address, the right code
  EXPECT_EQ(closed.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(closed.status().message().rfind("too many failed joins on this node", 0), 0u) << closed.status().message();
  clock_.advance(std::chrono::minutes(59));
  EXPECT_EQ(join(request(c, childKey_, binding_), "203.0.113.2").status().code(), StatusCode::kResourceExhausted);
  clock_.advance(std::chrono::minutes(1));
  EXPECT_TRUE(join(request(c, childKey_, binding_), "203.0.113.3"));
}

TEST(InviteLifetime, UnitsAndBounds) {
  EXPECT_EQ(*parseInviteLifetime("24h"), std::chrono::hours(24));
  EXPECT_EQ(*parseInviteLifetime("90m"), std::chrono::minutes(90));
  EXPECT_EQ(*parseInviteLifetime("7d"), std::chrono::hours(168));
  EXPECT_EQ(*parseInviteLifetime("5s"), std::chrono::seconds(5));
  EXPECT_FALSE(parseInviteLifetime("4s"));
  EXPECT_FALSE(parseInviteLifetime("31d"));
  EXPECT_FALSE(parseInviteLifetime("h"));
  EXPECT_FALSE(parseInviteLifetime("-1h"));
  EXPECT_FALSE(parseInviteLifetime("99999999d"));
}

}  // namespace
}  // namespace vigil::link
