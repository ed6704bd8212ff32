#include "uptime/outage.h"

#include <algorithm>

namespace vigil::uptime {

namespace {

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// A failed session's reason (Status::toString(): "code: message") as a code.
std::string_view sessionFailure(std::string_view reason) {
  if (startsWith(reason, "unauthenticated") || startsWith(reason, "permission_denied")) return kAuthFailed;
  // It answers, but gives no video: no such stream (404), no H.264/H.265,
  // no packets, or it ended the stream.
  if (startsWith(reason, "not_found") || startsWith(reason, "unimplemented") ||
      reason.find("no media") != std::string_view::npos || reason.find("RTCP BYE") != std::string_view::npos ||
      reason.find("no UDP packet") != std::string_view::npos) {
    return kNoMedia;
  }
  return kCameraUnreachable;
}

}  // namespace

int64_t rangeEnd(WallTime from, WallTime to, WallTime now) {
  return std::max(from.unixMicros(), std::min(to.unixMicros(), now.unixMicros()));
}

std::optional<std::string> outageNow(const camera::CameraStatus& status, const std::optional<std::string>& open) {
  switch (status.state) {
    case camera::CameraState::kStreaming:
      // The node appends "storage full" to the reason of a camera it cannot record.
      if (status.reason.find("storage full") != std::string::npos) return std::string(kStorageFull);
      return std::nullopt;
    case camera::CameraState::kRetrying:
      return std::string(sessionFailure(status.reason));
    case camera::CameraState::kConnecting:
      return open ? open : std::optional<std::string>(kConnecting);
    case camera::CameraState::kStopped:  // the node is stopping: its next start ends what is open
      return open;
  }
  return open;
}

ClippedOutages clipOutages(std::span<const Outage> outages, WallTime from, WallTime to, WallTime now) {
  const int64_t lo = from.unixMicros();
  const int64_t hi = rangeEnd(from, to, now);
  ClippedOutages out;
  for (const Outage& o : outages) {
    const int64_t start = std::max(o.start.unixMicros(), lo);
    const int64_t end = std::min(o.end.unixMicros(), hi);
    if (end <= start) continue;
    ++out.count;
    out.micros += end - start;
    out.latest.push_back({WallTime::fromUnixMicros(start), WallTime::fromUnixMicros(end), o.reason,
                          o.ongoing && end == o.end.unixMicros()});
  }
  const size_t keep = std::min(out.latest.size(), kMaxListedOutages);
  out.latest.erase(out.latest.begin(), out.latest.end() - static_cast<ptrdiff_t>(keep));
  return out;
}

CameraHealth cameraHealth(std::span<const Interval> counted, ClippedOutages outages, WallTime from, WallTime to,
                          WallTime now) {
  const int64_t lo = from.unixMicros();
  const int64_t hi = rangeEnd(from, to, now);
  CameraHealth out;
  int64_t countedUs = 0;
  for (const Interval& i : counted) countedUs += std::max<int64_t>(0, std::min(i.end, hi) - std::max(i.start, lo));
  out.countedSeconds = static_cast<double>(countedUs) / 1e6;
  out.onlineSeconds = static_cast<double>(countedUs - outages.micros) / 1e6;
  if (countedUs > 0) out.onlineRate = out.onlineSeconds / out.countedSeconds;
  out.outagesOmitted = outages.count - static_cast<int64_t>(outages.latest.size());
  out.outages = std::move(outages.latest);
  return out;
}

CameraHealth remoteCameraHealth(std::span<const link::HealthTransition> history, WallTime from, WallTime to,
                                WallTime now) {
  const int64_t hi = std::min(to.unixMicros(), now.unixMicros());
  std::vector<Interval> counted;
  std::vector<Outage> outages;
  for (size_t i = 0; i < history.size(); ++i) {
    if (!history[i].online) continue;  // not reported: does not count
    const bool last = i + 1 == history.size();
    const int64_t start = history[i].at.unixMicros();
    const int64_t end = last ? std::max(start, hi) : history[i + 1].at.unixMicros();
    if (end <= start) continue;
    counted.push_back({start, end});
    if (!*history[i].online) {
      outages.push_back({history[i].at, WallTime::fromUnixMicros(end), std::string(kOffline), last});
    }
  }
  return cameraHealth(counted, clipOutages(outages, from, to, now), from, to, now);
}

}  // namespace vigil::uptime
