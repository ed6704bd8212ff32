#include "access/camera_shares.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "access/test_db.h"

namespace vigil::access {
namespace {

class CameraSharesTest : public AccessDbTest {
 protected:
  void SetUp() override {
    AccessDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    audit_ = std::make_unique<AuditLog>(db().store(), clock_);
    shares_ = std::make_unique<CameraShares>(db().store(), *audit_, clock_);
    shares_->addChangeListener([this](const std::string& camera) { announced_.push_back(camera); });
  }
  std::vector<AuditRow> rows() {
    auto r = db().store().auditRows(0, 1000);
    EXPECT_TRUE(r);
    return r ? *r : std::vector<AuditRow>();
  }
  static std::vector<Share> parsed(std::string_view json) {
    auto s = parseShares(json);
    EXPECT_TRUE(s) << s.status().toString();
    return s ? *s : std::vector<Share>();
  }

  ManualClock clock_{WallTime::parseRfc3339("2026-06-01T12:00:00Z").value()};
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<CameraShares> shares_;
  std::vector<std::string> announced_;
  const Actor admin_{"adm", "10.0.0.1"};
};

TEST_P(CameraSharesTest, NothingIsSharedByDefault) {
  EXPECT_TRUE(shares_->get("gate").value().empty());
  EXPECT_EQ(shares_->decide("gate", Tier::kCounty, ShareRight::kSnapshot, true).message(), "not shared with the county");
}

TEST_P(CameraSharesTest, AListRoundTripsWithItsAuditRowAndTurnsOffInOneCall) {
  const auto list = parsed(R"([{"tier":"county","rights":["live"],"expires_at":"2026-06-01T13:00:00.250Z"},
      {"tier":"village","rights":["live","playback","export","snapshot"],"only_during_alarm":true,"hours":"20:00-08:00"}])");
  ASSERT_TRUE(shares_->replace(admin_, "gate", list).isOk());
  auto back = shares_->get("gate");
  ASSERT_TRUE(back) << back.status().toString();
  // By tier, village first, whatever order they were given in.
  EXPECT_EQ(*back, (std::vector<Share>{list[1], list[0]}));
  EXPECT_TRUE(shares_->get("yard").value().empty());  // per camera
  // Another process (or node on PostgreSQL) sees the same.
  auto other = db().openAnother();
  ASSERT_TRUE(other);
  EXPECT_EQ((*other)->shares("gate").value(), *back);

  auto r = rows();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].action, "share_change");
  EXPECT_EQ(r[0].user, "adm");
  EXPECT_EQ(r[0].camera, "gate");
  EXPECT_EQ(r[0].client, "10.0.0.1");
  EXPECT_EQ(nlohmann::json::parse(r[0].detail)["shares"], nlohmann::json::parse(sharesJson(list)));

  ASSERT_TRUE(shares_->replace(admin_, "gate", {}).isOk());
  EXPECT_TRUE(shares_->get("gate").value().empty());
  r = rows();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].detail, R"({"shares":[]})");
  EXPECT_EQ(announced_, (std::vector<std::string>{"gate", "gate"}));
  EXPECT_EQ(audit_->verify().value(), 2);
}

TEST_P(CameraSharesTest, DecideUsesTheStoredListAndTheClock) {
  ASSERT_TRUE(shares_->replace(admin_, "gate", parsed(R"([{"tier":"township","rights":["playback"],
                                                             "expires_at":"2026-06-01T12:00:01Z"}])"))
                  .isOk());
  EXPECT_TRUE(shares_->decide("gate", Tier::kTownship, ShareRight::kPlayback, false).isOk());
  EXPECT_EQ(shares_->decide("gate", Tier::kTownship, ShareRight::kLive, false).message(),
            "live not shared with the township");
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(shares_->decide("gate", Tier::kTownship, ShareRight::kPlayback, false).message(), "expired");
}

// The change and its row are one transaction: a row that cannot be
// written leaves the old list, and nobody is told of a change.
TEST_P(CameraSharesTest, NoChangeWithoutItsAuditRow) {
  const auto before = parsed(R"([{"tier":"village","rights":["live"]}])");
  ASSERT_TRUE(shares_->replace(admin_, "gate", before).isOk());
  db().exec("ALTER TABLE audit RENAME TO audit_away");
  EXPECT_FALSE(shares_->replace(admin_, "gate", {}).isOk());
  db().exec("ALTER TABLE audit_away RENAME TO audit");
  EXPECT_EQ(shares_->get("gate").value(), before);
  EXPECT_EQ(rows().size(), 1u);
  EXPECT_EQ(announced_.size(), 1u);
}

TEST_P(CameraSharesTest, ABadListChangesNothing) {
  const Share village{Tier::kVillage, {ShareRight::kLive}, false, std::nullopt, std::nullopt};
  Status twice = shares_->replace(admin_, "gate", {village, village});
  EXPECT_EQ(twice.message(), "shares[1].tier: village is given twice");
  Share none = village;
  none.rights.clear();
  EXPECT_EQ(shares_->replace(admin_, "gate", {none}).message(), "shares[0].rights: must not be empty");
  EXPECT_EQ(shares_->replace(admin_, "../gate", {}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(rows().empty());
  EXPECT_TRUE(announced_.empty());
}

// A database made before issue 14 has no camera_share table: opening it
// adds one, empty.
TEST_P(CameraSharesTest, AnOlderDatabaseGainsTheTable) {
  db().exec("DROP TABLE camera_share");
  auto reopened = db().openAnother();
  ASSERT_TRUE(reopened) << reopened.status().toString();
  EXPECT_TRUE((*reopened)->shares("gate").value().empty());
  AuditLog audit(**reopened, clock_);
  CameraShares shares(**reopened, audit, clock_);
  const auto list = parsed(R"([{"tier":"county","rights":["snapshot"]}])");
  ASSERT_TRUE(shares.replace(admin_, "gate", list).isOk());
  EXPECT_EQ(shares.get("gate").value(), list);
}

// A row no share can hold (written behind the store's back) is an error
// naming the camera, never a share granted by accident.
TEST_P(CameraSharesTest, ACorruptRowIsDataLoss) {
  db().exec("INSERT INTO camera_share (camera_id, tier, rights, only_during_alarm, hours, expires_at) "
            "VALUES ('gate', 'village', 'live,fly', false, '', NULL)");
  auto r = shares_->get("gate");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "camera \"gate\": a share's rights is not valid");
  EXPECT_EQ(shares_->decide("gate", Tier::kVillage, ShareRight::kLive, false).code(), StatusCode::kDataLoss);
}

INSTANTIATE_TEST_SUITE_P(Backends, CameraSharesTest, kBothBackends, backendParamName);

}  // namespace
}  // namespace vigil::access
