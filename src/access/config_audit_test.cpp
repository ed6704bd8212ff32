#include "access/config_audit.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "access/test_db.h"
#include "access/crypto.h"
#include "base/config.h"

namespace vigil::access {
namespace {

constexpr char kConfig[] = R"(
[node]
name = "east"
data_dir = "/var/lib/vigil"
[http]
listen = "127.0.0.1:8080"
[[camera]]
id = "gate"
url = "rtsp://admin:secret@192.0.2.5/main"
[[camera]]
id = "yard"
url = "rtsp://192.0.2.6/main"
)";

class ConfigAuditTest : public AccessDbTest {
 protected:
  void SetUp() override {
    AccessDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    log_ = std::make_unique<AuditLog>(db().store(), clock_);
  }
  // Starts node `node` with `text` as its config file; returns the detail
  // of the config_change row written, or null when none was.
  nlohmann::json start(const std::string& text, const std::string& node = "east") {
    auto config = ConfigDocument::parse(text, "vigil.toml");
    EXPECT_TRUE(config) << config.status().toString();
    if (!config) return nullptr;
    const size_t before = rows().size();
    EXPECT_TRUE(auditConfigChange(*log_, db().store(), {node, "/etc/vigil.toml", text, config->canonicalSections()})
                    .isOk());
    auto after = rows();
    if (after.size() == before) return nullptr;
    EXPECT_EQ(after.size(), before + 1);
    EXPECT_EQ(after.back().action, "config_change");
    EXPECT_EQ(after.back().client, "serve");
    return nlohmann::json::parse(after.back().detail);
  }
  std::vector<AuditRow> rows() {
    auto r = db().store().auditRows(0, 1000);
    EXPECT_TRUE(r);
    return r ? *r : std::vector<AuditRow>();
  }
  static std::string replaced(std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  }

  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  std::unique_ptr<AuditLog> log_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ConfigAuditTest, kBothBackends, backendParamName);

using Names = std::vector<std::string>;

TEST_P(ConfigAuditTest, FirstStartRecordsEverySectionAsAdded) {
  auto detail = start(kConfig);
  ASSERT_FALSE(detail.is_null());
  EXPECT_EQ(detail["node"], "east");
  EXPECT_EQ(detail["file"], "/etc/vigil.toml");
  EXPECT_EQ(detail["added"].get<Names>(), (Names{"camera gate", "camera yard", "http", "node"}));
  EXPECT_EQ(detail["changed"].get<Names>(), Names{});
  // Neither the password nor a hash that would let anyone test guesses of it.
  EXPECT_EQ(rows().back().detail.find("secret"), std::string::npos);
  EXPECT_FALSE(detail.contains("sha256"));
}

// The stored fingerprint must not let anyone with the database test
// guesses of a camera password quickly: no fast hash of the file (which
// holds it), an Argon2id one instead; the sections are hashed without it.
TEST_P(ConfigAuditTest, StoresNoFastHashOfTheFile) {
  ASSERT_FALSE(start(kConfig).is_null());
  auto stored = db().store().configFingerprint("east");
  ASSERT_TRUE(stored && *stored);
  const std::string& fingerprint = **stored;
  EXPECT_EQ(fingerprint.find(sha256Hex(kConfig)), std::string::npos);
  EXPECT_EQ(fingerprint.find("secret"), std::string::npos);
  auto json = nlohmann::json::parse(fingerprint);
  EXPECT_EQ(json["file"].get<std::string>().rfind("$argon2id$", 0), 0u) << fingerprint;
  auto config = ConfigDocument::parse(kConfig, "vigil.toml");
  ASSERT_TRUE(config.isOk());
  for (const auto& [name, text] : config->canonicalSections()) {
    EXPECT_EQ(text.find("secret"), std::string::npos) << name;
    EXPECT_EQ(json["sections"][name], sha256Hex(text)) << name;
  }
}

TEST_P(ConfigAuditTest, PasswordOnlyChangeIsRecordedWithNoSection) {
  ASSERT_FALSE(start(kConfig).is_null());
  auto detail = start(replaced(kConfig, "admin:secret@", "admin:n3w/s@cret@"));
  ASSERT_FALSE(detail.is_null());
  EXPECT_EQ(detail["changed"].get<Names>(), Names{});
  EXPECT_EQ(rows().back().detail.find("cret"), std::string::npos);
}

TEST_P(ConfigAuditTest, UnchangedFileWritesNothing) {
  ASSERT_FALSE(start(kConfig).is_null());
  EXPECT_TRUE(start(kConfig).is_null());
  EXPECT_TRUE(start(kConfig).is_null());
  EXPECT_EQ(rows().size(), 1u);
}

TEST_P(ConfigAuditTest, RowNamesTheSectionsAndCamerasThatChanged) {
  ASSERT_FALSE(start(kConfig).is_null());
  std::string next = replaced(kConfig, "127.0.0.1:8080", "0.0.0.0:8443");
  next = replaced(next, "id = \"yard\"\nurl = \"rtsp://192.0.2.6/main\"", "id = \"road\"\nurl = \"rtsp://192.0.2.7/main\"");
  next = replaced(next, "admin:secret@192.0.2.5/main", "admin:secret@192.0.2.5/sub");
  auto detail = start(next);
  ASSERT_FALSE(detail.is_null());
  EXPECT_EQ(detail["changed"].get<Names>(), (Names{"camera gate", "http"}));
  EXPECT_EQ(detail["added"].get<Names>(), Names{"camera road"});
  EXPECT_EQ(detail["removed"].get<Names>(), Names{"camera yard"});
  EXPECT_TRUE(log_->verify());
}

TEST_P(ConfigAuditTest, CommentOnlyChangeIsRecordedWithNoSection) {
  ASSERT_FALSE(start(kConfig).is_null());
  auto detail = start(std::string("# moved the gate camera\n") + kConfig);
  ASSERT_FALSE(detail.is_null());
  EXPECT_EQ(detail["added"].get<Names>(), Names{});
  EXPECT_EQ(detail["removed"].get<Names>(), Names{});
  EXPECT_EQ(detail["changed"].get<Names>(), Names{});
}

TEST_P(ConfigAuditTest, EachNodeIsComparedWithItsOwnLastStart) {
  // Two nodes sharing one database (PostgreSQL on a county platform).
  ASSERT_FALSE(start(kConfig, "east").is_null());
  ASSERT_FALSE(start(replaced(kConfig, "east", "west"), "west").is_null());
  EXPECT_TRUE(start(kConfig, "east").is_null());
  EXPECT_TRUE(start(replaced(kConfig, "east", "west"), "west").is_null());
}

}  // namespace
}  // namespace vigil::access
