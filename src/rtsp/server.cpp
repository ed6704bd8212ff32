#include "rtsp/server.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <mutex>
#include <random>
#include <unordered_map>

#include "base/log.h"
#include "base/net.h"
#include "media/send_time_sei.h"
#include "rtsp/message.h"
#include "rtsp/rtcp.h"
#include "rtsp/transport.h"

namespace vigil::rtsp {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;
using Steady = std::chrono::steady_clock;

std::unique_ptr<PreparedAccessUnit> prepareAccessUnit(media::VideoCodec codec,
                                                      const std::vector<Bytes>& nals,
                                                      uint32_t duration) {
  auto unit = std::make_unique<PreparedAccessUnit>();
  size_t total = 0;
  for (const Bytes& nal : nals) total += nal.size();
  unit->data.reserve(total);
  std::vector<std::pair<size_t, size_t>> ranges;
  for (const Bytes& nal : nals) {
    ranges.emplace_back(unit->data.size(), nal.size());
    unit->data.insert(unit->data.end(), nal.begin(), nal.end());
  }
  std::vector<ByteView> views;
  unit->seiIndex = SIZE_MAX;
  for (const auto& [offset, size] : ranges) {
    const ByteView nal(unit->data.data() + offset, size);
    const uint8_t type = media::nalType(codec, nal[0]);
    if (media::isKeyframeNal(codec, type)) unit->keyframe = true;
    views.push_back(nal);
  }
  unit->payloads = packetizeAccessUnit(codec, views);
  // The SEI goes right before the first VCL payload (after parameter sets).
  for (size_t i = 0; i < unit->payloads.size() && unit->seiIndex == SIZE_MAX; ++i) {
    const RtpPayload& p = unit->payloads[i];
    const uint8_t type = p.prefixSize > 0 ? static_cast<uint8_t>(p.prefix[p.prefixSize - 1] & 0x3f)
                                          : media::nalType(codec, p.body[0]);
    if (media::isVcl(codec, type)) unit->seiIndex = i;
  }
  if (unit->seiIndex == SIZE_MAX) unit->seiIndex = 0;
  unit->duration = duration;
  return unit;
}

std::string_view rtspUrlPath(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    const size_t slash = url.find('/', scheme + 3);
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  const size_t query = url.find('?');
  if (query != std::string_view::npos) url = url.substr(0, query);
  return url.empty() ? std::string_view("/") : url;
}

namespace {

constexpr std::string_view kTrackControl = "trackID=0";
constexpr std::string_view kAudioTrackControl = "trackID=1";
constexpr uint8_t kAacPayloadType = 97;
constexpr uint8_t kPcmuPayloadType = 0;  // RFC 3551's static types
constexpr uint8_t kPcmaPayloadType = 8;
constexpr auto kSenderReportInterval = std::chrono::seconds(5);
constexpr uint8_t kPayloadType = 96;

// State shared by the server and its connections; outlives both.
struct Shared {
  std::shared_ptr<const StreamCatalog> catalog;
  RtspServerOptions options;
  std::atomic<uint64_t> connectionsOpen{0};
  std::atomic<uint64_t> sessionsPlaying{0};
  std::atomic<uint64_t> bytesSent{0};
  std::atomic<uint64_t> framesSent{0};
  std::atomic<uint64_t> framesDropped{0};
  std::atomic<uint64_t> badRequests{0};
};

// A stream path without the track the URL names ("/cam/0/trackID=0"),
// and whether that track is the audio one.
std::string streamPathOf(std::string_view url, bool* audioTrack = nullptr) {
  std::string_view path = rtspUrlPath(url);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  for (std::string_view track : {kTrackControl, kAudioTrackControl}) {
    if (path.size() > track.size() && path.ends_with(track) && path[path.size() - track.size() - 1] == '/') {
      path.remove_suffix(track.size() + 1);
      if (audioTrack) *audioTrack = track == kAudioTrackControl;
    }
  }
  return std::string(path);
}

uint8_t audioPayloadType(const LoopedAudio& audio) {
  switch (audio.params.codec) {
    case media::AudioCodec::kAac: return kAacPayloadType;
    case media::AudioCodec::kPcmu: return kPcmuPayloadType;
    case media::AudioCodec::kPcma: return kPcmaPayloadType;
  }
  return kAacPayloadType;
}

std::string audioSdp(const LoopedAudio& audio) {
  const uint8_t pt = audioPayloadType(audio);
  const media::AudioParameters& p = audio.params;
  std::string out;
  if (p.codec == media::AudioCodec::kAac) {
    std::string config;
    for (uint8_t b : p.config) config += fmt::format("{:02x}", b);
    out = fmt::format(
        "m=audio 0 RTP/AVP {0}\r\na=rtpmap:{0} MPEG4-GENERIC/{1}/{2}\r\n"
        "a=fmtp:{0} streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;"
        "indexdeltalength=3;config={3}\r\n",
        pt, p.sampleRate, p.channels, config);
  } else {
    out = fmt::format("m=audio 0 RTP/AVP {0}\r\na=rtpmap:{0} {1}/{2}\r\n", pt,
                      p.codec == media::AudioCodec::kPcma ? "PCMA" : "PCMU", p.sampleRate);
  }
  return out + fmt::format("a=control:{}\r\n", kAudioTrackControl);
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Shared> shared, tcp::socket socket)
      : shared_(std::move(shared)),
        socket_(std::move(socket)),
        idleTimer_(socket_.get_executor()),
        frameTimer_(socket_.get_executor()),
        reportTimer_(socket_.get_executor()),
        rtpSocket_(socket_.get_executor()),
        rtcpSocket_(socket_.get_executor()) {
    std::random_device rd;
    rng_.seed((uint64_t{rd()} << 32) | rd());
    error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
  }

  void start() {
    ++shared_->connectionsOpen;
    armIdleTimer();
    readMore();
  }

  // Ends the connection; safe to call more than once, on its loop only.
  void close() {
    if (closed_) return;
    closed_ = true;
    stopPlaying();
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    rtpSocket_.close(ec);
    rtcpSocket_.close(ec);
    idleTimer_.cancel();
    --shared_->connectionsOpen;
    log::debug("rtsp.server.closed", {{"client", peer_}});
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  // One queued write: an RTSP message or one access unit's RTP packets.
  struct OutItem {
    std::string text;
    Bytes arena;  // interleave + RTP headers + FU prefixes, and the SEI packet
    std::vector<asio::const_buffer> buffers;
    size_t bytes = 0;
  };

  void readMore() {
    socket_.async_read_some(asio::buffer(readBuffer_),
                            [self = shared_from_this()](const error_code& ec, size_t n) {
                              self->onRead(ec, n);
                            });
  }

  void onRead(const error_code& ec, size_t n) {
    if (closed_) return;
    if (ec) {
      close();
      return;
    }
    armIdleTimer();
    splitter_.append(ByteView(readBuffer_.data(), n));
    while (!closed_) {
      const RtspSplitter::Item item = splitter_.next();
      if (item == RtspSplitter::Item::kNeedMore) break;
      if (item == RtspSplitter::Item::kInterleaved) continue;  // RTCP receiver reports
      if (item == RtspSplitter::Item::kError) {
        ++shared_->badRequests;
        log::warn("rtsp.server.bad_request", {{"client", peer_}, {"error", splitter_.error()}});
        sendMessage(RtspMessage::response(400, "Bad Request", std::nullopt), /*thenClose=*/true);
        return;
      }
      handle(splitter_.message());
    }
    if (!closed_ && !closeAfterWrite_) readMore();
  }

  void armIdleTimer() {
    idleTimer_.expires_after(shared_->options.sessionTimeout);
    idleTimer_.async_wait([weak = weak_from_this()](const error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->closed_) return;
      log::info("rtsp.server.timeout", {{"client", self->peer_}});
      self->close();
    });
  }

  RtspMessage reply(const RtspMessage& req, int status, std::string_view reason) {
    RtspMessage r = RtspMessage::response(status, reason, req.cseq());
    r.headers.emplace_back("Server", shared_->options.serverName);
    if (!sessionId_.empty() && status < 300) {
      r.headers.emplace_back("Session", fmt::format("{};timeout={}", sessionId_,
                                                    shared_->options.sessionTimeout.count()));
    }
    return r;
  }

  void handle(const RtspMessage& req) {
    if (!req.isRequest) return;  // a client has no business sending responses; ignore
    if (!req.cseq()) {
      ++shared_->badRequests;
      sendMessage(RtspMessage::response(400, "Bad Request", std::nullopt), true);
      return;
    }
    const std::string& m = req.method;
    if (m == "OPTIONS") {
      RtspMessage r = reply(req, 200, "OK");
      r.headers.emplace_back("Public",
                             "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER");
      sendMessage(std::move(r));
    } else if (m == "DESCRIBE") {
      onDescribe(req);
    } else if (m == "SETUP") {
      onSetup(req);
    } else if (m == "PLAY" || m == "PAUSE" || m == "TEARDOWN" || m == "GET_PARAMETER" ||
               m == "SET_PARAMETER") {
      if (auto s = req.header("Session"); s || m == "PLAY" || m == "PAUSE" || m == "TEARDOWN") {
        std::string_view id = s.value_or("");
        id = id.substr(0, id.find(';'));
        if (sessionId_.empty() || id != sessionId_) {
          sendMessage(reply(req, 454, "Session Not Found"));
          return;
        }
      }
      if (m == "PLAY") {
        onPlay(req);
      } else if (m == "PAUSE") {
        stopPlaying();
        sendMessage(reply(req, 200, "OK"));
      } else if (m == "TEARDOWN") {
        stopPlaying();
        sendMessage(reply(req, 200, "OK"));
        sessionId_.clear();
        stream_.reset();
        audioTransport_.reset();
      } else {
        sendMessage(reply(req, 200, "OK"));  // keepalive
      }
    } else {
      RtspMessage r = reply(req, 501, "Not Implemented");
      sendMessage(std::move(r));
    }
  }

  std::shared_ptr<const LoopedStream> lookup(const RtspMessage& req, std::string& path) {
    path = streamPathOf(req.uri);
    auto stream = shared_->catalog->find(path);
    if (!stream) sendMessage(reply(req, 404, "Not Found"));
    return stream;
  }

  void onDescribe(const RtspMessage& req) {
    std::string path;
    auto stream = lookup(req, path);
    if (!stream) return;
    error_code ec;
    const auto local = socket_.local_endpoint(ec);
    const std::string localAddress = ec ? "0.0.0.0" : local.address().to_string();
    const bool v6 = !ec && local.address().is_v6();
    std::string sdp = fmt::format(
        "v=0\r\no=- {} 1 IN {} {}\r\ns={}\r\nc=IN {} {}\r\nt=0 0\r\na=control:*\r\n"
        "a=range:npt=0-\r\nm=video 0 RTP/AVP {}\r\na=rtpmap:{} {}/90000\r\na=fmtp:{} {}\r\n"
        "a=framerate:{}\r\na=control:{}\r\n",
        rng_() % 1000000000, v6 ? "IP6" : "IP4", localAddress, path, v6 ? "IP6" : "IP4",
        v6 ? "::" : "0.0.0.0", kPayloadType, kPayloadType,
        stream->codec == media::VideoCodec::kH264 ? "H264" : "H265", kPayloadType, stream->fmtp,
        stream->fps, kTrackControl);
    if (stream->audio) sdp += audioSdp(*stream->audio);
    RtspMessage r = reply(req, 200, "OK");
    std::string base = req.uri;
    if (base.empty() || base.back() != '/') base += '/';
    r.headers.emplace_back("Content-Base", base);
    r.headers.emplace_back("Content-Type", "application/sdp");
    r.body = std::move(sdp);
    sendMessage(std::move(r));
  }

  void onSetup(const RtspMessage& req) {
    if (playing_) {
      sendMessage(reply(req, 455, "Method Not Valid in This State"));
      return;
    }
    std::string path;
    auto stream = lookup(req, path);
    if (!stream) return;
    bool audioTrack = false;
    streamPathOf(req.uri, &audioTrack);
    if (audioTrack) {
      onAudioSetup(req, stream, path);
      return;
    }
    auto header = req.header("Transport");
    if (!header) {
      sendMessage(reply(req, 461, "Unsupported Transport"));
      return;
    }
    auto specs = parseTransportHeader(*header);
    std::optional<TransportSpec> chosen;
    if (specs) {
      for (const TransportSpec& s : *specs) {
        if (s.multicast) continue;
        if (s.tcp || s.clientRtpPort != 0) {
          chosen = s;
          break;
        }
      }
    }
    if (!chosen) {
      sendMessage(reply(req, 461, "Unsupported Transport"));
      return;
    }
    if (chosen->tcp) {
      if (chosen->interleavedRtp < 0) {
        chosen->interleavedRtp = 0;
        chosen->interleavedRtcp = 1;
      }
    } else {
      Status s = openUdp(*chosen);
      if (!s.isOk()) {
        log::warn("rtsp.server.udp_failed", {{"client", peer_}, {"error", s}});
        sendMessage(reply(req, 500, "Internal Server Error"));
        return;
      }
    }
    if (sessionId_.empty()) sessionId_ = fmt::format("{:016X}", rng_());
    ssrc_ = static_cast<uint32_t>(rng_());
    chosen->ssrc = ssrc_;
    transport_ = *chosen;
    stream_ = std::move(stream);
    path_ = std::move(path);
    RtspMessage r = reply(req, 200, "OK");
    r.headers.emplace_back("Transport", transport_.toString());
    sendMessage(std::move(r));
  }

  // The audio track: over TCP, after the video's SETUP of the same stream.
  void onAudioSetup(const RtspMessage& req, const std::shared_ptr<const LoopedStream>& stream,
                    const std::string& path) {
    if (!stream->audio) {
      sendMessage(reply(req, 404, "Not Found"));
      return;
    }
    if (!stream_ || stream_ != stream || path != path_) {
      sendMessage(reply(req, 455, "Method Not Valid in This State"));
      return;
    }
    std::optional<TransportSpec> chosen;
    if (auto header = req.header("Transport")) {
      if (auto specs = parseTransportHeader(*header)) {
        for (const TransportSpec& s : *specs) {
          if (s.tcp && !s.multicast && transport_.tcp) {
            chosen = s;
            break;
          }
        }
      }
    }
    if (!chosen) {
      sendMessage(reply(req, 461, "Unsupported Transport"));
      return;
    }
    if (chosen->interleavedRtp < 0) {
      chosen->interleavedRtp = transport_.interleavedRtcp + 1;
      chosen->interleavedRtcp = chosen->interleavedRtp + 1;
    }
    if (chosen->interleavedRtp == transport_.interleavedRtp || chosen->interleavedRtp == transport_.interleavedRtcp ||
        chosen->interleavedRtp > 255 || chosen->interleavedRtcp > 255) {
      sendMessage(reply(req, 461, "Unsupported Transport"));
      return;
    }
    audioSsrc_ = static_cast<uint32_t>(rng_());
    chosen->ssrc = audioSsrc_;
    audioTransport_ = *chosen;
    RtspMessage r = reply(req, 200, "OK");
    r.headers.emplace_back("Transport", audioTransport_->toString());
    sendMessage(std::move(r));
  }

  Status openUdp(TransportSpec& spec) {
    error_code ec;
    const auto local = socket_.local_endpoint(ec);
    const auto remote = socket_.remote_endpoint(ec);
    if (ec) return Status::unavailable("connection has no endpoints");
    for (int attempt = 0; attempt < 20; ++attempt) {
      rtpSocket_.close(ec);
      rtcpSocket_.close(ec);
      rtpSocket_.open(local.protocol() == tcp::v4() ? udp::v4() : udp::v6(), ec);
      if (ec) return Status::unavailable(ec.message());
      rtpSocket_.bind(udp::endpoint(local.address(), 0), ec);
      if (ec) continue;
      const uint16_t rtpPort = rtpSocket_.local_endpoint(ec).port();
      if (ec || rtpPort == 65535) continue;
      rtcpSocket_.open(rtpSocket_.local_endpoint().protocol(), ec);
      rtcpSocket_.bind(udp::endpoint(local.address(), static_cast<uint16_t>(rtpPort + 1)), ec);
      if (ec) continue;
      rtpSocket_.non_blocking(true, ec);
      rtcpSocket_.non_blocking(true, ec);
      rtpSocket_.set_option(asio::socket_base::send_buffer_size(1 << 20), ec);
      spec.serverRtpPort = rtpPort;
      spec.serverRtcpPort = static_cast<uint16_t>(rtpPort + 1);
      // RTP goes only to the address that holds the RTSP connection: a
      // "destination" parameter is ignored so the server cannot be aimed at
      // a third party.
      udpRtpPeer_ = udp::endpoint(remote.address(), spec.clientRtpPort);
      udpRtcpPeer_ = udp::endpoint(remote.address(), spec.clientRtcpPort);
      return Status::ok();
    }
    return Status::unavailable("no free UDP port pair");
  }

  void onPlay(const RtspMessage& req) {
    if (!stream_) {
      sendMessage(reply(req, 455, "Method Not Valid in This State"));
      return;
    }
    if (!playing_) {
      sequence_ = static_cast<uint16_t>(rng_());
      rtpBase_ = static_cast<uint32_t>(rng_());
      ticks_ = 0;
      unitIndex_ = 0;
      audioSequence_ = static_cast<uint16_t>(rng_());
      audioRtpBase_ = static_cast<uint32_t>(rng_());
      audioFramesSent_ = 0;
    }
    RtspMessage r = reply(req, 200, "OK");
    r.headers.emplace_back("Range", "npt=0.000-");
    std::string base = req.uri;
    if (streamPathOf(base) == rtspUrlPath(base)) {  // aggregate URL: name the track
      if (base.back() != '/') base += '/';
      base += kTrackControl;
    }
    std::string rtpInfo =
        fmt::format("url={};seq={};rtptime={}", base, sequence_, rtpBase_ + static_cast<uint32_t>(ticks_));
    if (audioTransport_ && base.ends_with(kTrackControl)) {
      rtpInfo += fmt::format(",url={}{};seq={};rtptime={}", base.substr(0, base.size() - kTrackControl.size()),
                             kAudioTrackControl, audioSequence_, audioRtpTime(ticks_));
    }
    r.headers.emplace_back("RTP-Info", rtpInfo);
    sendMessage(std::move(r));
    if (!playing_) startPlaying();
  }

  void startPlaying() {
    playing_ = true;
    needKeyframe_ = true;
    ++shared_->sessionsPlaying;
    playStart_ = Steady::now();
    ticksAtStart_ = ticks_;
    log::info("rtsp.server.play", {{"client", peer_}, {"path", path_},
                                   {"transport", transport_.tcp ? "tcp" : "udp"}});
    sendSenderReport();
    scheduleReport();
    onFrameTime();
  }

  void stopPlaying() {
    if (!playing_) return;
    playing_ = false;
    --shared_->sessionsPlaying;
    frameTimer_.cancel();
    reportTimer_.cancel();
  }

  Steady::time_point timeOfTicks(uint64_t ticks) const {
    return playStart_ + std::chrono::microseconds((ticks - ticksAtStart_) * 1000000 / 90000);
  }

  void onFrameTime() {
    if (!playing_ || closed_) return;
    const PreparedAccessUnit& unit = *stream_->units[unitIndex_];
    sendUnit(unit);
    if (audioTransport_ && !closed_) sendAudioUntil(ticks_ + unit.duration);
    ticks_ += unit.duration;
    unitIndex_ = (unitIndex_ + 1) % stream_->units.size();
    auto due = timeOfTicks(ticks_);
    const auto now = Steady::now();
    if (now - due > std::chrono::seconds(1)) {
      // The loop was stalled (a paused process, an overloaded machine):
      // resume the schedule from now rather than sending a burst.
      playStart_ = now;
      ticksAtStart_ = ticks_;
      due = now;
    }
    frameTimer_.expires_at(due);
    frameTimer_.async_wait([weak = weak_from_this()](const error_code& ec) {
      auto self = weak.lock();
      if (!ec && self) self->onFrameTime();
    });
  }

  void scheduleReport() {
    reportTimer_.expires_after(kSenderReportInterval);
    reportTimer_.async_wait([weak = weak_from_this()](const error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || !self->playing_) return;
      self->sendSenderReport();
      self->scheduleReport();
    });
  }

  void sendSenderReport() {
    SenderReport sr;
    sr.ssrc = ssrc_;
    sr.wallTime = SystemClock::instance().now();
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - playStart_);
    const uint64_t ticksNow = ticksAtStart_ + static_cast<uint64_t>(elapsed.count()) * 90000 / 1000000;
    sr.rtpTimestamp = rtpBase_ + static_cast<uint32_t>(ticksNow);
    sr.packetCount = packetCount_;
    sr.octetCount = octetCount_;
    sendRtcp(makeSenderReport(sr, "vigil"), transport_.interleavedRtcp);
    if (audioTransport_) {
      sr.ssrc = audioSsrc_;
      sr.rtpTimestamp = audioRtpTime(ticksNow);
      sr.packetCount = audioPacketCount_;
      sr.octetCount = audioOctetCount_;
      sendRtcp(makeSenderReport(sr, "vigil"), audioTransport_->interleavedRtcp);
    }
  }

  // The audio RTP time at a video time (90 kHz ticks since PLAY began).
  uint32_t audioRtpTime(uint64_t ticks) const {
    return audioRtpBase_ + static_cast<uint32_t>(ticks * static_cast<uint64_t>(stream_->audio->params.sampleRate) / 90000);
  }

  // Sends the audio frames that start before `ticks` of video time.
  void sendAudioUntil(uint64_t ticks) {
    const LoopedAudio& audio = *stream_->audio;
    const uint64_t spf = static_cast<uint64_t>(audio.samplesPerFrame);
    const uint64_t rate = static_cast<uint64_t>(audio.params.sampleRate);
    const bool aac = audio.params.codec == media::AudioCodec::kAac;
    while (audioFramesSent_ * spf * 90000 / rate < ticks) {
      const Bytes& frame = audio.frames[audioFramesSent_ % audio.frames.size()];
      const uint32_t timestamp = audioRtpBase_ + static_cast<uint32_t>(audioFramesSent_ * spf);
      ++audioFramesSent_;
      if (queuedBytes_ > shared_->options.maxQueuedBytes) continue;  // a slow client: video decides
      const size_t auHeader = aac ? 4 : 0;  // AU-headers-length, one 13/3 AU header
      const size_t payload = auHeader + frame.size();
      Bytes arena(4 + kRtpHeaderSize + payload);
      uint8_t* h = arena.data();
      h[0] = '$';
      h[1] = static_cast<uint8_t>(audioTransport_->interleavedRtp);
      h[2] = static_cast<uint8_t>((kRtpHeaderSize + payload) >> 8);
      h[3] = static_cast<uint8_t>(kRtpHeaderSize + payload);
      writeRtpHeader(h + 4, RtpHeader{aac, audioPayloadType(audio), audioSequence_++, timestamp, audioSsrc_});
      uint8_t* p = h + 4 + kRtpHeaderSize;
      if (aac) {
        p[0] = 0;
        p[1] = 16;  // bits of AU headers
        p[2] = static_cast<uint8_t>(frame.size() >> 5);
        p[3] = static_cast<uint8_t>((frame.size() & 0x1f) << 3);
      }
      std::copy(frame.begin(), frame.end(), p + auHeader);
      ++audioPacketCount_;
      audioOctetCount_ += static_cast<uint32_t>(payload);
      queueFramed(std::move(arena));
    }
    writeMore();
  }

  // Queues bytes framed for the TCP connection already ('$' and channel).
  void queueFramed(Bytes framed) {
    OutItem item;
    item.arena = std::move(framed);
    queue_.push_back(std::move(item));
    OutItem& q = queue_.back();
    q.buffers.push_back(asio::buffer(q.arena));
    q.bytes = q.arena.size();
    queuedBytes_ += q.bytes;
  }

  void sendRtcp(const Bytes& packet, int channel) {
    if (transport_.tcp) {
      Bytes framed = {'$', static_cast<uint8_t>(channel), static_cast<uint8_t>(packet.size() >> 8),
                      static_cast<uint8_t>(packet.size())};
      framed.insert(framed.end(), packet.begin(), packet.end());
      queueFramed(std::move(framed));
      writeMore();
    } else {
      error_code ec;
      rtcpSocket_.send_to(asio::buffer(packet), udpRtcpPeer_, 0, ec);
    }
  }

  void sendUnit(const PreparedAccessUnit& unit) {
    const size_t limit = shared_->options.maxQueuedBytes;
    if (transport_.tcp && queuedBytes_ > limit) {
      if (queuedBytes_ > 4 * limit) {
        log::warn("rtsp.server.slow_client", {{"client", peer_}, {"queued_bytes", queuedBytes_}});
        close();
        return;
      }
      needKeyframe_ = true;
    }
    if (needKeyframe_ && !unit.keyframe) {
      ++shared_->framesDropped;
      return;
    }
    needKeyframe_ = false;

    Bytes sei;
    if (shared_->options.sendTimeSei) {
      sei = media::makeSendTimeSei(stream_->codec, SystemClock::instance().now());
    }
    const uint32_t timestamp = rtpBase_ + static_cast<uint32_t>(ticks_);
    const size_t framing = transport_.tcp ? 4 : 0;
    const size_t packets = unit.payloads.size() + (sei.empty() ? 0 : 1);

    OutItem item;
    item.arena.resize(packets * (framing + kRtpHeaderSize + 3) + sei.size());
    // Offsets of each packet's header in the arena, filled first so the
    // arena never reallocates while buffers point into it.
    struct Piece {
      size_t headerOffset;
      size_t headerSize;
      ByteView body;
    };
    std::vector<Piece> pieces;
    pieces.reserve(packets);
    size_t used = 0;
    auto addPacket = [&](std::span<const uint8_t> prefix, ByteView body, bool marker) {
      const size_t payloadSize = prefix.size() + body.size();
      uint8_t* h = item.arena.data() + used;
      if (framing) {
        const size_t total = kRtpHeaderSize + payloadSize;
        h[0] = '$';
        h[1] = static_cast<uint8_t>(transport_.interleavedRtp);
        h[2] = static_cast<uint8_t>(total >> 8);
        h[3] = static_cast<uint8_t>(total);
      }
      writeRtpHeader(h + framing, RtpHeader{marker, kPayloadType, sequence_++, timestamp, ssrc_});
      std::copy(prefix.begin(), prefix.end(), h + framing + kRtpHeaderSize);
      const size_t headerSize = framing + kRtpHeaderSize + prefix.size();
      pieces.push_back({used, headerSize, body});
      used += headerSize;
      ++packetCount_;
      octetCount_ += static_cast<uint32_t>(payloadSize);
    };
    for (size_t i = 0; i < unit.payloads.size(); ++i) {
      if (i == unit.seiIndex && !sei.empty()) {
        uint8_t* s = item.arena.data() + item.arena.size() - sei.size();
        std::copy(sei.begin(), sei.end(), s);
        addPacket({}, ByteView(s, sei.size()), false);
      }
      const RtpPayload& p = unit.payloads[i];
      addPacket(std::span<const uint8_t>(p.prefix.data(), p.prefixSize), p.body,
                i + 1 == unit.payloads.size());
    }
    ++shared_->framesSent;

    if (!transport_.tcp) {
      size_t bytes = 0;
      for (const Piece& piece : pieces) {
        const std::array<asio::const_buffer, 2> bufs = {
            asio::buffer(item.arena.data() + piece.headerOffset, piece.headerSize),
            asio::buffer(piece.body.data(), piece.body.size())};
        error_code ec;
        bytes += rtpSocket_.send_to(bufs, udpRtpPeer_, 0, ec);
      }
      shared_->bytesSent += bytes;
      return;
    }
    queue_.push_back(std::move(item));
    OutItem& q = queue_.back();
    q.buffers.reserve(pieces.size() * 2);
    for (const Piece& piece : pieces) {
      q.buffers.push_back(asio::buffer(q.arena.data() + piece.headerOffset, piece.headerSize));
      q.buffers.push_back(asio::buffer(piece.body.data(), piece.body.size()));
      q.bytes += piece.headerSize + piece.body.size();
    }
    queuedBytes_ += q.bytes;
    writeMore();
  }

  void sendMessage(RtspMessage message, bool thenClose = false) {
    OutItem item;
    item.text = message.serialize();
    queue_.push_back(std::move(item));
    OutItem& q = queue_.back();
    q.buffers.push_back(asio::buffer(q.text));
    q.bytes = q.text.size();
    queuedBytes_ += q.bytes;
    if (thenClose) closeAfterWrite_ = true;
    writeMore();
  }

  void writeMore() {
    if (writing_ || closed_) return;
    if (queue_.empty()) {
      if (closeAfterWrite_) close();
      return;
    }
    // Gather several queued items into one writev.
    writeBuffers_.clear();
    inFlightItems_ = 0;
    size_t bytes = 0;
    for (const OutItem& item : queue_) {
      if (inFlightItems_ > 0 && (bytes > 256 * 1024 || writeBuffers_.size() > 512)) break;
      writeBuffers_.insert(writeBuffers_.end(), item.buffers.begin(), item.buffers.end());
      bytes += item.bytes;
      ++inFlightItems_;
    }
    writing_ = true;
    asio::async_write(socket_, writeBuffers_,
                      [self = shared_from_this(), bytes](const error_code& ec, size_t) {
                        self->writing_ = false;
                        if (self->closed_) return;
                        if (ec) {
                          self->close();
                          return;
                        }
                        self->shared_->bytesSent += bytes;
                        self->queuedBytes_ -= bytes;
                        for (size_t i = 0; i < self->inFlightItems_; ++i) self->queue_.pop_front();
                        self->writeMore();
                      });
  }

  std::shared_ptr<Shared> shared_;
  tcp::socket socket_;
  asio::steady_timer idleTimer_;
  asio::steady_timer frameTimer_;
  asio::steady_timer reportTimer_;
  udp::socket rtpSocket_;
  udp::socket rtcpSocket_;
  udp::endpoint udpRtpPeer_;
  udp::endpoint udpRtcpPeer_;
  std::string peer_;
  std::mt19937_64 rng_;

  std::array<uint8_t, 16 * 1024> readBuffer_{};
  RtspSplitter splitter_;
  std::deque<OutItem> queue_;
  std::vector<asio::const_buffer> writeBuffers_;
  size_t inFlightItems_ = 0;
  size_t queuedBytes_ = 0;
  bool writing_ = false;
  bool closeAfterWrite_ = false;
  bool closed_ = false;

  std::string sessionId_;
  std::string path_;
  std::shared_ptr<const LoopedStream> stream_;
  TransportSpec transport_;
  uint32_t ssrc_ = 0;
  bool playing_ = false;
  bool needKeyframe_ = true;
  uint16_t sequence_ = 0;
  uint32_t rtpBase_ = 0;
  uint64_t ticks_ = 0;  // media time sent so far, 90 kHz
  uint64_t ticksAtStart_ = 0;
  size_t unitIndex_ = 0;
  Steady::time_point playStart_;
  uint32_t packetCount_ = 0;
  uint32_t octetCount_ = 0;
  // The audio track, once set up.
  std::optional<TransportSpec> audioTransport_;
  uint32_t audioSsrc_ = 0;
  uint16_t audioSequence_ = 0;
  uint32_t audioRtpBase_ = 0;
  uint64_t audioFramesSent_ = 0;
  uint32_t audioPacketCount_ = 0;
  uint32_t audioOctetCount_ = 0;
};

}  // namespace

struct RtspServer::Impl {
  EventLoopPool& loops;
  std::shared_ptr<Shared> shared;
  tcp::acceptor acceptor;
  std::mutex mutex;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  bool stopped = false;

  Impl(EventLoopPool& l, std::shared_ptr<Shared> s) : loops(l), shared(std::move(s)), acceptor(l.loop(0)) {}

  void accept(const std::shared_ptr<Impl>& self) {
    acceptor.async_accept(loops.next(), [self](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::lock_guard lock(self->mutex);
        if (self->stopped) return;
        if (self->connections.size() >= self->shared->options.maxConnections) {
          log::warn("rtsp.server.too_many_connections", {{"limit", self->shared->options.maxConnections}});
        } else {
          error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          auto conn = std::make_shared<Connection>(self->shared, std::move(socket));
          // Forget the connection when it is gone, by pruning expired entries.
          for (auto it = self->connections.begin(); it != self->connections.end();) {
            it = it->second.expired() ? self->connections.erase(it) : std::next(it);
          }
          self->connections.emplace(conn.get(), conn);
          asio::post(conn->executor(), [conn] { conn->start(); });
        }
      } else {
        log::warn("rtsp.server.accept_failed", {{"error", ec.message()}});
      }
      self->accept(self);
    });
  }
};

RtspServer::RtspServer(EventLoopPool& loops, std::shared_ptr<const StreamCatalog> catalog,
                       RtspServerOptions options) {
  auto shared = std::make_shared<Shared>();
  shared->catalog = std::move(catalog);
  shared->options = std::move(options);
  impl_ = std::make_shared<Impl>(loops, std::move(shared));
}

RtspServer::~RtspServer() { stop(); }

Status RtspServer::listen(const HostPort& address) {
  VIGIL_RETURN_IF_ERROR(listenOn(impl_->acceptor, address));
  impl_->accept(impl_);
  return Status::ok();
}

uint16_t RtspServer::port() const {
  error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void RtspServer::stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    for (auto& [ptr, weak] : impl_->connections) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
    impl_->connections.clear();
  }
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    error_code ec;
    impl->acceptor.close(ec);
  });
  for (auto& c : open) asio::post(c->executor(), [c] { c->close(); });
}

RtspServerStats RtspServer::stats() const {
  const Shared& s = *impl_->shared;
  return {s.connectionsOpen.load(), s.sessionsPlaying.load(), s.bytesSent.load(),
          s.framesSent.load(), s.framesDropped.load(), s.badRequests.load()};
}

}  // namespace vigil::rtsp
