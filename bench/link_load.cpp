// vigil-link-load: many household links to one parent from one process,
// for bench/link.py's idle-links figure (memory and CPU per link at the
// parent). Not a test: a load generator.
//
//   vigil-link-load enrol --parent-data DIR --keys DIR --count N
//       enrols households h0..h(N-1) in the parent's link.db (as if each had
//       joined with an invitation) and keeps their keys in --keys
//   vigil-link-load run --parent-data DIR --parent https://HOST:PORT --parent-id ID --keys DIR --count N
//                       --seconds S
//       dials the parent as those households and keeps the links up for S
//       seconds; prints one JSON object: links connected, seconds until all were
//   vigil-link-load households ... (the same arguments as run)
//       the same, each household with its own bus and outbox (<keys>/hN.outbox.db)
//       answering notices like a real one (bench/broadcast.py): it stores
//       nothing but sends the `notice.receipt` "delivered" up once the
//       notice and all its audio chunks arrived
//   vigil-link-load health ... (the same arguments as run) [--cameras 5] [--settle S] [--measure S]
//                              [--parent-tier county]
//       households as above, each with the real health reporter
//       (link/health_reporter.h) over --cameras simulated cameras (the
//       first shared with the parent's tier, one offline) and the overview's
//       figures (bench/overview.py); once every link is up and --settle
//       seconds passed, the links' bytes over --measure seconds, per link
//       and hour, in the JSON line ("measuring" and "measured" on stderr
//       mark the window)
//
// The parent's data directory gives its public key (node.key), as the
// invitation's code would give it to a real household.
#include <fmt/format.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "access/node_key.h"
#include "alarm/notice.h"
#include "base/event_loops.h"
#include "base/time.h"
#include "link/health_reporter.h"
#include "link/link_store.h"
#include "link/outbox.h"
#include "link/parent_link.h"

namespace {

using vigil::SystemClock;
namespace alarm = vigil::alarm;
namespace link = vigil::link;

std::string childId(int i) { return fmt::format("h{}", i); }

int fail(const std::string& what) {
  std::fprintf(stderr, "vigil-link-load: %s\n", what.c_str());
  return 1;
}

int enrol(const std::filesystem::path& parentData, const std::filesystem::path& keys, int count) {
  std::filesystem::create_directories(parentData);
  std::filesystem::create_directories(keys);
  auto store = link::LinkStore::open((parentData / "link.db").string());
  if (!store) return fail(store.status().toString());
  const vigil::WallTime now = SystemClock::instance().now();
  for (int i = 0; i < count; ++i) {
    auto key = vigil::access::NodeKey::loadOrCreate(keys / (childId(i) + ".key"));
    if (!key) return fail(key.status().toString());
    // A hash no code matches: the invitation is used at once below.
    std::vector<uint8_t> hash(32);
    randombytes_buf(hash.data(), hash.size());
    auto invite = (*store)->addInvite(childId(i), {vigil::Tier::kHousehold, childId(i)}, hash, now,
                                      now + std::chrono::hours(1));
    if (!invite) return fail(invite.status().toString());
    link::ChildRecord child{childId(i), childId(i), vigil::Tier::kHousehold, key->publicKey(), now, std::nullopt};
    if (auto s = (*store)->enrolChild(*invite, child, now); !s.isOk()) return fail(s.toString());
  }
  return 0;
}

// A simulated household's side of notices: its own bus and outbox (so
// delivery and acks go through the real link code), and the receipt
// "delivered" sent up when a notice is whole here. Receivers run on the
// outbox's thread only.
class Household {
 public:
  static std::unique_ptr<Household> open(const std::filesystem::path& keys, const std::string& id) {
    auto h = std::unique_ptr<Household>(new Household(id));
    auto outbox = link::Outbox::open((keys / (id + ".outbox.db")).string(), h->bus_);
    if (!outbox) {
      std::fprintf(stderr, "vigil-link-load: %s\n", outbox.status().toString().c_str());
      return nullptr;
    }
    h->outbox_ = std::move(*outbox);
    Household* self = h.get();
    h->outbox_->receive(std::string(alarm::kNoticeMessage), [self](const link::Peer&, std::span<const uint8_t> b) {
      return self->notice(b);
    });
    h->outbox_->receive(std::string(alarm::kAudioMessage), [self](const link::Peer&, std::span<const uint8_t> b) {
      return self->audio(b);
    });
    // The chain of nodes above checks asks from above, which these households never get.
    h->bus_.handleFromParent(link::Kind::kChain, [](const link::Peer&, link::Frame) { return vigil::Status::ok(); });
    h->outbox_->start();
    return h;
  }
  link::Bus& bus() { return bus_; }
  int delivered() const { return delivered_; }
  void stop() {
    reporter_.reset();
    outbox_->stop();
  }
  // Its health up, as a real household's: `cameras` cameras, the first
  // shared with the parent's tier, the last offline; the overview's figures
  // of a household that records them all.
  void reportHealth(int cameras, vigil::Tier parentTier) {
    std::vector<vigil::camera::CameraStatus> statuses;
    for (int i = 0; i < cameras; ++i) {
      vigil::camera::CameraStatus c;
      c.id = fmt::format("c{}", i);
      c.name = fmt::format("Camera {}", i);
      c.state = i + 1 < cameras ? vigil::camera::CameraState::kStreaming : vigil::camera::CameraState::kRetrying;
      statuses.push_back(c);
    }
    link::CatalogSources sources{
        .cameras = [statuses] { return statuses; },
        .rights = [parentTier](const std::string& camera) -> vigil::Result<link::TierRights> {
          if (camera != "c0") return link::TierRights{};
          return link::TierRights{{parentTier, {vigil::access::ShareRight::kLive}}};
        }};
    link::HealthReporterOptions options;
    options.overview = [cameras](link::HealthSummary& s) {
      s.figures = {.camerasRecording = cameras - 1,
                   .rate7d = 0.9731,
                   .rate30d = 0.9644,
                   .storageUsedBytes = uint64_t{412} << 30,
                   .storageBytesPerDay = uint64_t{21} << 30,
                   .storageCapacityBytes = uint64_t{930} << 30,
                   .oldestRecording = vigil::WallTime::fromUnixMicros(s.at.unixMicros() - int64_t{19} * 86'400'000'000),
                   .alarmsOpen = 0};
      s.daily.assign(30, 0.97);
    };
    reporter_ = std::make_unique<link::HealthReporter>(*outbox_, sources, parentTier, SystemClock::instance(), options);
  }
  // One poll of the reporter (what its thread does every second): the
  // caller polls every household from one thread.
  void pollHealth() {
    if (auto s = reporter_ ? reporter_->poll() : vigil::Status::ok(); !s.isOk()) {
      std::fprintf(stderr, "vigil-link-load: %s\n", s.toString().c_str());
    }
  }

 private:
  explicit Household(std::string id) : id_(std::move(id)) {}

  vigil::Status notice(std::span<const uint8_t> body) {
    auto n = alarm::decodeNotice(body);
    if (!n) return vigil::Status::ok();  // a real household logs and takes it
    if (n->audioBytes == 0) return deliveredNow(n->id);
    chunksLeft_[n->id] = n->audioChunks();
    return vigil::Status::ok();
  }
  vigil::Status audio(std::span<const uint8_t> body) {
    auto chunk = alarm::decodeAudioChunk(body);
    if (!chunk) return vigil::Status::ok();
    auto it = chunksLeft_.find(chunk->id);
    if (it == chunksLeft_.end() || --it->second > 0) return vigil::Status::ok();
    chunksLeft_.erase(it);
    return deliveredNow(chunk->id);
  }
  vigil::Status deliveredNow(const std::string& notice) {
    const int64_t now = SystemClock::instance().now().unixMicros() / 1000;
    auto seq = outbox_->enqueue(link::Peer::theParent(), alarm::kReceiptMessage,
                                alarm::encode(alarm::Receipts{notice, {{id_, now, 0}}}));
    if (!seq) return seq.status();
    ++delivered_;
    return vigil::Status::ok();
  }

  const std::string id_;
  link::Bus bus_;
  std::unique_ptr<link::Outbox> outbox_;
  std::map<std::string, int64_t> chunksLeft_;  // per notice whose audio is under way
  std::atomic<int> delivered_{0};
  std::unique_ptr<link::HealthReporter> reporter_;
};

struct HealthOptions {
  bool on = false;
  int cameras = 5;
  int settleSeconds = 20;
  int measureSeconds = 60;
  vigil::Tier parentTier = vigil::Tier::kCounty;
};

// The links' bytes in and out, summed.
std::pair<uint64_t, uint64_t> traffic(const std::vector<std::shared_ptr<link::ParentLink>>& links) {
  uint64_t in = 0, out = 0;
  for (const auto& l : links) {
    const link::Traffic t = l->status().traffic;
    in += t.bytesIn;
    out += t.bytesOut;
  }
  return {in, out};
}

int run(const std::filesystem::path& parentData, const std::string& url, const std::string& parentId,
        const std::filesystem::path& keys, int count, int seconds, bool households, HealthOptions health = {}) {
  auto parentKey = vigil::access::NodeKey::load(parentData / "node.key");
  if (!parentKey) return fail(parentKey.status().toString());
  const link::ParentRecord parent{url, parentId, parentId, health.on ? health.parentTier : vigil::Tier::kVillage,
                                  parentKey->publicKey(), SystemClock::instance().now()};
  std::vector<vigil::access::NodeKey> childKeys;
  childKeys.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto key = vigil::access::NodeKey::load(keys / (childId(i) + ".key"));
    if (!key) return fail(key.status().toString());
    childKeys.push_back(std::move(*key));
  }
  std::vector<std::unique_ptr<Household>> homes;
  for (int i = 0; households && i < count; ++i) {
    homes.push_back(Household::open(keys, childId(i)));
    if (!homes.back()) return 1;
    if (health.on) homes.back()->reportHealth(health.cameras, health.parentTier);
  }
  // Idle links take only what a parent sends every child on link-up: the
  // chain of nodes above (ignored; these households are never asked).
  std::vector<std::unique_ptr<link::Bus>> idleBuses;
  for (int i = 0; !households && i < count; ++i) {
    idleBuses.push_back(std::make_unique<link::Bus>());
    idleBuses.back()->handleFromParent(link::Kind::kChain, [](const link::Peer&, link::Frame) { return vigil::Status::ok(); });
  }
  vigil::EventLoopPool loops(1);
  std::vector<std::shared_ptr<link::ParentLink>> links;
  for (int i = 0; i < count; ++i) {
    link::Bus* bus = households ? &homes[static_cast<size_t>(i)]->bus() : idleBuses[static_cast<size_t>(i)].get();
    links.push_back(std::make_shared<link::ParentLink>(loops.next(), childKeys[static_cast<size_t>(i)], parent,
                                                       childId(i), SystemClock::instance(), link::ParentLinkOptions{},
                                                       bus));
    links.back()->start();
  }
  loops.start();
  const auto begin = std::chrono::steady_clock::now();
  const auto end = begin + std::chrono::seconds(seconds);
  double allUpSeconds = -1;
  int connected = 0;
  std::optional<std::chrono::steady_clock::time_point> measureFrom, measureTo;
  std::pair<uint64_t, uint64_t> before{}, after{};
  auto nextPoll = begin;
  while (std::chrono::steady_clock::now() < end) {
    const auto now = std::chrono::steady_clock::now();
    if (health.on && now >= nextPoll) {
      for (auto& h : homes) h->pollHealth();
      nextPoll = now + std::chrono::seconds(1);
    }
    connected = 0;
    for (const auto& l : links) connected += l->status().state == "connected";
    if (connected == count && allUpSeconds < 0) {
      allUpSeconds = std::chrono::duration<double>(now - begin).count();
      // The line bench/link.py waits for before it measures the idle links.
      std::fprintf(stderr, "vigil-link-load: all %d links up\n", count);
      if (health.on) measureFrom = now + std::chrono::seconds(health.settleSeconds);
    }
    if (measureFrom && !measureTo && now >= *measureFrom) {
      before = traffic(links);
      measureTo = now + std::chrono::seconds(health.measureSeconds);
      std::fprintf(stderr, "vigil-link-load: measuring\n");
    } else if (measureTo && now >= *measureTo && after.first == 0) {
      after = traffic(links);
      std::fprintf(stderr, "vigil-link-load: measured\n");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (auto& l : links) l->stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  loops.stop();
  loops.join();
  int delivered = 0;
  for (auto& h : homes) {
    h->stop();
    delivered += h->delivered();
  }
  // Bytes per link and hour over the window (0 without one).
  const double perLinkHour = health.on && count > 0 ? 3600.0 / health.measureSeconds / count : 0;
  fmt::print(R"({{"links": {}, "connected": {}, "all_up_seconds": {:.2f}, "notices_delivered": {}, )"
             R"("bytes_in_per_link_hour": {:.0f}, "bytes_out_per_link_hour": {:.0f}}})"
             "\n",
             count, connected, allUpSeconds, delivered, static_cast<double>(after.first - before.first) * perLinkHour,
             static_cast<double>(after.second - before.second) * perLinkHour);
  return connected == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return fail("libsodium did not start");
  std::string mode = argc > 1 ? argv[1] : "";
  std::string parentData, keys, url, parentId;
  int count = 0, seconds = 30;
  HealthOptions health{.on = mode == "health"};
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string arg = argv[i], value = argv[i + 1];
    if (arg == "--parent-data") parentData = value;
    else if (arg == "--keys") keys = value;
    else if (arg == "--parent") url = value;
    else if (arg == "--parent-id") parentId = value;
    else if (arg == "--count") count = std::atoi(value.c_str());
    else if (arg == "--seconds") seconds = std::atoi(value.c_str());
    else if (arg == "--cameras") health.cameras = std::max(1, std::atoi(value.c_str()));
    else if (arg == "--settle") health.settleSeconds = std::atoi(value.c_str());
    else if (arg == "--measure") health.measureSeconds = std::max(1, std::atoi(value.c_str()));
    else if (arg == "--parent-tier") {
      auto tier = vigil::parseTier(value);
      if (!tier) return fail(tier.status().toString());
      health.parentTier = *tier;
    } else return fail("unknown argument " + arg);
  }
  if (parentData.empty() || keys.empty() || count < 1) return fail("need --parent-data, --keys and --count >= 1");
  if (mode == "enrol") return enrol(parentData, keys, count);
  if ((mode == "run" || mode == "households" || mode == "health") && !url.empty() && !parentId.empty() && seconds >= 1)
    return run(parentData, url, parentId, keys, count, seconds, mode != "run", health);
  return fail("usage: vigil-link-load enrol|run|households|health ... (see bench/link_load.cpp)");
}
