#include "app/stream_probe.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cmath>
#include <future>
#include <memory>

#include "base/encoding.h"
#include "base/url_credentials.h"
#include "detect/snapshot.h"

namespace vigil::app {

namespace {

// Frames after the first keyframe that give the frame rate.
constexpr size_t kRateFrames = 25;
constexpr int kPreviewWidth = 640;

// Lives on the loop (held by its own handlers) until the session ended.
class Prober final : public rtsp::RtspClientObserver, public std::enable_shared_from_this<Prober> {
 public:
  Prober(boost::asio::io_context& loop, StreamProbe probe) : loop_(loop), probe_(std::move(probe)), deadline_(loop) {}

  std::future<StreamProbeResult> start() {
    rtsp::RtspClientOptions options;
    options.url = probe_.url;
    options.username = probe_.username;
    options.password = probe_.password;
    options.transport = probe_.transport;
    client_ = std::make_unique<rtsp::RtspClient>(loop_, options, this);
    client_->start();
    deadline_.expires_after(probe_.timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->finish(Status::deadlineExceeded("the camera sent no picture in time"));
    });
    return promise_.get_future();
  }

  void onPlaying(const rtsp::PlayingStream& s) override {
    played_ = true;
    result_.codec = std::string(media::codecName(s.codec));
    result_.audio = s.audioEncoding;
  }

  void onFrame(media::Frame frame, bool) override {
    if (done_) return;
    if (!firstKeyframe_) {
      if (!frame.keyframe || !frame.params) return;
      result_.width = frame.params->width;
      result_.height = frame.params->height;
      if (auto jpeg = detect::keyframeToJpeg(*frame.params, frame.data, kPreviewWidth)) result_.jpeg = std::move(*jpeg);
      firstKeyframe_ = frame.pts;
    }
    if (++frames_ <= kRateFrames) {
      lastPts_ = frame.pts;
      return;
    }
    const double seconds = (lastPts_ - *firstKeyframe_).seconds();
    if (seconds > 0) result_.fps = static_cast<double>(kRateFrames - 1) / seconds;
    finish(Status::ok());
  }

  void onStopped(const Status& reason) override { finish(reason); }

 private:
  void finish(const Status& why) {
    if (done_) return;
    done_ = true;
    deadline_.cancel();
    // A keyframe is enough when the rest did not come in time.
    result_.ok = why.isOk() || (firstKeyframe_.has_value() && why.code() == StatusCode::kDeadlineExceeded);
    if (!result_.ok) {
      result_.reasonCode = camera::reasonCodeOf(why, played_);
      result_.reason = redactUrlCredentials(why.message());
    }
    promise_.set_value(result_);
    // Stopped later, from the loop: not from inside the client's callback.
    boost::asio::post(loop_, [self = shared_from_this()] {
      if (self->client_) self->client_->stop();
    });
  }

  boost::asio::io_context& loop_;
  const StreamProbe probe_;
  boost::asio::steady_timer deadline_;
  std::unique_ptr<rtsp::RtspClient> client_;
  std::promise<StreamProbeResult> promise_;
  StreamProbeResult result_;
  bool played_ = false;
  bool done_ = false;
  std::optional<MediaTime> firstKeyframe_;
  MediaTime lastPts_;
  size_t frames_ = 0;
};

// Per attempt of an address: the list is tried in a bounded time.
constexpr auto kAddressAttemptTimeout = std::chrono::milliseconds(4000);
constexpr int kMaxProbesAtOnce = 2;

std::string plainReason(camera::ReasonCode code) {
  switch (code) {
    case camera::ReasonCode::kNoAnswer: return "the camera does not answer";
    case camera::ReasonCode::kWrongPassword: return "wrong user name or password";
    case camera::ReasonCode::kNoVideo: return "the camera answers but sends no video";
    default: return "the camera refused the stream (wrong path, or no H.264 or H.265 video)";
  }
}

nlohmann::json streamJson(const StreamProbeResult& r) {
  return {{"codec", r.codec}, {"width", r.width}, {"height", r.height},
          {"fps", std::round(r.fps * 10) / 10}, {"audio", !r.audio.empty()}, {"audio_codec", r.audio}};
}

nlohmann::json failureJson(const StreamProbeResult& r) {
  return {{"ok", false}, {"reason_code", camera::reasonCodeName(r.reasonCode)}, {"error", plainReason(r.reasonCode)},
          {"detail", r.reason}};
}

std::string withoutCredentials(const std::string& url) {
  const auto userinfo = findUrlUserinfo(url);
  return userinfo ? url.substr(0, userinfo->begin) + url.substr(userinfo->end + 1) : url;
}

}  // namespace

const std::vector<UsualRtspPaths> kUsualRtspPaths = {
    {"/Streaming/Channels/101", "/Streaming/Channels/102"},                             // Hikvision, EZVIZ
    {"/cam/realmonitor?channel=1&subtype=0", "/cam/realmonitor?channel=1&subtype=1"},  // Dahua, Imou, Amcrest
    {"/stream1", "/stream2"},                                                           // TP-Link Tapo, many
    {"/h264Preview_01_main", "/h264Preview_01_sub"},                                    // Reolink
    {"/media/video1", "/media/video2"},                                                 // Uniview
    {"/h264/ch1/main/av_stream", "/h264/ch1/sub/av_stream"},                            // older Hikvision OEMs
    {"/11", "/12"},                                                                     // Vstarcam and similar
    {"/live/ch00_0", "/live/ch00_1"},
    {"/", ""},
};

Result<nlohmann::json> probeCamera(EventLoopPool& loops, const http::CameraAdminRoutesContext::Probe& probe) {
  static std::atomic<int> running{0};
  if (running.fetch_add(1) >= kMaxProbesAtOnce) {
    running.fetch_sub(1);
    return Status::resourceExhausted("two probes are running: try again in a few seconds");
  }
  struct Done {
    ~Done() { running.fetch_sub(1); }
  } done;
  auto run = [&](const std::string& url, std::chrono::milliseconds timeout) {
    return probeStream(loops.next(), {.url = url, .username = probe.username, .password = probe.password,
                                      .timeout = timeout});
  };
  std::string url = probe.url, subUrl = probe.subUrl;
  StreamProbeResult main;
  if (!url.empty()) {
    main = run(url, StreamProbe{}.timeout);
  } else {
    const std::string base = "rtsp://" + probe.address + (probe.address.find(':') == std::string::npos ? ":554" : "");
    for (const UsualRtspPaths& paths : kUsualRtspPaths) {
      main = run(base + std::string(paths.main), kAddressAttemptTimeout);
      url = base + std::string(paths.main);
      subUrl = paths.sub.empty() ? "" : base + std::string(paths.sub);
      // Only a refusal (404: not this brand's path) is worth the next path.
      if (main.ok || main.reasonCode != camera::ReasonCode::kRefused) break;
    }
  }
  if (!main.ok) return failureJson(main);
  nlohmann::json out = {{"ok", true}, {"url", withoutCredentials(url)}, {"main", streamJson(main)}, {"sub", nullptr}};
  out["preview"] = main.jpeg.empty() ? nlohmann::json(nullptr)
                                     : nlohmann::json("data:image/jpeg;base64," + base64Encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(main.jpeg.data()), main.jpeg.size())));
  if (!subUrl.empty()) {
    const StreamProbeResult sub = run(subUrl, kAddressAttemptTimeout);
    if (sub.ok) {
      out["sub_url"] = withoutCredentials(subUrl);
      out["sub"] = streamJson(sub);
    } else if (!probe.subUrl.empty()) {
      out["sub"] = failureJson(sub);  // asked for: say why not
    }
  }
  return out;
}

StreamProbeResult probeStream(boost::asio::io_context& loop, const StreamProbe& probe) {
  auto prober = std::make_shared<Prober>(loop, probe);
  std::promise<std::future<StreamProbeResult>> started;
  auto startedFuture = started.get_future();
  boost::asio::post(loop, [&started, prober] { started.set_value(prober->start()); });
  std::future<StreamProbeResult> result = startedFuture.get();
  prober.reset();  // the loop holds it until the session ended
  // The deadline ends it; the margin is for a loop that is busy.
  if (result.wait_for(probe.timeout + std::chrono::seconds(2)) != std::future_status::ready) {
    return {.reasonCode = camera::ReasonCode::kNoAnswer, .reason = "the probe did not finish in time"};
  }
  return result.get();
}

}  // namespace vigil::app
