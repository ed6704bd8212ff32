#include "rtsp/client.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>

#include "base/log.h"
#include "base/url_credentials.h"
#include "rtsp/auth.h"
#include "rtsp/depacketizer.h"
#include "rtsp/message.h"
#include "rtsp/rtcp_parse.h"
#include "rtsp/rtp_timeline.h"
#include "rtsp/sdp.h"
#include "rtsp/transport.h"
#include "rtsp/url.h"

namespace vigil::rtsp {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;
using Steady = std::chrono::steady_clock;

namespace {

constexpr int kMaxRedirects = 5;
constexpr auto kTickInterval = std::chrono::milliseconds(100);
constexpr auto kTeardownGrace = std::chrono::seconds(1);
// The most one read of the RTSP connection takes.
constexpr size_t kReadBytes = 64 * 1024;
// G.711 is handed on in chunks of RTP packets that follow each other, about
// this long: every frame downstream (live stream, store queue, writer,
// index) costs about the same whatever its length, and cameras send 20-40
// ms a packet (DECISIONS 93). A packet this far off the chunk's end starts
// a new one.
constexpr int64_t kG711ChunkTicks = 90000 / 10;
constexpr int64_t kG711GapTicks = 90000 / 100;

auto withError(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// A failed response as a Status whose kind says whether retrying may help.
// `credentials` says what was done about a 401 (see credentialsNote()).
Status responseError(const RtspMessage& r, std::string_view method, std::string_view credentials) {
  const std::string what = fmt::format("camera answered {} {} to {}", r.statusCode, r.reason, method);
  switch (r.statusCode) {
    case 401:
      return Status::unauthenticated(fmt::format("{} ({})", what, credentials));
    case 403: return Status::permissionDenied(what);
    case 404: return Status::notFound(what);
    case 454: return Status::notFound(what);
    case 461: return Status::unimplemented(what);
    default:
      return r.statusCode >= 500 ? Status::unavailable(what) : Status::failedPrecondition(what);
  }
}

}  // namespace

class RtspClient::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& loop, RtspClientOptions options, RtspClientObserver* observer)
      : loop_(loop),
        options_(std::move(options)),
        observer_(observer),
        socket_(loop),
        resolver_(loop),
        tickTimer_(loop),
        rtpUdp_(loop),
        rtcpUdp_(loop) {}

  void start() {
    tcp_ = options_.transport == RtspTransport::kTcp;
    asio::co_spawn(loop_, run(shared_from_this()), asio::detached);
    asio::co_spawn(loop_, ticker(shared_from_this()), asio::detached);
  }

  void stop() {
    if (stopping_) return;
    stopping_ = true;
    observer_ = nullptr;
    if (!sessionId_.empty() && socket_.is_open() && !finished_) {
      RtspMessage teardown = newRequest("TEARDOWN", playUrl_);
      send(teardown.serialize());
      stopDeadline_ = Steady::now() + kTeardownGrace;
    } else {
      fail(Status::failedPrecondition("stopped"));
    }
  }

  RtspClientCounters counters() const {
    RtspClientCounters c = counters_;
    if (depacketizer_) {
      const auto& d = depacketizer_->counters();
      c.packetsLost = lostBefore_ + d.packetsLost + reorder_.counters().skipped;
      c.packetsMalformed += d.packetsMalformed + reorder_.counters().malformed;
      c.accessUnitsDropped = droppedBefore_ + d.accessUnitsDropped;
    }
    if (timeline_) c.timestampJumps = jumpsBefore_ + timeline_->counters().jumps;
    return c;
  }

 private:
  // ---- the session, as one coroutine ----

  static awaitable<void> run(std::shared_ptr<Session> self) {
    Status reason = co_await self->runAttempts();
    self->finish(reason);
  }

  awaitable<Status> runAttempts() {
    auto url = parseRtspUrl(options_.url);
    if (!url) co_return url.status();
    url_ = std::move(url.value());
    if (url_.username.empty()) {
      url_.username = options_.username;
      url_.password = options_.password;
    }
    configured_ = url_;
    // At most one change of transport per session: UDP -> TCP or TCP -> UDP.
    for (int attempt = 0; attempt < 2; ++attempt) {
      Status s = co_await runOnce();
      if (stopping_ || !switchTransport_) co_return s;
      log::info("rtsp.client.transport_fallback",
                {{"url", url_.withoutCredentials()}, {"to", tcp_ ? "udp" : "tcp"}, {"reason", s}});
      switchTransport_ = false;
      tcp_ = !tcp_;
      resetConnection();
    }
    co_return failure_.isOk() ? Status::unavailable("transport fallback failed") : failure_;
  }

  awaitable<Status> runOnce() {
    Result<RtspMessage> describe = Status::internal("no DESCRIBE");
    for (int redirects = 0;; ++redirects) {
      Status connected = co_await connect();
      if (!connected.isOk()) co_return connected;
      // OPTIONS tells whether GET_PARAMETER works for keepalives. Some
      // cameras answer it badly; only a transport failure matters here.
      auto options = co_await request("OPTIONS", url_.withoutCredentials(), {});
      if (!options) co_return options.status();
      if (auto pub = options->header("Public")) {
        supportsGetParameter_ = std::string_view(*pub).find("GET_PARAMETER") != std::string_view::npos;
      }
      describe = co_await request("DESCRIBE", url_.withoutCredentials(), {{"Accept", "application/sdp"}});
      if (!describe) co_return describe.status();
      const int code = describe->statusCode;
      if (code < 300 || code >= 400) break;
      auto location = describe->header("Location");
      if (!location || redirects >= kMaxRedirects) {
        co_return Status::failedPrecondition(fmt::format("camera answered {} without a usable Location", code));
      }
      auto next = parseRtspUrl(*location);
      if (!next) co_return Status::failedPrecondition("camera redirected to a bad URL");
      // Credentials come from the config alone and go to its host and port
      // alone: a redirect elsewhere (a hijacked or rogue camera) gets none.
      next->username.clear();
      next->password.clear();
      if (next->sameOrigin(configured_)) {
        next->username = configured_.username;
        next->password = configured_.password;
      }
      redirected_ = true;
      log::info("rtsp.client.redirect", {{"from", url_.withoutCredentials()},
                                         {"to", next->withoutCredentials()},
                                         {"credentials", next->username.empty() ? "none" : "kept"}});
      url_ = std::move(next.value());
      resetConnection();
    }
    if (describe->statusCode != 200) co_return responseError(*describe, "DESCRIBE", credentialsNote());

    auto sdp = parseSdp(describe->body);
    if (!sdp) co_return Status::failedPrecondition("camera sent an unreadable SDP: " + sdp.status().message());
    const SdpMedia* video = nullptr;
    for (const SdpMedia& m : sdp->media) {
      if (m.type == "video" && m.videoCodec) {
        video = &m;
        break;
      }
    }
    if (video == nullptr) co_return Status::unimplemented("the camera offers no H.264 or H.265 video");
    const SdpMedia* audio = nullptr;
    std::shared_ptr<const media::AudioParameters> audioParams;
    for (const SdpMedia& m : sdp->media) {
      if (m.type != "audio") continue;
      if ((audioParams = audioParametersOf(m))) {
        audio = &m;
        break;
      }
    }
    codec_ = *video->videoCodec;
    payloadType_ = video->payloadType;
    audioEncoding_.clear();
    for (const SdpMedia& m : sdp->media) {
      if (m.type == "audio" && audioEncoding_.empty()) audioEncoding_ = m.encodingName;
    }
    const std::string base = controlBaseUrl(describe->header("Content-Base"),
                                            describe->header("Content-Location"), url_.withoutCredentials());
    const std::string trackUrl = resolveControlUrl(base, video->control);
    playUrl_ = sdp->control.empty() ? base : resolveControlUrl(base, sdp->control);

    if (depacketizer_) {  // keep counting across a transport change
      lostBefore_ += depacketizer_->counters().packetsLost;
      droppedBefore_ += depacketizer_->counters().accessUnitsDropped;
    }
    if (timeline_) jumpsBefore_ += timeline_->counters().jumps;
    depacketizer_ = std::make_unique<VideoDepacketizer>(codec_, videoParametersOf(*video));
    timeline_ = std::make_unique<StreamTimeline>(StreamTimeline::Options{90000, url_.withoutCredentials()});
    sawKeyframe_ = false;

    Status setup = co_await setUp(trackUrl);
    if (!setup.isOk()) co_return setup;
    flushG711();
    audio_.reset();
    if (audio != nullptr) {
      if (tcp_) {
        Status audioSetup = co_await setUpAudio(resolveControlUrl(base, audio->control), *audio, audioParams);
        if (!audioSetup.isOk()) {
          if (!failure_.isOk()) co_return failure_;
          log::info("rtsp.client.no_audio", {{"url", url_.withoutCredentials()}, {"reason", audioSetup}});
        }
      } else {
        log::info("rtsp.client.no_audio",
                  {{"url", url_.withoutCredentials()}, {"reason", "audio is set up over TCP only"}});
      }
    }

    auto play = co_await request("PLAY", playUrl_, {{"Range", "npt=0.000-"}});
    if (!play) co_return play.status();
    if (play->statusCode != 200) co_return responseError(*play, "PLAY", credentialsNote());

    playing_ = true;
    playStartedAt_ = Steady::now();
    lastMediaAt_ = playStartedAt_;
    packetsAtLastTick_ = counters_.packetsReceived;
    nextKeepaliveAt_ = playStartedAt_ + keepaliveInterval();
    log::info("rtsp.client.playing", {{"url", url_.withoutCredentials()},
                                      {"codec", media::codecName(codec_)},
                                      {"transport", tcp_ ? "tcp" : "udp"}});
    if (observer_) {
      observer_->onPlaying(PlayingStream{codec_, tcp_, url_.withoutCredentials(), audio_ ? audio_->params : nullptr,
                                         audioEncoding_});
    }
    if (!tcp_) {
      asio::co_spawn(loop_, udpReader(shared_from_this(), false), asio::detached);
      asio::co_spawn(loop_, udpReader(shared_from_this(), true), asio::detached);
    }
    // Reads interleaved media and keepalive answers until something fails.
    auto end = co_await readResponse(std::nullopt);
    co_return end.status();
  }

  awaitable<Status> setUp(const std::string& trackUrl) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string transport;
      if (tcp_) {
        transport = "RTP/AVP/TCP;unicast;interleaved=0-1";
      } else {
        Status bound = bindUdp();
        if (!bound.isOk()) co_return bound;
        transport = fmt::format("RTP/AVP;unicast;client_port={}-{}", rtpUdp_.local_endpoint().port(),
                                rtcpUdp_.local_endpoint().port());
      }
      auto r = co_await request("SETUP", trackUrl, {{"Transport", transport}});
      if (!r) co_return r.status();
      if (r->statusCode == 461 && tcp_ && attempt == 0) {
        // A UDP-only camera (VLC's server answers 461 to interleaved TCP).
        log::info("rtsp.client.transport_fallback",
                  {{"url", url_.withoutCredentials()}, {"to", "udp"}, {"reason", "461 to TCP SETUP"}});
        tcp_ = false;
        continue;
      }
      if (r->statusCode != 200) co_return responseError(*r, "SETUP", credentialsNote());
      auto session = r->header("Session");
      if (!session || session->empty()) co_return Status::failedPrecondition("SETUP answer has no Session");
      const std::string_view value = *session;
      sessionId_ = std::string(value.substr(0, value.find(';')));
      if (const size_t t = value.find("timeout="); t != std::string_view::npos) {
        const int seconds = std::atoi(std::string(value.substr(t + 8)).c_str());
        if (seconds >= 5 && seconds <= 3600) sessionTimeout_ = std::chrono::seconds(seconds);
      }
      rtpChannel_ = 0;
      rtcpChannel_ = 1;
      if (auto th = r->header("Transport")) {
        if (auto specs = parseTransportHeader(*th); specs && !specs->empty()) {
          const TransportSpec& spec = specs->front();
          if (tcp_ && spec.interleavedRtp >= 0) {
            rtpChannel_ = spec.interleavedRtp;
            rtcpChannel_ = spec.interleavedRtcp;
          }
          ssrc_ = spec.ssrc;
        }
      }
      co_return Status::ok();
    }
    co_return Status::unimplemented("camera supports neither TCP nor UDP transport");
  }

  // The audio track, on the interleaved channels after the video's. Not
  // fatal when refused: the session plays video alone.
  awaitable<Status> setUpAudio(const std::string& trackUrl, const SdpMedia& media,
                               std::shared_ptr<const media::AudioParameters> params) {
    const int rtp = rtcpChannel_ + 1;
    auto r = co_await request("SETUP", trackUrl,
                              {{"Transport", fmt::format("RTP/AVP/TCP;unicast;interleaved={}-{}", rtp, rtp + 1)}});
    if (!r) co_return r.status();
    if (r->statusCode != 200) co_return responseError(*r, "SETUP of the audio", credentialsNote());
    auto track = std::make_unique<AudioTrack>(media, std::move(params), url_.withoutCredentials());
    track->rtpChannel = rtp;
    track->rtcpChannel = rtp + 1;
    if (auto th = r->header("Transport")) {
      if (auto specs = parseTransportHeader(*th); specs && !specs->empty()) {
        const TransportSpec& spec = specs->front();
        if (spec.interleavedRtp >= 0) {
          track->rtpChannel = spec.interleavedRtp;
          track->rtcpChannel = spec.interleavedRtcp;
        }
        track->ssrc = spec.ssrc;
      }
    }
    if (track->rtpChannel == rtpChannel_ || track->rtpChannel == rtcpChannel_ ||
        track->rtcpChannel == rtpChannel_ || track->rtcpChannel == rtcpChannel_) {
      co_return Status::failedPrecondition("camera put the audio on the video's interleaved channels");
    }
    audio_ = std::move(track);
    co_return Status::ok();
  }

  awaitable<Status> connect() {
    deadlineWhat_ = "connect";
    deadline_ = Steady::now() + options_.requestTimeout;
    error_code ec;
    auto endpoints = co_await resolver_.async_resolve(url_.host, std::to_string(url_.port), withError(ec));
    if (ec) co_return failure_.isOk() ? Status::unavailable(fmt::format("cannot resolve {}: {}", url_.host, ec.message()))
                                      : failure_;
    co_await asio::async_connect(socket_, endpoints, withError(ec));
    deadline_ = Steady::time_point::max();
    if (ec) {
      co_return failure_.isOk()
          ? Status::unavailable(fmt::format("cannot connect to {}:{}: {}", url_.host, url_.port, ec.message()))
          : failure_;
    }
    socket_.set_option(tcp::no_delay(true), ec);
    cameraAddress_ = socket_.remote_endpoint(ec).address();
    co_return Status::ok();
  }

  RtspMessage newRequest(std::string method, std::string uri) {
    RtspMessage req;
    req.method = std::move(method);
    req.uri = std::move(uri);
    req.headers.emplace_back("CSeq", std::to_string(++cseq_));
    req.headers.emplace_back("User-Agent", options_.userAgent);
    if (!sessionId_.empty()) req.headers.emplace_back("Session", sessionId_);
    if (auth_ && auth_->hasChallenge()) {
      req.headers.emplace_back("Authorization", auth_->authorization(req.method, req.uri));
    }
    return req;
  }

  // Sends a request and waits for its answer; answers a 401 once with the
  // credentials (again when the camera says the nonce went stale).
  awaitable<Result<RtspMessage>> request(std::string method, std::string uri,
                                         std::vector<std::pair<std::string, std::string>> headers) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      RtspMessage req = newRequest(method, uri);
      for (const auto& h : headers) req.headers.push_back(h);
      const uint32_t cseq = cseq_;
      send(req.serialize());
      deadlineWhat_ = method;
      deadline_ = Steady::now() + options_.requestTimeout;
      auto response = co_await readResponse(cseq);
      deadline_ = Steady::time_point::max();
      if (!response) co_return response;
      if (response->statusCode == 401 && !url_.username.empty()) {
        auto challenge = strongestChallenge(response->headerValues("WWW-Authenticate"));
        if (challenge && challenge->scheme == "Basic") {
          if (Status refused = refuseBasic(); !refused.isOk()) co_return refused;
        }
        const bool retry = challenge && (!auth_ || !auth_->hasChallenge() || challenge->stale);
        if (retry) {
          if (!auth_) auth_ = std::make_unique<Authenticator>(url_.username, url_.password);
          auth_->setChallenge(std::move(*challenge));
          continue;
        }
      }
      co_return response;
    }
    co_return Status::unauthenticated(fmt::format("camera keeps answering 401 to {}", method));
  }

  // Basic sends the password in clear (base64): not when the config asks
  // for Digest, and not after a redirect, even to the same host and port.
  Status refuseBasic() const {
    if (options_.auth == RtspAuth::kDigest) {
      return Status::unauthenticated(fmt::format(
          "camera at {} offers only Basic authentication, which auth = \"digest\" refuses "
          "(Basic sends the password in clear)",
          url_.hostPort()));
    }
    if (redirected_) {
      return Status::unauthenticated(fmt::format(
          "camera at {} offers only Basic authentication after a redirect; Basic is sent only to the "
          "configured URL (configure the URL it redirects to instead)",
          url_.hostPort()));
    }
    return Status::ok();
  }

  // What was done about credentials, for the message of a final 401.
  std::string credentialsNote() const {
    if (!url_.username.empty()) return "wrong credentials?";
    if (configured_.username.empty()) return "no credentials given";
    return fmt::format("credentials withheld: they go only to the configured {}, and the camera redirected to {}",
                       configured_.hostPort(), url_.hostPort());
  }

  // Reads until the response with `cseq` arrives, handling interleaved
  // media meanwhile. With no cseq it reads until the connection fails.
  awaitable<Result<RtspMessage>> readResponse(std::optional<uint32_t> cseq) {
    while (true) {
      switch (splitter_.next()) {
        case RtspSplitter::Item::kNeedMore: {
          error_code ec;
          // Straight into the splitter's buffer: interleaved packets are
          // parsed where they were read.
          const std::span<uint8_t> room = splitter_.prepare(kReadBytes);
          const size_t n = co_await socket_.async_read_some(asio::buffer(room.data(), room.size()), withError(ec));
          if (ec) co_return connectionError(ec);
          splitter_.commit(n);
          break;
        }
        case RtspSplitter::Item::kInterleaved:
          onInterleaved(splitter_.channel(), splitter_.payload());
          if (!failure_.isOk()) co_return failure_;
          break;
        case RtspSplitter::Item::kMessage: {
          const RtspMessage& m = splitter_.message();
          if (m.isRequest) break;  // e.g. a server's SET_PARAMETER; nothing we need
          if (cseq && m.cseq() == cseq) co_return m;
          if (!cseq && m.statusCode == 454) {
            co_return Status::notFound("camera forgot the session (454 to a keepalive)");
          }
          break;  // a keepalive answer
        }
        case RtspSplitter::Item::kError:
          co_return Status::unavailable("camera sent malformed RTSP: " + splitter_.error().message());
      }
    }
  }

  Status connectionError(const error_code& ec) const {
    if (!failure_.isOk()) return failure_;
    if (ec == asio::error::eof) return Status::unavailable("camera closed the connection");
    return Status::unavailable(fmt::format("connection to camera failed: {}", ec.message()));
  }

  // ---- writing ----

  void send(std::string text) {
    writeQueue_.push_back(std::move(text));
    pump();
  }

  void pump() {
    if (writing_ || writeQueue_.empty() || !socket_.is_open()) return;
    writing_ = true;
    asio::async_write(socket_, asio::buffer(writeQueue_.front()),
                      [self = shared_from_this()](const error_code& ec, size_t) {
                        self->writing_ = false;
                        self->writeQueue_.pop_front();
                        if (ec) {
                          self->fail(Status::unavailable("cannot write to camera: " + ec.message()));
                          return;
                        }
                        if (self->stopping_ && self->writeQueue_.empty()) {
                          self->fail(Status::failedPrecondition("stopped"));
                          return;
                        }
                        self->pump();
                      });
  }

  // ---- media ----

  void onInterleaved(uint8_t channel, ByteView data) {
    if (channel == rtpChannel_) {
      auto packet = parseRtpPacket(data);
      if (!packet) {
        ++counters_.packetsMalformed;
        return;
      }
      onRtp(*packet);
    } else if (channel == rtcpChannel_) {
      onRtcp(data);
    } else if (audio_ && channel == audio_->rtpChannel) {
      if (auto packet = parseRtpPacket(data)) onAudioRtp(*packet);
    } else if (audio_ && channel == audio_->rtcpChannel) {
      onAudioRtcp(data);
    }
  }

  void onAudioRtp(const RtpPacket& packet) {
    if (packet.header.payloadType != audio_->payloadType) return;
    audio_->depacketizer.push(packet);
    const WallTime now = SystemClock::instance().now();
    while (auto unit = audio_->depacketizer.pop()) {
      const StreamTimeline::Timing timing = audio_->timeline.onFrame(unit->rtpTimestamp, now);
      const auto mapped = audio_->clock.map(timing.captureTime, audioLength(unit->data.size()), timing.discontinuity);
      if (!mapped || !observer_) continue;
      media::Frame frame;
      frame.pts = mapped->pts;
      frame.captureTime = timing.captureTime;
      frame.keyframe = true;
      frame.data = std::move(unit->data);
      frame.audio = audio_->params;
      if (audio_->params->codec == media::AudioCodec::kAac) {
        deliverAudio(std::move(frame), mapped->newSegment);
      } else {
        chunkG711(std::move(frame), mapped->newSegment);
      }
    }
  }

  void deliverAudio(media::Frame frame, bool newSegment) {
    ++counters_.audioFramesReceived;
    observer_->onAudio(std::move(frame), newSegment);
  }

  // An audio frame's length: an AAC access unit is 1024 samples; G.711 is
  // a byte a sample per channel.
  MediaDuration audioLength(size_t bytes) const {
    const media::AudioParameters& p = *audio_->params;
    if (p.sampleRate <= 0 || p.channels <= 0) return MediaDuration(0);
    const int64_t samples = p.codec == media::AudioCodec::kAac ? AudioDepacketizer::kAacSamplesPerFrame
                                                                : static_cast<int64_t>(bytes) / p.channels;
    return MediaDuration(samples * MediaDuration::kTicksPerSecond / p.sampleRate);
  }
  int64_t g711Ticks(const media::Frame& f) const { return audioLength(f.data.size()).ticks(); }

  // Appends the packet to the chunk it follows on from, or hands that chunk
  // on and starts another; a chunk of kG711ChunkTicks goes at once.
  void chunkG711(media::Frame frame, bool newSegment) {
    AudioTrack& a = *audio_;
    if (a.chunk) {
      const int64_t end = a.chunk->pts.ticks() + g711Ticks(*a.chunk);
      if (newSegment || std::llabs(frame.pts.ticks() - end) > kG711GapTicks) flushG711();
    }
    if (!a.chunk) {
      a.chunk = std::move(frame);
      a.chunkNewSegment = newSegment;
    } else {
      a.chunk->data.insert(a.chunk->data.end(), frame.data.begin(), frame.data.end());
    }
    if (g711Ticks(*a.chunk) >= kG711ChunkTicks) flushG711();
  }

  void flushG711() {
    if (!audio_ || !audio_->chunk) return;
    media::Frame chunk = std::move(*audio_->chunk);
    audio_->chunk.reset();
    if (observer_) deliverAudio(std::move(chunk), audio_->chunkNewSegment);
  }

  void onAudioRtcp(ByteView data) {
    auto compound = parseRtcp(data);
    if (!compound) return;
    for (const ReceivedSenderReport& sr : compound->senderReports) {
      if (audio_->ssrc && sr.report.ssrc != *audio_->ssrc) continue;
      audio_->timeline.onSenderReport(sr.ntpTimestamp, sr.report.rtpTimestamp, SystemClock::instance().now());
    }
  }

  void onRtp(const RtpPacket& packet) {
    if (packet.header.payloadType != payloadType_) return;  // another stream's packet
    if (ssrc_ && packet.header.ssrc != *ssrc_) {
      // A camera restarted its sender (new SSRC) without a new session.
      ssrc_ = packet.header.ssrc;
    }
    ++counters_.packetsReceived;
    counters_.bytesReceived += packet.payload.size();
    depacketizer_->push(packet);
    while (auto unit = depacketizer_->pop()) deliver(std::move(*unit));
  }

  void deliver(VideoAccessUnit unit) {
    const WallTime now = SystemClock::instance().now();
    const StreamTimeline::Timing timing = timeline_->onFrame(unit.rtpTimestamp, now);
    if (!unit.params || (!sawKeyframe_ && !unit.keyframe)) return;  // a decoder could not start here
    sawKeyframe_ = true;
    ++counters_.framesReceived;
    if (audio_) audio_->clock.onVideo(timing.pts, timing.captureTime, unit.parametersChanged || timing.discontinuity);
    if (!observer_) return;
    media::Frame frame;
    frame.pts = timing.pts;
    frame.captureTime = timing.captureTime;
    frame.keyframe = unit.keyframe;
    frame.data = std::move(unit.data);
    frame.params = std::move(unit.params);
    observer_->onFrame(std::move(frame), unit.parametersChanged || timing.discontinuity);
  }

  void onRtcp(ByteView data) {
    auto compound = parseRtcp(data);
    if (!compound) return;
    for (const ReceivedSenderReport& sr : compound->senderReports) {
      if (ssrc_ && sr.report.ssrc != *ssrc_) continue;
      timeline_->onSenderReport(sr.ntpTimestamp, sr.report.rtpTimestamp, SystemClock::instance().now());
    }
    for (const RtcpBye& bye : compound->byes) {
      for (uint32_t s : bye.ssrcs) {
        if (!ssrc_ || s == *ssrc_) {
          fail(Status::unavailable("camera ended the stream (RTCP BYE)"));
          return;
        }
      }
    }
  }

  Status bindUdp() {
    error_code ec;
    const udp protocol = cameraAddress_.is_v6() ? udp::v6() : udp::v4();
    for (int attempt = 0; attempt < 20; ++attempt) {
      rtpUdp_.close(ec);
      rtcpUdp_.close(ec);
      rtpUdp_.open(protocol, ec);
      if (ec) return Status::unavailable("cannot open a UDP socket: " + ec.message());
      rtpUdp_.bind(udp::endpoint(protocol, 0), ec);
      if (ec) continue;
      const uint16_t port = rtpUdp_.local_endpoint().port();
      if (port == 65535) continue;
      rtcpUdp_.open(protocol, ec);
      rtcpUdp_.bind(udp::endpoint(protocol, static_cast<uint16_t>(port + 1)), ec);
      if (ec) continue;
      rtpUdp_.set_option(asio::socket_base::receive_buffer_size(2 << 20), ec);
      return Status::ok();
    }
    return Status::unavailable("no free UDP port pair");
  }

  static awaitable<void> udpReader(std::shared_ptr<Session> self, bool rtcp) {
    udp::socket& socket = rtcp ? self->rtcpUdp_ : self->rtpUdp_;
    std::vector<uint8_t> buffer(65536);
    udp::endpoint sender;
    while (!self->finished_) {
      error_code ec;
      const size_t n = co_await socket.async_receive_from(asio::buffer(buffer), sender, withError(ec));
      if (ec) co_return;
      // Only the camera may feed this session: anything else is ignored.
      if (sender.address() != self->cameraAddress_) continue;
      if (rtcp) {
        self->onRtcp(ByteView(buffer.data(), n));
        continue;
      }
      self->gotUdpPacket_ = true;
      self->reorder_.push(media::Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n)),
                          Steady::now());
      self->drainReorder();
    }
  }

  void drainReorder() {
    while (auto packet = reorder_.pop(Steady::now())) {
      if (finished_) return;
      onRtp(packet->rtp);
    }
  }

  // ---- time: deadlines, silence, keepalive, UDP fallback ----

  static awaitable<void> ticker(std::shared_ptr<Session> self) {
    while (!self->finished_) {
      self->tickTimer_.expires_after(kTickInterval);
      error_code ec;
      co_await self->tickTimer_.async_wait(withError(ec));
      if (self->finished_) break;
      self->tick();
    }
  }

  void tick() {
    const auto now = Steady::now();
    if (stopping_) {
      if (now >= stopDeadline_) fail(Status::failedPrecondition("stopped"));
      return;
    }
    if (now > deadline_) {
      fail(Status::deadlineExceeded(fmt::format("no answer to {} within {:.1f} s", deadlineWhat_,
                                                std::chrono::duration<double>(options_.requestTimeout).count())));
      return;
    }
    if (!playing_) return;
    if (!tcp_) {
      drainReorder();
      if (!gotUdpPacket_ && now - playStartedAt_ > options_.udpFirstPacketTimeout) {
        switchTransport_ = true;
        fail(Status::unavailable("no UDP packet arrived; the path may block UDP"));
        return;
      }
    }
    // Media arrival is noted here, per tick, rather than per packet.
    if (counters_.packetsReceived != packetsAtLastTick_) {
      packetsAtLastTick_ = counters_.packetsReceived;
      lastMediaAt_ = now;
    }
    if (now - lastMediaAt_ > options_.mediaTimeout) {
      fail(Status::deadlineExceeded(
          fmt::format("no media for {:.1f} s", std::chrono::duration<double>(options_.mediaTimeout).count())));
      return;
    }
    if (now >= nextKeepaliveAt_) {
      nextKeepaliveAt_ = now + keepaliveInterval();
      if (!writing_) {
        send(newRequest(supportsGetParameter_ ? "GET_PARAMETER" : "OPTIONS",
                        supportsGetParameter_ ? playUrl_ : url_.withoutCredentials())
                 .serialize());
      }
    }
  }

  std::chrono::milliseconds keepaliveInterval() const {
    return std::min<std::chrono::milliseconds>(sessionTimeout_ / 2, std::chrono::seconds(30));
  }

  // ---- ending ----

  // Records why the session ends (the first reason wins) and closes the
  // sockets, which wakes every pending operation with an error.
  void fail(Status reason) {
    if (failure_.isOk()) failure_ = std::move(reason);
    closeSockets();
  }

  void closeSockets() {
    error_code ec;
    socket_.close(ec);
    rtpUdp_.close(ec);
    rtcpUdp_.close(ec);
    resolver_.cancel();
  }

  // Closes the connection so that the session can start over (a redirect, a
  // transport change), keeping the counters.
  void resetConnection() {
    closeSockets();
    socket_ = tcp::socket(loop_);
    rtpUdp_ = udp::socket(loop_);
    rtcpUdp_ = udp::socket(loop_);
    splitter_ = RtspSplitter();
    writeQueue_.clear();
    writing_ = false;
    sessionId_.clear();
    auth_.reset();
    playing_ = false;
    gotUdpPacket_ = false;
    failure_ = Status::ok();
    reorder_ = ReorderBuffer();
  }

  void finish(const Status& reason) {
    if (finished_) return;
    closeSockets();
    finished_ = true;
    tickTimer_.cancel();
    if (!stopping_) {
      // As configured, but from the parsed URL when there is one: no userinfo.
      const std::string url = configured_.host.empty() ? redactWholeUrl(options_.url) : configured_.withoutCredentials();
      log::info("rtsp.client.stopped", {{"url", url}, {"reason", reason}});
    }
    flushG711();  // the session's last sound
    if (observer_) {
      RtspClientObserver* observer = observer_;
      observer_ = nullptr;
      observer->onStopped(reason.isOk() ? Status::unavailable("session ended") : reason);
    }
  }

  asio::io_context& loop_;
  RtspClientOptions options_;
  RtspClientObserver* observer_;
  RtspUrl configured_;  // the config's URL and credentials
  RtspUrl url_;         // where the session is now (after redirects)
  bool redirected_ = false;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer tickTimer_;
  udp::socket rtpUdp_;
  udp::socket rtcpUdp_;
  asio::ip::address cameraAddress_;

  RtspSplitter splitter_;
  std::deque<std::string> writeQueue_;
  bool writing_ = false;
  uint32_t cseq_ = 0;
  std::unique_ptr<Authenticator> auth_;

  bool tcp_ = true;
  bool switchTransport_ = false;
  bool supportsGetParameter_ = false;
  std::string sessionId_;
  std::chrono::milliseconds sessionTimeout_{60000};
  std::string playUrl_;
  int rtpChannel_ = 0;
  int rtcpChannel_ = 1;
  std::optional<uint32_t> ssrc_;
  media::VideoCodec codec_ = media::VideoCodec::kH264;
  int payloadType_ = -1;
  std::string audioEncoding_;  // PlayingStream::audioEncoding

  // The audio track set up with the video (TCP only), if any.
  struct AudioTrack {
    AudioTrack(const SdpMedia& media, std::shared_ptr<const media::AudioParameters> p, const std::string& url)
        : params(std::move(p)),
          payloadType(media.payloadType),
          depacketizer(params->codec, media.aac.value_or(AacParameters{})),
          timeline(StreamTimeline::Options{static_cast<uint32_t>(params->sampleRate), url + " (audio)"}) {}
    std::shared_ptr<const media::AudioParameters> params;
    int payloadType;
    int rtpChannel = 2;
    int rtcpChannel = 3;
    std::optional<uint32_t> ssrc;
    AudioDepacketizer depacketizer;
    StreamTimeline timeline;
    AudioOnVideoClock clock;
    std::optional<media::Frame> chunk;  // G.711 not yet handed on (chunkG711)
    bool chunkNewSegment = false;
  };
  std::unique_ptr<AudioTrack> audio_;

  std::unique_ptr<VideoDepacketizer> depacketizer_;
  std::unique_ptr<StreamTimeline> timeline_;
  ReorderBuffer reorder_;
  bool sawKeyframe_ = false;
  uint64_t lostBefore_ = 0, droppedBefore_ = 0, jumpsBefore_ = 0;
  RtspClientCounters counters_;

  Steady::time_point deadline_ = Steady::time_point::max();
  std::string deadlineWhat_;
  Steady::time_point playStartedAt_, lastMediaAt_, nextKeepaliveAt_, stopDeadline_;
  uint64_t packetsAtLastTick_ = 0;  // counters_.packetsReceived when the ticker last looked
  bool playing_ = false;
  bool gotUdpPacket_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  Status failure_;
};

RtspClient::RtspClient(asio::io_context& loop, RtspClientOptions options, RtspClientObserver* observer)
    : session_(std::make_shared<Session>(loop, std::move(options), observer)) {}

RtspClient::~RtspClient() { stop(); }

void RtspClient::start() { session_->start(); }
void RtspClient::stop() { session_->stop(); }
RtspClientCounters RtspClient::counters() const { return session_->counters(); }

}  // namespace vigil::rtsp
