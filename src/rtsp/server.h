#pragma once
// vigil's RTSP 1.0 server (RFC 2326): OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE,
// GET_PARAMETER/SET_PARAMETER (keepalive), TEARDOWN; RTP over TCP
// (interleaved) and over UDP; RTCP sender reports every 5 s. A stream with
// audio offers it as a second track ("trackID=1"), over TCP.
//
// It serves looped streams: a fixed list of pre-packetized access units
// repeated forever, which is what `vigil testcam` is. Sessions share the
// immutable stream data and only write their own RTP headers, so one
// process serves thousands of sessions. Each connection lives on one loop
// of the EventLoopPool for its whole life.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/config.h"
#include "base/event_loops.h"
#include "media/audio.h"
#include "rtsp/packetizer.h"

namespace vigil::rtsp {

// One access unit of a looped stream, ready to send.
struct PreparedAccessUnit {
  Bytes data;                        // the NAL units back to back; payload bodies point here
  std::vector<RtpPayload> payloads;  // in order; the last one carries the marker bit
  size_t seiIndex = 0;               // a per-send SEI goes before this payload (the first VCL one)
  bool keyframe = false;
  uint32_t duration = 0;             // 90 kHz ticks until the next access unit
};

// Copies the NAL units (no start codes) and packetizes them.
std::unique_ptr<PreparedAccessUnit> prepareAccessUnit(media::VideoCodec codec,
                                                      const std::vector<Bytes>& nals,
                                                      uint32_t duration);

// A looped audio track served beside a stream's video, over TCP only:
// one frame per RTP packet (AAC as RFC 3640 AAC-hbr, G.711 as RFC 3551).
// Audio frame k is sent with the video frame whose time it has reached,
// and its RTP time and sender reports follow the same clock as the video's,
// so sample n of the loop plays at n / sampleRate seconds of video.
struct LoopedAudio {
  media::AudioParameters params;
  int samplesPerFrame = 1024;
  std::vector<Bytes> frames;  // one loop
};

struct LoopedStream {
  media::VideoCodec codec = media::VideoCodec::kH264;
  int width = 0;
  int height = 0;
  int fps = 25;
  std::string fmtp;  // the a=fmtp parameters, e.g. "packetization-mode=1;sprop-parameter-sets=..."
  std::vector<std::unique_ptr<PreparedAccessUnit>> units;  // starts with a keyframe
  std::shared_ptr<const LoopedAudio> audio;                 // null: video alone
};

// Maps a request path ("/cam/0") to the stream served there.
class StreamCatalog {
 public:
  virtual ~StreamCatalog() = default;
  virtual std::shared_ptr<const LoopedStream> find(std::string_view path) const = 0;
};

struct RtspServerOptions {
  // Put the send time in an SEI NAL unit of every access unit (media/send_time_sei.h).
  bool sendTimeSei = true;
  // A session with no request (and no RTCP over TCP) for this long is closed.
  std::chrono::seconds sessionTimeout{60};
  // A TCP client that lets more than this queue up loses frames until the
  // next keyframe; at four times this it is disconnected.
  size_t maxQueuedBytes = 4 << 20;
  size_t maxConnections = 20000;
  std::string serverName = "vigil";
};

struct RtspServerStats {
  uint64_t connectionsOpen = 0;
  uint64_t sessionsPlaying = 0;
  uint64_t bytesSent = 0;
  uint64_t framesSent = 0;
  uint64_t framesDropped = 0;
  uint64_t badRequests = 0;
};

class RtspServer {
 public:
  RtspServer(EventLoopPool& loops, std::shared_ptr<const StreamCatalog> catalog,
             RtspServerOptions options = {});
  ~RtspServer();
  RtspServer(const RtspServer&) = delete;
  RtspServer& operator=(const RtspServer&) = delete;

  // Binds and starts accepting. A taken port is Unavailable with the reason.
  Status listen(const HostPort& address);
  uint16_t port() const;
  // Closes the listener and every connection. Thread-safe, idempotent.
  void stop();
  RtspServerStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The path of an rtsp:// URL ("rtsp://h:554/cam/0?x" -> "/cam/0"); "/" if none.
std::string_view rtspUrlPath(std::string_view url);

}  // namespace vigil::rtsp
