#include "app/node_overview.h"

#include <algorithm>
#include <filesystem>

#include "base/log.h"

namespace vigil::app {

namespace {

constexpr auto kRefresh = std::chrono::seconds(60);
constexpr int64_t kDayMicros = int64_t{86400} * 1'000'000;
constexpr auto kWriteWindow = std::chrono::hours(24);

WallTime wholeMillis(WallTime t) { return WallTime::fromUnixMicros(t.unixMicros() / 1000 * 1000); }

// Online and counted seconds of several cameras over one range: their rate together.
struct Tally {
  double online = 0;
  double counted = 0;
  void add(const uptime::CameraHealth& h) {
    online += h.onlineSeconds;
    counted += h.countedSeconds;
  }
  std::optional<double> rate() const { return counted > 0 ? std::optional<double>(online / counted) : std::nullopt; }
};

}  // namespace

NodeOverview::NodeOverview(NodeOverviewSources sources) : sources_(std::move(sources)) {}

bool NodeOverview::recordingNow(const camera::CameraStatus& c) const {
  return sources_.store && sources_.recorded.contains(c.id) && c.state == camera::CameraState::kStreaming &&
         !sources_.store->storageFull(c.id);
}

link::HealthSummary NodeOverview::own() {
  const std::vector<camera::CameraStatus> cameras = sources_.cameras();
  link::HealthSummary s{.at = wholeMillis(sources_.clock->now()), .camerasTotal = static_cast<int64_t>(cameras.size())};
  for (const camera::CameraStatus& c : cameras) {
    s.camerasOnline += c.state == camera::CameraState::kStreaming ? 1 : 0;
  }
  {
    MutexLock lock(mutex_);
    const Slow& slow = this->slow();
    s.figures = slow.figures;
    s.daily = slow.daily;
  }
  s.figures.camerasRecording = std::count_if(cameras.begin(), cameras.end(), [this](const camera::CameraStatus& c) {
    return recordingNow(c);
  });
  if (sources_.alarms) {
    for (alarm::State state : {alarm::State::kOpen, alarm::State::kAcknowledged}) {
      auto list = sources_.alarms->list(state, 100000);
      if (!list) continue;
      // Raised here: a child's alarms are counted in its own figures.
      s.figures.alarmsOpen += std::count_if(list->begin(), list->end(),
                                            [](const alarm::StoredAlarm& a) { return a.fromChild.empty(); });
    }
  }
  return s;
}

std::vector<http::OverviewCamera> NodeOverview::cameras() {
  const std::vector<camera::CameraStatus> cameras = sources_.cameras();
  MutexLock lock(mutex_);
  const Slow& slow = this->slow();
  std::vector<http::OverviewCamera> out;
  for (const camera::CameraStatus& c : cameras) {
    http::OverviewCamera row{.id = c.id,
                             .name = c.name,
                             .online = c.state == camera::CameraState::kStreaming,
                             .recording = recordingNow(c)};
    if (auto r = slow.rates.find(c.id); r != slow.rates.end()) std::tie(row.rate7d, row.rate30d) = r->second;
    out.push_back(std::move(row));
  }
  return out;
}

std::optional<WallTime> NodeOverview::oldestRecording(const std::vector<camera::CameraStatus>& cameras, WallTime now) {
  // Retention deletes from the oldest: the day after the oldest seen last
  // time usually holds the oldest now; else the whole range from there.
  std::optional<WallTime> oldest;
  for (const camera::CameraStatus& c : cameras) {
    const WallTime from = oldest_.contains(c.id) ? oldest_[c.id] : WallTime::fromUnixMicros(0);
    auto recordings = sources_.store->recordings(c.id, from, std::min(now, from + std::chrono::hours(24)));
    if (recordings && recordings->empty()) recordings = sources_.store->recordings(c.id, from, now);
    if (!recordings || recordings->empty()) {
      oldest_.erase(c.id);
      continue;
    }
    oldest_[c.id] = recordings->front().start;
    if (!oldest || recordings->front().start < *oldest) oldest = recordings->front().start;
  }
  if (oldest) oldest = wholeMillis(*oldest);
  return oldest;
}

const NodeOverview::Slow& NodeOverview::slow() {
  const auto now = sources_.clock->steadyNow();
  if (!slow_ || now - computed_ >= kRefresh) {
    slow_ = compute(sources_.cameras());
    computed_ = now;
  }
  return *slow_;
}

NodeOverview::Slow NodeOverview::compute(const std::vector<camera::CameraStatus>& cameras) {
  Slow out;
  const WallTime now = sources_.clock->now();
  if (sources_.uptime) {
    const int64_t today = now.unixMicros() / kDayMicros * kDayMicros;  // UTC days
    Tally week;
    Tally month;
    std::vector<Tally> days(kOverviewDays);
    for (const camera::CameraStatus& c : cameras) {
      auto w = sources_.uptime->health(c.id, now + std::chrono::hours(-24 * 7), now);
      auto m = sources_.uptime->health(c.id, now + std::chrono::hours(-24 * 30), now);
      if (!w || !m) continue;
      week.add(*w);
      month.add(*m);
      out.rates[c.id] = {w->onlineRate, m->onlineRate};
      for (int d = 0; d < kOverviewDays; ++d) {
        const int64_t start = today - int64_t{kOverviewDays - 1 - d} * kDayMicros;
        auto h = sources_.uptime->health(c.id, WallTime::fromUnixMicros(start), WallTime::fromUnixMicros(start + kDayMicros));
        if (h) days[static_cast<size_t>(d)].add(*h);
      }
    }
    out.figures.rate7d = week.rate();
    out.figures.rate30d = month.rate();
    for (const Tally& t : days) out.daily.push_back(t.rate());
  }
  if (storage::Store* store = sources_.store) {
    for (const storage::DirStatus& d : store->dirStatus()) {
      out.figures.storageUsedBytes += d.stats.bytesUsed;
      std::error_code ec;
      const auto space = std::filesystem::space(d.path, ec);
      if (!ec && space.available > sources_.minFreeBytes) {
        out.figures.storageCapacityBytes += d.stats.bytesUsed + (space.available - sources_.minFreeBytes);
      } else {
        out.figures.storageCapacityBytes += d.stats.bytesUsed;
      }
    }
    // Written per day: the recordings of the last day, over the time they cover.
    const WallTime since = now + std::chrono::duration_cast<std::chrono::microseconds>(-kWriteWindow);
    uint64_t bytes = 0;
    std::optional<WallTime> first;
    for (const camera::CameraStatus& c : cameras) {
      auto recordings = store->recordings(c.id, since, now);
      if (!recordings) continue;
      for (const storage::RecordingInfo& r : *recordings) {
        bytes += r.bytes;
        const WallTime start = std::max(r.start, since);
        if (!first || start < *first) first = start;
      }
    }
    if (first && now > *first) {
      const double days = static_cast<double>((now - *first).count()) / static_cast<double>(kDayMicros);
      out.figures.storageBytesPerDay = static_cast<uint64_t>(static_cast<double>(bytes) / std::max(days, 1.0 / 24));
    }
    out.figures.oldestRecording = oldestRecording(cameras, now);
  }
  return out;
}

}  // namespace vigil::app
