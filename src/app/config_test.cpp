#include "app/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigil::app {
namespace {

using ::testing::HasSubstr;

constexpr char kGood[] = R"(
[node]
name = "Hongqiao village"
tier = "village"
data_dir = "/var/lib/vigil"
[http]
listen = "127.0.0.1:8080"
[[camera]]
id = "gate"
name = "Village gate"
url = "rtsp://user:pass@192.0.2.5:554/stream1"
record = "continuous"
retain_days = 30
record_sub = "continuous"
[[camera]]
id = "road-2"
url = "rtsp://192.0.2.6/main"
sub_url = "rtsp://192.0.2.6/sub"
transport = "udp"
auth = "digest"
record = "events"
pre_roll_s = 10
post_roll_s = 0
)";

std::string errorOf(std::string_view text) {
  auto c = parseConfig(text, "vigil.toml");
  return c.isOk() ? "" : c.status().message();
}

TEST(Config, ParsesTheBriefExample) {
  auto c = parseConfig(kGood, "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->node.name, "Hongqiao village");
  EXPECT_EQ(c->node.tier, Tier::kVillage);
  EXPECT_EQ(c->http.listen.port, 8080);
  ASSERT_EQ(c->cameras.size(), 2u);
  EXPECT_EQ(c->cameras[0].camera.id, "gate");
  EXPECT_EQ(c->cameras[0].recording.retainDays, 30);
  EXPECT_EQ(c->cameras[1].camera.name, "road-2");  // defaults to the id
  EXPECT_EQ(c->cameras[1].camera.transport, rtsp::RtspTransport::kUdp);
  EXPECT_EQ(c->cameras[1].camera.auth, rtsp::RtspAuth::kDigest);
  EXPECT_EQ(c->cameras[0].camera.auth, rtsp::RtspAuth::kAuto);  // the default
  EXPECT_EQ(c->cameras[1].recording.record, storage::RecordMode::kEvents);
  EXPECT_EQ(c->cameras[1].recording.preRollSeconds, 10);
  EXPECT_EQ(c->cameras[1].recording.postRollSeconds, 0);
  EXPECT_EQ(c->cameras[0].recording.preRollSeconds, 5);  // the defaults
  EXPECT_EQ(c->cameras[0].recording.postRollSeconds, 5);
  EXPECT_EQ(c->cameras[1].camera.subUrl, "rtsp://192.0.2.6/sub");
  EXPECT_TRUE(c->cameras[0].recording.recordSub);
  EXPECT_FALSE(c->cameras[1].recording.recordSub);  // the default
  EXPECT_EQ(camera::subStreamConfig(c->cameras[1].camera).id, "road-2~sub");
  EXPECT_EQ(camera::subStreamConfig(c->cameras[1].camera).url, "rtsp://192.0.2.6/sub");
  EXPECT_EQ(camera::subStreamConfig(c->cameras[1].camera).transport, rtsp::RtspTransport::kUdp);
  EXPECT_THAT(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\nrecord_sub = \"yes\"\n"),
              HasSubstr("vigil.toml:4: camera[0].record_sub: must be one of continuous, off"));
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(errorOf("[node]\nname = \"x\"\ncolour = \"red\"\n"),
            "vigil.toml:3: node.colour: unknown key (allowed: id, name, tier, data_dir)");
  EXPECT_THAT(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\nfps = 5\n"),
              HasSubstr("vigil.toml:4: camera[0].fps: unknown key"));
  EXPECT_THAT(errorOf("[storage]\n"), HasSubstr("vigil.toml:1: storage: unknown key"));
}

// [detect] and a [[camera]]'s detection keys are detect's (detect/config.h).
TEST(Config, DetectionKeysAreRead) {
  auto c = parseConfig(R"([detect]
fps = 2
[[camera]]
id = "gate"
url = "rtsp://h/x"
detect = ["person"]
[[camera.zone]]
name = "path"
kind = "ignore"
polygon = [[0, 0], [1, 0], [1, 0.5]]
[[camera]]
id = "yard"
url = "rtsp://h/y"
)",
                       "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->detect.fps, 2);
  EXPECT_TRUE(c->cameras[0].detect.enabled());
  ASSERT_EQ(c->cameras[0].detect.zones.size(), 1u);
  EXPECT_EQ(c->cameras[0].detect.zones[0].kind, detect::Zone::Kind::kIgnore);
  EXPECT_FALSE(c->cameras[1].detect.enabled());
  EXPECT_EQ(errorOf("[detect]\nfps = 99\n"), "vigil.toml:2: detect.fps: must be between 1 and 30 (got 99)");
  EXPECT_THAT(errorOf("[detect]\ncolour = 1\n"), HasSubstr("vigil.toml:2: detect.colour: unknown key"));
  EXPECT_THAT(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\n[[camera.zone]]\nname = \"z\"\n"
                      "polygon = [[0, 0], [2, 0], [1, 1]]\n"),
              HasSubstr("vigil.toml:6: camera[0].zone[0].polygon: each point must be [x, y] with x and y in 0..1"));
}

// [onvif] and a [[camera]]'s `onvif` key are onvif's (onvif/config.h).
TEST(Config, OnvifKeysAreRead) {
  auto c = parseConfig(R"([onvif]
discovery = "127.0.0.1:3702"
[[camera]]
id = "gate"
url = "rtsp://h/x"
onvif = "http://h/onvif/device_service"
onvif_username = "operator"
[[camera]]
id = "yard"
url = "rtsp://h/y"
)",
                       "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->onvif.discovery.toString(), "127.0.0.1:3702");
  ASSERT_EQ(c->cameraOnvif.size(), 1u);
  EXPECT_EQ(c->cameraOnvif.at("gate").deviceUrl, "http://h/onvif/device_service");
  // The device's own user, with the camera's password (none given for it).
  const onvif::Credentials login = c->cameraOnvif.at("gate").login("admin", "pw");
  EXPECT_EQ(login.user, "operator");
  EXPECT_EQ(login.password, "pw");
  EXPECT_EQ(parseConfig("", "vigil.toml")->onvif.discovery.toString(), "239.255.255.250:3702");
  EXPECT_EQ(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\nonvif = \"rtsp://h/\"\n"),
            "vigil.toml:4: camera[0].onvif: must be an http:// URL");
  EXPECT_THAT(errorOf("[onvif]\ndiscovery = \"nowhere\"\n"), HasSubstr("vigil.toml:2: onvif.discovery: must be ADDR:PORT"));
}

// A privacy mask needs no detection (issue 16 item 5).
TEST(Config, MasksAreReadWithoutDetection) {
  auto c = parseConfig(R"([[camera]]
id = "door"
url = "rtsp://h/x"
[[camera.mask]]
name = "the neighbour's window"
polygon = [[0, 0], [0.5, 0], [0.5, 0.5]]
)",
                       "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_FALSE(c->cameras[0].detect.enabled());
  ASSERT_EQ(c->cameras[0].detect.masks.size(), 1u);
  EXPECT_EQ(c->cameras[0].detect.masks[0].applies, detect::Mask::Applies::kShared);
}

TEST(Config, WrongTypeNamesKey) {
  EXPECT_EQ(errorOf("[node]\nname = 5\n"), "vigil.toml:2: node.name: must be a string");
  EXPECT_EQ(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\nretain_days = \"30\"\n"),
            "vigil.toml:4: camera[0].retain_days: must be an integer");
}

TEST(Config, BadValuesNameKey) {
  EXPECT_EQ(errorOf("[node]\ntier = \"city\"\n"),
            "vigil.toml:2: node.tier: must be one of household, village, township, county (got \"city\")");
  EXPECT_THAT(errorOf("[[camera]]\nid = \"Gate!\"\nurl = \"rtsp://h/x\"\n"),
              HasSubstr("vigil.toml:2: camera[0].id: \"Gate!\" must match"));
  EXPECT_EQ(errorOf("[[camera]]\nid = \"a\"\nurl = \"http://h/x\"\n"),
            "vigil.toml:3: camera[0].url: must be an rtsp:// URL");
  EXPECT_THAT(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\nretain_days = 0\n"),
              HasSubstr("camera[0].retain_days: must be between 1 and 3650 (got 0)"));
  EXPECT_EQ(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\nrecord = \"events\"\npre_roll_s = 61\n"),
            "vigil.toml:5: camera[0].pre_roll_s: must be between 0 and 60 (got 61)");
  EXPECT_EQ(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\npost_roll_s = -1\n"),
            "vigil.toml:4: camera[0].post_roll_s: must be between 0 and 3600 (got -1)");
  EXPECT_EQ(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\npost_roll_s = 2.5\n"),
            "vigil.toml:4: camera[0].post_roll_s: must be an integer");
  EXPECT_EQ(errorOf("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\nauth = \"basic\"\n"),
            "vigil.toml:4: camera[0].auth: must be one of auto, digest (got \"basic\")");
  EXPECT_THAT(errorOf("[http]\nlisten = \"localhost\"\n"), HasSubstr("vigil.toml:2: http.listen:"));
  EXPECT_EQ(errorOf("[http]\ntls_cert = \"c.pem\"\n"), "vigil.toml:2: http.tls_cert: tls_cert and tls_key go together");
  EXPECT_EQ(errorOf("[http]\nhosts = \"cam.example\"\n"),
            "vigil.toml:2: http.hosts: must be an array of a host name without port (\"cam.example.org\")");
  EXPECT_EQ(errorOf("[http]\nhosts = [\"cam.example:8080\"]\n"),
            "vigil.toml:2: http.hosts: each must be a host name without port (\"cam.example.org\")");
  EXPECT_EQ(errorOf("[access]\npassword_checks_per_second = 0\n"),
            "vigil.toml:2: access.password_checks_per_second: must be between 1 and 1000 (got 0)");
  auto hosts = parseConfig("[http]\nhosts = [\"cam.example\", \"vigil.lan\"]\n", "vigil.toml");
  ASSERT_TRUE(hosts.isOk());
  EXPECT_EQ(hosts->http.hosts, (std::vector<std::string>{"cam.example", "vigil.lan"}));
  EXPECT_THAT(errorOf("[[camera]]\nid = \"a\"\n"), HasSubstr("camera[0].url: is required"));
  EXPECT_THAT(errorOf("[[camera]]\nid=\"a\"\nurl=\"rtsp://h/1\"\n[[camera]]\nid=\"a\"\nurl=\"rtsp://h/2\"\n"),
              HasSubstr("vigil.toml:5: camera[1].id: duplicate camera id \"a\""));
}

TEST(Config, NodeIdAndLinkParent) {
  auto c = parseConfig("[node]\nid = \"house-7\"\n[link]\nparent = \"https://village.example:8443\"\n", "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->node.id, "house-7");
  EXPECT_EQ(c->link.parent, "https://village.example:8443");
  EXPECT_TRUE(c->canonicalSections.contains("link"));
  EXPECT_EQ(errorOf("[node]\nid = \"House 7\"\n"), "vigil.toml:2: node.id: must be 1 to 64 of a-z, 0-9, '_' and '-'");
  EXPECT_EQ(errorOf("[node]\nid = \"h\"\n[link]\nparent = \"http://v:80\"\n"),
            "vigil.toml:4: link.parent: must be https://HOST:PORT");
  EXPECT_EQ(errorOf("[node]\nid = \"h\"\n[link]\nparent = \"https://v:8443/x\"\n"),
            "vigil.toml:4: link.parent: must be https://HOST:PORT");
  EXPECT_EQ(errorOf("[link]\nparent = \"https://v:8443\"\n"), "vigil.toml:2: link.parent: needs [node] id");
}

TEST(Config, AlarmEscalatesAfterSeconds) {
  auto c = parseConfig("[alarm]\nescalate_after = 2\n", "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->alarm.escalateAfter, std::chrono::seconds(2));
  EXPECT_EQ(parseConfig("", "vigil.toml")->alarm.escalateAfter, std::chrono::seconds(120));
  EXPECT_THAT(errorOf("[alarm]\nescalate_after = 0\n"), HasSubstr("vigil.toml:2: alarm.escalate_after"));
  EXPECT_THAT(errorOf("[alarm]\nescalate_afer = 5\n"), HasSubstr("escalate_afer"));
}

TEST(Config, NotifyNeedsNodeIdAndDataDir) {
  constexpr std::string_view kNode = "[node]\nid = \"house-1\"\ndata_dir = \"/var/lib/vigil\"\n";
  auto c = parseConfig(std::string(kNode) + "[notify]\nmqtt = \"mqtt://127.0.0.1\"\n", "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->notify.broker.port, 1883);
  EXPECT_FALSE(parseConfig("", "vigil.toml")->notify.enabled());
  EXPECT_THAT(errorOf("[notify]\nmqtt = \"mqtt://127.0.0.1\"\n"), HasSubstr("notify.mqtt: needs [node] id and data_dir"));
  EXPECT_THAT(errorOf(std::string(kNode) + "[notify]\nmqtt_pasword_file = \"p\"\n"), HasSubstr("mqtt_pasword_file"));
}

TEST(Config, SyntaxErrorNamesLine) {
  EXPECT_THAT(errorOf("[node]\nname = \n"), HasSubstr("vigil.toml:2:"));
}

TEST(Config, MissingFileIsAnError) {
  auto c = loadConfigFile("/nonexistent/vigil.toml");
  ASSERT_FALSE(c.isOk());
  EXPECT_EQ(c.status().message(), "/nonexistent/vigil.toml: cannot read config file");
}

TEST(Config, AccessDatabaseMustBeAPostgresUri) {
  auto c = parseConfig("[access]\ndatabase = \"postgresql://vigil:pw@db.example/vigil\"\n", "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->access.database, "postgresql://vigil:pw@db.example/vigil");
  EXPECT_EQ(parseConfig("", "vigil.toml")->access.database, "");  // SQLite in data_dir
  // The message does not echo the value, which may hold a password.
  EXPECT_EQ(errorOf("[access]\ndatabase = \"mysql://u:secret@h/db\"\n"),
            "vigil.toml:2: access.database: must be a postgresql:// URI");
  EXPECT_EQ(errorOf("[access]\nurl = \"x\"\n"),
            "vigil.toml:2: access.url: unknown key (allowed: database, session_lifetime_s, session_idle_s, "
            "device_idle_s, password_checks_per_second)");
}

TEST(Config, SessionTimesAndLiveViewCaps) {
  auto defaults = parseConfig("", "vigil.toml");
  ASSERT_TRUE(defaults.isOk());
  EXPECT_EQ(defaults->access.sessionLifetimeSeconds, 12 * 60 * 60);
  EXPECT_EQ(defaults->access.sessionIdleSeconds, 30 * 60);
  EXPECT_EQ(defaults->http.liveViewsPerSession, 32);
  EXPECT_EQ(defaults->http.liveViewsPerUser, 64);
  auto c = parseConfig("[http]\nlive_views_per_session = 2\nlive_views_per_user = 3\n"
                       "[access]\nsession_lifetime_s = 25\nsession_idle_s = 600\n",
                       "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->http.liveViewsPerSession, 2);
  EXPECT_EQ(c->http.liveViewsPerUser, 3);
  EXPECT_EQ(c->access.sessionLifetimeSeconds, 25);
  EXPECT_EQ(c->access.sessionIdleSeconds, 600);
  EXPECT_EQ(errorOf("[http]\nlive_views_per_user = 0\n"),
            "vigil.toml:2: http.live_views_per_user: must be between 1 and 10000 (got 0)");
  EXPECT_EQ(errorOf("[access]\nsession_lifetime_s = \"1h\"\n"),
            "vigil.toml:2: access.session_lifetime_s: must be an integer");
}

TEST(Config, BrowserTranscodes) {
  auto defaults = parseConfig("", "vigil.toml");
  ASSERT_TRUE(defaults.isOk());
  EXPECT_EQ(defaults->transcode.maxConcurrent, 2);
  EXPECT_EQ(defaults->transcode.maxWidth, 1280);
  auto c = parseConfig("[transcode]\nmax_concurrent = 0\nmax_width = 640\n", "vigil.toml");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->transcode.maxConcurrent, 0);
  EXPECT_EQ(c->transcode.maxWidth, 640);
  EXPECT_EQ(errorOf("[transcode]\nmax_width = 100\n"),
            "vigil.toml:2: transcode.max_width: must be between 160 and 7680 (got 100)");
}

TEST(Config, CanonicalSectionsIgnoreLayoutAndLeaveSecretsOut) {
  auto a = parseConfig(kGood, "vigil.toml");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->sourceText, kGood);
  std::vector<std::string> names;
  for (const auto& [name, text] : a->canonicalSections) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"camera gate", "camera road-2", "http", "node"}));
  EXPECT_THAT(a->canonicalSections["camera gate"], HasSubstr("rtsp://user:***@192.0.2.5:554/stream1"));
  EXPECT_THAT(a->canonicalSections["camera gate"], ::testing::Not(HasSubstr("pass")));
  // Comments, blank lines and key order do not change a section.
  auto b = parseConfig(std::string(kGood).replace(std::string(kGood).find("[http]"), 6, "# web\n\n[http]"),
                       "vigil.toml");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(a->canonicalSections, b->canonicalSections);
  EXPECT_NE(a->sourceText, b->sourceText);
  auto reordered = parseConfig("[node]\ntier = \"village\"\nname = \"x\"\n", "t");
  auto ordered = parseConfig("[node]\nname = \"x\"\ntier = \"village\"\n", "t");
  EXPECT_EQ(reordered->canonicalSections, ordered->canonicalSections);
  auto withPassword = parseConfig("[[camera]]\nid = \"a\"\nurl = \"rtsp://h/x\"\npassword = \"hunter2\"\n"
                                  "onvif = \"http://h/onvif/device_service\"\nonvif_password = \"Ptz-0nvif\"\n", "t");
  ASSERT_TRUE(withPassword.isOk());
  EXPECT_THAT(withPassword->canonicalSections["camera a"], HasSubstr("password = "));
  EXPECT_THAT(withPassword->canonicalSections["camera a"], ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(withPassword->canonicalSections["camera a"], HasSubstr("onvif_password = "));
  EXPECT_THAT(withPassword->canonicalSections["camera a"], ::testing::Not(HasSubstr("Ptz-0nvif")));
  // A password holding '/' and '@' (the URL's userinfo ends at its last '@').
  auto slashed = parseConfig("[[camera]]\nid = \"a\"\nurl = \"rtsp://u2:P4ss/Sl@sh@h/x\"\n", "t");
  ASSERT_TRUE(slashed.isOk());
  EXPECT_THAT(slashed->canonicalSections["camera a"], HasSubstr("rtsp://u2:***@h/x"));
  EXPECT_THAT(slashed->canonicalSections["camera a"], ::testing::Not(HasSubstr("P4ss")));
  // A password holding spaces: the value is one URL as a whole.
  auto spaced = parseConfig("[[camera]]\nid = \"a\"\nurl = \"rtsp://cam:pa ss word@h/x\"\n", "t");
  ASSERT_TRUE(spaced.isOk());
  EXPECT_THAT(spaced->canonicalSections["camera a"], HasSubstr("rtsp://cam:***@h/x"));
  EXPECT_THAT(spaced->canonicalSections["camera a"], ::testing::Not(HasSubstr("word")));
}

}  // namespace
}  // namespace vigil::app
