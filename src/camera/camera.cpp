#include "camera/camera.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "base/log.h"
#include "media/parameter_sets.h"
#include "rtsp/url.h"

namespace vigil::camera {

namespace {
constexpr auto kRateWindow = std::chrono::seconds(2);
constexpr auto kProbeTimeout = std::chrono::seconds(2);
}  // namespace

struct Camera::Probe {
  explicit Probe(boost::asio::io_context& loop) : resolver(loop), socket(loop), timer(loop) {}
  boost::asio::ip::tcp::resolver resolver;
  boost::asio::ip::tcp::socket socket;
  boost::asio::steady_timer timer;
  void cancel() {
    resolver.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
    timer.cancel();
  }
};

std::string_view cameraStateName(CameraState state) {
  switch (state) {
    case CameraState::kConnecting: return "connecting";
    case CameraState::kStreaming: return "streaming";
    case CameraState::kRetrying: return "retrying";
    case CameraState::kStopped: return "stopped";
  }
  return "?";
}

std::string_view reasonCodeName(ReasonCode code) {
  switch (code) {
    case ReasonCode::kNone: return "";
    case ReasonCode::kNoAnswer: return "no_answer";
    case ReasonCode::kWrongPassword: return "wrong_password";
    case ReasonCode::kNoVideo: return "no_video";
    case ReasonCode::kRefused: return "refused";
    case ReasonCode::kStorageFull: return "storage_full";
    case ReasonCode::kDisabled: return "disabled";
  }
  return "?";
}

ReasonCode reasonCodeOf(const Status& reason, bool played) {
  if (reason.code() == StatusCode::kUnauthenticated || reason.code() == StatusCode::kPermissionDenied) {
    return ReasonCode::kWrongPassword;
  }
  if (played) return ReasonCode::kNoVideo;
  if (reason.code() == StatusCode::kUnavailable || reason.code() == StatusCode::kDeadlineExceeded) {
    return ReasonCode::kNoAnswer;
  }
  return ReasonCode::kRefused;
}

std::chrono::milliseconds Backoff::delay(int attempt, std::mt19937& rng) const {
  auto d = initial;
  for (int i = 0; i < attempt && d < max; ++i) d *= 2;
  d = std::min(d, max);
  std::uniform_int_distribution<int64_t> upperHalf(d.count() / 2, d.count());
  return std::chrono::milliseconds(upperHalf(rng));
}

Camera::Camera(boost::asio::io_context& loop, CameraConfig config, FrameSink* sink, CameraOptions options)
    : loop_(loop),
      config_(std::move(config)),
      sink_(sink),
      options_(options),
      retryTimer_(loop),
      rateTimer_(loop),
      rng_(std::random_device{}()) {
  status_.id = config_.id;
  status_.name = config_.name;
}

Camera::~Camera() { stop(); }

void Camera::start() {
  windowStart_ = std::chrono::steady_clock::now();
  onRateTimer();
  connect();
}

void Camera::stop() {
  if (stopped_) return;
  stopped_ = true;
  retryTimer_.cancel();
  rateTimer_.cancel();
  if (probe_) probe_->cancel();
  const bool inSession = client_ != nullptr;
  if (client_) client_->stop();  // no onStopped after this
  setState(CameraState::kStopped, "", ReasonCode::kNone);
  if (inSession && sink_) sink_->onSessionEnd(config_.id);
  const CameraStatus s = status();
  log::info("camera.summary", {{"camera", config_.id},
                               {"frames", s.framesReceived},
                               {"packets_lost", s.packetsLost},
                               {"access_units_dropped", s.accessUnitsDropped},
                               {"reconnects", s.reconnects}});
}

CameraStatus Camera::status() const {
  MutexLock lock(mutex_);
  return status_;
}

void Camera::connect() {
  if (stopped_) return;
  {
    // The reason of the last failure stays until the camera streams.
    std::string reason;
    ReasonCode code;
    {
      MutexLock lock(mutex_);
      reason = status_.reason;
      code = status_.reasonCode;
    }
    setState(CameraState::kConnecting, std::move(reason), code);
  }
  rtsp::RtspClientOptions options;
  options.url = config_.url;
  options.username = config_.username;
  options.password = config_.password;
  options.auth = config_.auth;
  options.transport = config_.transport;
  options.requestTimeout = options_.requestTimeout;
  options.mediaTimeout = options_.mediaTimeout;
  sessionHadFrames_ = false;
  sessionPlayed_ = false;
  client_ = std::make_unique<rtsp::RtspClient>(loop_, std::move(options),
                                                static_cast<rtsp::RtspClientObserver*>(this));
  client_->start();
}

void Camera::onPlaying(const rtsp::PlayingStream& stream) {
  {
    MutexLock lock(mutex_);
    status_.codec = stream.codec;
    status_.audio.reset();
    if (stream.audio) status_.audio = *stream.audio;
  }
  sessionPlayed_ = true;  // streaming from its first frame (onFrame)
}

void Camera::onFrame(media::Frame frame, bool newSegment) {
  const bool first = !sessionHadFrames_;
  if (first) {
    sessionHadFrames_ = true;
    attempt_ = 0;  // a working session resets the backoff
  }
  bytesTotal_ += frame.data.size();
  {
    MutexLock lock(mutex_);
    ++status_.framesReceived;
    status_.lastFrameAt = frame.captureTime;
    if (frame.params) {
      status_.width = frame.params->width;
      status_.height = frame.params->height;
      status_.codec = frame.params->codec;
    }
  }
  if (newSegment && frame.params && segmentLog_.allow()) {
    log::info("camera.segment", {{"camera", config_.id},
                                 {"size", fmt::format("{}x{}", frame.params->width, frame.params->height)},
                                 {"suppressed", segmentLog_.suppressed()}});
  }
  if (sink_) sink_->onFrame(config_.id, std::make_shared<const media::Frame>(std::move(frame)), newSegment);
  // Only now: its picture is in the live registry (through masking, a few ms later).
  if (first) setState(CameraState::kStreaming, "", ReasonCode::kNone);
}

void Camera::onAudio(media::Frame frame, bool newSegment) {
  if (sink_) sink_->onAudio(config_.id, std::make_shared<const media::Frame>(std::move(frame)), newSegment);
}

void Camera::onStopped(const Status& reason) {
  // Keep the session's counters, then release the client on a later turn
  // of the loop, not from inside its own callback.
  const rtsp::RtspClientCounters c = client_->counters();
  lostBefore_ += c.packetsLost;
  droppedBefore_ += c.accessUnitsDropped;
  boost::asio::post(loop_, [c = std::shared_ptr<rtsp::RtspClient>(std::move(client_))] {});
  scheduleRetry(reason);
  // Once it no longer says streaming, so nothing asks for a picture meanwhile.
  if (sink_) sink_->onSessionEnd(config_.id);
}

void Camera::scheduleRetry(const Status& reason) {
  if (stopped_) return;
  {
    MutexLock lock(mutex_);
    ++status_.reconnects;
  }
  setState(CameraState::kRetrying, reason.toString(), reasonCodeOf(reason, sessionPlayed_));
  if (sessionHadFrames_) {
    // It was working: most likely restarting. Watch for it at once.
    log::info("camera.retry", {{"camera", config_.id}, {"probe_ms", options_.probeInterval.count()}});
    probe();
    return;
  }
  const auto delay = options_.backoff.delay(attempt_++, rng_);
  log::info("camera.retry", {{"camera", config_.id}, {"in_ms", delay.count()}, {"attempt", attempt_}});
  retryTimer_.expires_after(delay);
  retryTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) probe();
  });
}

// Resolves and connects with a timeout; a connection that opens is closed
// at once and the session starts. One that fails becomes the reason: the
// camera does not answer.
void Camera::probe() {
  if (stopped_) return;
  auto url = rtsp::parseRtspUrl(config_.url);
  if (!url) {
    connect();  // the client reports what is wrong with it
    return;
  }
  probe_ = std::make_shared<Probe>(loop_);
  auto p = probe_;
  const std::weak_ptr<int> alive = alive_;
  p->timer.expires_after(kProbeTimeout);
  p->timer.async_wait([p](const boost::system::error_code& ec) {
    if (!ec) p->cancel();
  });
  const std::string where = fmt::format("{}:{}", url->host, url->port);
  p->resolver.async_resolve(
      url->host, std::to_string(url->port),
      [this, p, alive, host = url->host, where](const boost::system::error_code& ec,
                       const boost::asio::ip::tcp::resolver::results_type& endpoints) {
        if (alive.expired() || stopped_) return;
        if (ec) {
          probeLater(fmt::format("cannot resolve {}: {}", host, ec.message()));
          return;
        }
        boost::asio::async_connect(p->socket, endpoints,
                                   [this, p, alive, where](const boost::system::error_code& ec, const auto&) {
                                     if (alive.expired() || stopped_) return;
                                     p->cancel();
                                     probe_.reset();
                                     if (ec) {
                                       // Aborted: the probe's timer closed it.
                                       probeLater(fmt::format("cannot connect to {}: {}", where,
                                                              ec == boost::asio::error::operation_aborted
                                                                  ? "no answer"
                                                                  : ec.message()));
                                     } else {
                                       connect();
                                     }
                                   });
      });
}

void Camera::probeLater(std::string why) {
  // Away, not refusing: when it answers again its sessions start afresh.
  attempt_ = 0;
  setState(CameraState::kRetrying, std::move(why), ReasonCode::kNoAnswer);
  std::uniform_int_distribution<int64_t> upperHalf(options_.probeInterval.count() / 2,
                                                   options_.probeInterval.count());
  retryTimer_.expires_after(std::chrono::milliseconds(upperHalf(rng_)));
  retryTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) probe();
  });
}

void Camera::setState(CameraState state, std::string reason, ReasonCode code) {
  {
    MutexLock lock(mutex_);
    if (status_.since && status_.state == state && status_.reason == reason) return;
    const bool streaming = state == CameraState::kStreaming;
    if (!status_.since || streaming != (status_.state == CameraState::kStreaming)) {
      status_.since = SystemClock::instance().now();
    }
    status_.everStreamed = status_.everStreamed || streaming;
    status_.state = state;
    status_.reason = reason;
    status_.reasonCode = code;
  }
  if (state != CameraState::kRetrying) {
    log::info("camera.state", {{"camera", config_.id}, {"state", cameraStateName(state)}});
  } else {
    log::warn("camera.state", {{"camera", config_.id}, {"state", cameraStateName(state)}, {"reason", reason}});
  }
}

void Camera::onRateTimer() {
  if (stopped_) return;
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - windowStart_).count();
  {
    MutexLock lock(mutex_);
    if (seconds > 0) {
      status_.fps = static_cast<double>(status_.framesReceived - windowFrames_) / seconds;
      status_.bitrateKbps = static_cast<double>(bytesTotal_ - windowBytes_) * 8 / 1000 / seconds;
    }
    const rtsp::RtspClientCounters c = client_ ? client_->counters() : rtsp::RtspClientCounters{};
    status_.packetsLost = lostBefore_ + c.packetsLost;
    status_.accessUnitsDropped = droppedBefore_ + c.accessUnitsDropped;
    windowFrames_ = status_.framesReceived;
  }
  windowBytes_ = bytesTotal_;
  windowStart_ = now;
  rateTimer_.expires_after(kRateWindow);
  rateTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) onRateTimer();
  });
}

}  // namespace vigil::camera
