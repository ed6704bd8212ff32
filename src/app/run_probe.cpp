#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "base/event_loops.h"
#include "base/log.h"
#include "media/send_time_sei.h"
#include "rtsp/client.h"

namespace vigil::app {

namespace {

struct ProbeOptions {
  std::string url;
  std::string username;
  std::string password;
  rtsp::RtspTransport transport = rtsp::RtspTransport::kTcp;
  int frames = 50;
  int timeoutSeconds = 30;
};

// Collects frames of one session and summarises them.
class ProbeObserver final : public rtsp::RtspClientObserver {
 public:
  ProbeObserver(size_t wanted, std::function<void()> done) : wanted_(wanted), done_(std::move(done)) {}

  void onPlaying(const rtsp::PlayingStream& s) override {
    summary_["transport"] = s.tcp ? "tcp" : "udp";
    summary_["codec"] = std::string(media::codecName(s.codec));
  }

  void onFrame(media::Frame frame, bool newSegment) override {
    if (frames_ >= wanted_) return;
    const WallTime now = SystemClock::instance().now();
    if (frames_ > 0 && frame.pts <= lastPts_) ptsMonotonic_ = false;
    lastPts_ = frame.pts;
    if (frames_ == 0) firstPts_ = frame.pts;
    keyframes_ += frame.keyframe;
    segments_ += newSegment;
    bytes_ += frame.data.size();
    if (frame.params) {
      width_ = frame.params->width;
      height_ = frame.params->height;
    }
    for (media::ByteView nal : media::splitLengthPrefixed(frame.data)) {
      if (auto sent = media::parseSendTimeSei(frame.params ? frame.params->codec : media::VideoCodec::kH264, nal)) {
        latenciesMs_.push_back(static_cast<double>((now - *sent).count()) / 1000.0);
      }
    }
    if (++frames_ == wanted_) done_();
  }

  void onStopped(const Status& reason) override {
    error_ = reason;
    done_();
  }

  nlohmann::json summary(const rtsp::RtspClientCounters& c) {
    summary_["frames"] = frames_;
    summary_["keyframes"] = keyframes_;
    summary_["width"] = width_;
    summary_["height"] = height_;
    summary_["pts_strictly_increasing"] = ptsMonotonic_;
    summary_["new_segments"] = segments_;
    summary_["bytes"] = bytes_;
    summary_["media_seconds"] = frames_ > 1 ? (lastPts_ - firstPts_).seconds() : 0.0;
    summary_["packets_lost"] = c.packetsLost;
    summary_["access_units_dropped"] = c.accessUnitsDropped;
    if (!latenciesMs_.empty()) {
      std::sort(latenciesMs_.begin(), latenciesMs_.end());
      auto at = [&](double q) { return latenciesMs_[static_cast<size_t>(q * static_cast<double>(latenciesMs_.size() - 1))]; };
      summary_["send_time_latency_ms"] = {{"p50", at(0.5)}, {"p99", at(0.99)}, {"max", latenciesMs_.back()}};
    }
    return summary_;
  }

  size_t frames() const { return frames_; }
  const std::optional<Status>& error() const { return error_; }

 private:
  size_t wanted_;
  std::function<void()> done_;
  nlohmann::json summary_ = nlohmann::json::object();
  size_t frames_ = 0, keyframes_ = 0, segments_ = 0, bytes_ = 0;
  int width_ = 0, height_ = 0;
  MediaTime firstPts_, lastPts_;
  bool ptsMonotonic_ = true;
  std::vector<double> latenciesMs_;
  std::optional<Status> error_;
};

int runProbe(const ProbeOptions& options) {
  EventLoopPool loops(1);
  auto& loop = loops.loop(0);
  std::unique_ptr<rtsp::RtspClient> client;
  boost::asio::steady_timer deadline(loop);
  bool timedOut = false;
  auto finish = [&] {
    deadline.cancel();
    if (client) client->stop();
    // Let the TEARDOWN leave before the loop stops.
    auto grace = std::make_shared<boost::asio::steady_timer>(loop, std::chrono::milliseconds(200));
    grace->async_wait([grace, &loops](const boost::system::error_code&) { loops.stop(); });
  };
  ProbeObserver observer(static_cast<size_t>(options.frames), [&] { boost::asio::post(loop, finish); });
  rtsp::RtspClientOptions clientOptions;
  clientOptions.url = options.url;
  clientOptions.username = options.username;
  clientOptions.password = options.password;
  clientOptions.transport = options.transport;
  boost::asio::post(loop, [&] {
    client = std::make_unique<rtsp::RtspClient>(loop, clientOptions, &observer);
    client->start();
    deadline.expires_after(std::chrono::seconds(options.timeoutSeconds));
    deadline.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      timedOut = true;
      finish();
    });
  });
  StopSignals signals(loop, [&](int) { finish(); });
  loops.start();
  loops.join();
  nlohmann::json out = observer.summary(client ? client->counters() : rtsp::RtspClientCounters{});
  if (observer.error()) out["error"] = observer.error()->toString();
  if (timedOut) out["error"] = fmt::format("timed out after {} s with {} of {} frames", options.timeoutSeconds,
                                           observer.frames(), options.frames);
  fmt::print("{}\n", out.dump());
  std::fflush(stdout);
  return observer.frames() == static_cast<size_t>(options.frames) ? 0 : 1;
}

}  // namespace

void addProbeCommand(CLI::App& cli, Subcommands& out) {
  struct Args {
    ProbeOptions options;
    std::string transport = "tcp";
  };
  auto args = std::make_shared<Args>();
  ProbeOptions& o = args->options;
  auto* pr = cli.add_subcommand("probe", "Play one RTSP stream once and print a JSON summary");
  pr->add_option("URL", o.url, "rtsp://[user:pass@]host[:port]/path")->required();
  pr->add_option("--transport", args->transport, "tcp or udp")->check(CLI::IsMember({"tcp", "udp"}))->capture_default_str();
  pr->add_option("--frames", o.frames, "frames to receive")->check(CLI::Range(1, 1000000))->capture_default_str();
  pr->add_option("--timeout", o.timeoutSeconds, "seconds to wait for them")->check(CLI::Range(1, 86400))->capture_default_str();
  pr->add_option("--user", o.username, "user name when the URL has none");
  pr->add_option("--password", o.password, "password when the URL has none");
  out.push_back({pr, [args] {
                   args->options.transport = args->transport == "udp" ? rtsp::RtspTransport::kUdp : rtsp::RtspTransport::kTcp;
                   return runProbe(args->options);
                 }});
}

}  // namespace vigil::app
