#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "notify/command.h"
#include "notify/config.h"
#include "notify/webhooks.h"

namespace vigil::notify {
namespace {

Result<NotifyConfig> parse(std::string_view text) {
  auto document = ConfigDocument::parse(text, "vigil.toml");
  if (!document) return document.status();
  auto table = document->root().table("notify");
  if (!table) return table.status();
  NotifyConfig config;
  VIGIL_RETURN_IF_ERROR(readNotifyConfig(**table, config));
  return config;
}

TEST(NotifyConfigTest, ReadsTheSection) {
  auto c = parse(R"([notify]
mqtt = "mqtt://127.0.0.1:1884"
mqtt_user = "vigil"
mqtt_password_file = "/etc/vigil/mqtt.pw"
topic_prefix = "home/vigil"
webhooks = ["https://hooks.example.org/a?x=1", "http://10.0.0.2:8080/"]
webhook_secret_file = "/etc/vigil/hook.key"
)");
  ASSERT_TRUE(c.isOk()) << c.status().message();
  EXPECT_EQ(c->broker.host, "127.0.0.1");
  EXPECT_EQ(c->broker.port, 1884);
  EXPECT_EQ(c->topicPrefix, "home/vigil");
  EXPECT_EQ(c->discoveryPrefix, "homeassistant");
  ASSERT_EQ(c->webhooks.size(), 2u);
  EXPECT_TRUE(c->enabled());
  auto defaults = parse("[notify]\nmqtt = \"mqtt://broker.lan\"\n");
  ASSERT_TRUE(defaults.isOk());
  EXPECT_EQ(defaults->broker.port, 1883);
}

TEST(NotifyConfigTest, RefusesBadValuesWithoutEchoingSecrets) {
  const std::pair<const char*, const char*> cases[] = {
      {"mqtt = \"tcp://broker:1883\"", "mqtt: must be mqtt://HOST[:PORT]"},
      {"mqtt = \"mqtt://user:hunter2@broker\"", "mqtt_user"},
      {"mqtt = \"mqtt://broker:0\"", "port"},
      {"topic_prefix = \"vigil/#\"", "topic_prefix"},
      {"topic_prefix = \"/vigil\"", "topic_prefix"},
      {"discovery_prefix = \"\"", "discovery_prefix"},
      {"webhooks = [\"ftp://x\"]\nwebhook_secret_file = \"k\"", "webhooks"},
      {"webhooks = [\"https://me:hunter2@x/\"]\nwebhook_secret_file = \"k\"", "webhooks"},
      {"webhooks = [\"http://x/\"]", "needs webhook_secret_file"},
      {"mqtt_password_file = \"p\"", "needs mqtt_user"},
  };
  for (const auto& [text, error] : cases) {
    auto c = parse(std::string("[notify]\n") + text + "\n");
    ASSERT_FALSE(c.isOk()) << text;
    EXPECT_NE(c.status().message().find(error), std::string::npos) << c.status().message();
    EXPECT_EQ(c.status().message().find("hunter2"), std::string::npos) << c.status().message();
  }
}

TEST(NotifyConfigTest, SplitsWebhookUrls) {
  auto u = parseWebhookUrl("https://ha.lan:8123/api/webhook/abc");
  ASSERT_TRUE(u.isOk());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "ha.lan");
  EXPECT_EQ(u->port, 8123);
  EXPECT_EQ(u->target, "/api/webhook/abc");
  auto plain = parseWebhookUrl("http://10.1.2.3");
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->target, "/");
  EXPECT_FALSE(parseWebhookUrl("http://x/a b").isOk());
  EXPECT_FALSE(parseWebhookUrl("http:///a").isOk());
  EXPECT_FALSE(parseWebhookUrl("http://x:99999/").isOk());
}

// RFC 4231, test case 2.
TEST(WebhookSignatureTest, IsHmacSha256InHex) {
  EXPECT_EQ(webhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Result<RaiseCommand> command(std::string_view text) {
  return parseRaiseCommand(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

TEST(RaiseCommandTest, TakesAKindWordOrJson) {
  auto word = command("fire\n");
  ASSERT_TRUE(word.isOk());
  EXPECT_EQ(word->kind, "fire");
  EXPECT_EQ(word->note, "");
  auto full = command(R"({"kind": "medical", "note": "grandma fell"})");
  ASSERT_TRUE(full.isOk()) << full.status().message();
  EXPECT_EQ(full->kind, "medical");
  EXPECT_EQ(full->note, "grandma fell");
}

TEST(RaiseCommandTest, RefusesWhatIsNotACommand) {
  for (std::string_view bad : {"", "PRESS", "fire!", "{", "[]", R"({"note": "x"})", R"({"kind": 3})",
                               R"({"kind": "fire", "cameras": []})", R"({"kind": "fire", "note": 1})",
                               R"({"kind": "Fire"})"}) {
    EXPECT_FALSE(command(bad).isOk()) << bad;
  }
  EXPECT_FALSE(command(std::string(kMaxCommandBytes + 1, 'a')).isOk());
  EXPECT_FALSE(command(std::string(kMaxKindBytes + 1, 'a')).isOk());
}

struct Dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("notify_test_" + std::to_string(::getpid()) + "_" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() { std::filesystem::remove_all(path); }
};

TEST(WebhookQueueTest, KeepsEachUrlsDeliveriesInOrderAcrossReopening) {
  Dir dir;
  const std::string db = (dir.path / "notify.db").string();
  {
    auto q = WebhookQueue::open(db).value();
    ASSERT_TRUE(q->add("e1", "{\"n\":1}", {"http://a/", "http://b/"}).isOk());
    ASSERT_TRUE(q->add("e2", "{\"n\":2}", {"http://a/", "http://b/"}).isOk());
    ASSERT_TRUE(q->add("e1", "{\"n\":1}", {"http://a/"}).isOk());  // offered twice: queued once
    auto head = q->head("http://a/").value();
    ASSERT_TRUE(head);
    EXPECT_EQ(head->event, "e1");
    ASSERT_TRUE(q->retryAt(head->seq, WallTime::fromUnixMicros(int64_t{1} << 60)).isOk());
    auto b = q->head("http://b/").value();
    ASSERT_TRUE(b);
    ASSERT_TRUE(q->done(b->seq).isOk());
  }
  auto q = WebhookQueue::open(db).value();
  auto a = q->head("http://a/").value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->event, "e1");  // not answered: still first
  EXPECT_EQ(a->attempts, 1);
  auto b = q->head("http://b/").value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->event, "e2");
  // After a restart: due now; a URL no longer configured is dropped.
  EXPECT_EQ(q->restart({"http://a/"}).value(), 1);
  auto due = q->head("http://a/").value();
  ASSERT_TRUE(due);
  EXPECT_EQ(due->nextTry, WallTime::fromUnixMicros(0));
  EXPECT_FALSE(q->head("http://b/").value());
  ASSERT_TRUE(q->done(a->seq).isOk());
  auto second = q->head("http://a/").value();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->event, "e2");
}

TEST(SecretFileTest, ReadsWithoutTheNewline) {
  Dir dir;
  const std::string path = (dir.path / "key").string();
  std::ofstream(path) << "s3cret\n";
  EXPECT_EQ(readSecretFile(path).value(), "s3cret");
  std::ofstream(path, std::ios::trunc) << "\n";
  EXPECT_FALSE(readSecretFile(path).isOk());
  EXPECT_FALSE(readSecretFile((dir.path / "none").string()).isOk());
}

}  // namespace
}  // namespace vigil::notify
