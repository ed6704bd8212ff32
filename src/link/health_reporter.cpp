#include "link/health_reporter.h"

#include <algorithm>

#include "base/log.h"
#include "link/wire.h"

namespace vigil::link {

namespace {

WallTime wholeMillis(WallTime t) { return WallTime::fromUnixMicros(t.unixMicros() / 1000 * 1000); }

// What changes a summary at once; the rest (rates, bytes) goes up with the periodic one.
std::vector<int64_t> atAGlance(const HealthSummary& s) {
  std::vector<int64_t> out{s.withheld, s.camerasTotal, s.camerasOnline, s.figures.camerasRecording, s.figures.alarmsOpen};
  for (const NodeBelow& n : s.below) {
    out.insert(out.end(), {n.connected, n.camerasTotal, n.camerasOnline, n.figures.camerasRecording, n.figures.alarmsOpen});
  }
  return out;
}

// The nodes below that fit one outbox message: those deepest and last go first.
void fitBelow(HealthSummary& s) {
  const size_t given = s.below.size();
  if (s.below.size() > kMaxNodesBelow) s.below.resize(kMaxNodesBelow);
  std::stable_sort(s.below.begin(), s.below.end(),
                   [](const NodeBelow& a, const NodeBelow& b) { return a.path.size() < b.path.size(); });
  size_t size = encode(s).size();
  while (size > kMaxMessageBodyBytes && !s.below.empty()) {
    s.below.resize(s.below.size() - std::max<size_t>(1, s.below.size() / 10));
    size = encode(s).size();
  }
  if (s.below.size() < given) log::warn("link.health_below_trimmed", {{"nodes", given}, {"sent", s.below.size()}});
}

}  // namespace

HealthReporter::HealthReporter(Outbox& outbox, CatalogSources sources, Tier parentTier, const Clock& clock,
                               HealthReporterOptions options)
    : outbox_(outbox), sources_(std::move(sources)), parentTier_(parentTier), clock_(clock), options_(options) {}

HealthReporter::~HealthReporter() { stop(); }

void HealthReporter::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void HealthReporter::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthReporter::run() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (Status s = poll(); !s.isOk()) log::error("link.health_not_queued", {{"error", s}});
    lock.lock();
    lock.waitFor(wake_, options_.poll, [&]() REQUIRES(mutex_) { return stopping_; });
  }
}

Status HealthReporter::poll() {
  const std::vector<camera::CameraStatus> cameras = sources_.cameras();
  std::vector<SharedCamera> shared = sharedUpward(sources_, cameras, parentTier_);
  std::sort(shared.begin(), shared.end(),
            [](const SharedCamera& a, const SharedCamera& b) { return a.status.id < b.status.id; });
  if (shared.size() > kMaxHealthChanges) {
    log::warn("link.health_too_many_cameras", {{"shared", shared.size()}, {"reported", kMaxHealthChanges}});
    shared.resize(kMaxHealthChanges);
  }
  std::map<std::string, CameraHealthChange> now;
  for (const SharedCamera& c : shared) {
    const bool online = c.status.state == camera::CameraState::kStreaming;
    now.emplace(c.status.id, CameraHealthChange{c.status.id, online, std::string(camera::cameraStateName(c.status.state))});
  }
  const WallTime at = wholeMillis(clock_.now());
  HealthSummary counts{.at = at, .withheld = options_.totalsShared && !options_.totalsShared()};
  if (!counts.withheld) {
    counts.camerasTotal = static_cast<int64_t>(cameras.size());
    counts.camerasOnline = std::count_if(cameras.begin(), cameras.end(), [](const camera::CameraStatus& c) {
      return c.state == camera::CameraState::kStreaming;
    });
    if (options_.overview) options_.overview(counts);
    fitBelow(counts);
  }

  MutexLock lock(mutex_);
  HealthChanges m{at, !listed_, {}};
  for (const auto& [id, c] : now) {
    auto it = reported_.find(id);
    if (m.full || it == reported_.end() || it->second.online != c.online) m.changes.push_back(c);
  }
  for (const auto& [id, c] : reported_) {
    if (!now.contains(id)) m.changes.push_back({id, std::nullopt, std::string(kUnsharedState)});
  }
  if (m.full || !m.changes.empty()) {
    auto seq = outbox_.enqueue(Peer::theParent(), kHealthChangesMessage, encode(m));
    if (!seq) return seq.status();
    for (const CameraHealthChange& c : m.changes) {
      log::info("link.health_queued", {{"camera", c.camera}, {"state", c.state}, {"message", *seq}});
    }
    listed_ = true;
    reported_ = std::move(now);
  }
  return queueSummary(counts);
}

Status HealthReporter::queueSummary(const HealthSummary& now) {
  if (summary_ && atAGlance(*summary_) == atAGlance(now) && clock_.steadyNow() - summaryQueued_ < options_.summaryEvery) {
    return Status::ok();
  }
  if (summarySeq_ > 0) {
    auto acked = outbox_.lastAcknowledged(Peer::theParent(), kHealthSummaryMessage);
    if (!acked) return acked.status();
    if (!*acked || (*acked)->seq < summarySeq_) return Status::ok();  // the last one still waits
  }
  auto seq = outbox_.enqueue(Peer::theParent(), kHealthSummaryMessage, encode(now));
  if (!seq) return seq.status();
  summary_ = now;
  summarySeq_ = *seq;
  summaryQueued_ = clock_.steadyNow();
  return Status::ok();
}

}  // namespace vigil::link
