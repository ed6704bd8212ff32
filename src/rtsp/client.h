#pragma once
// vigil's RTSP 1.0 client: one session with one camera stream, on one event
// loop, no thread of its own. OPTIONS, DESCRIBE (with Basic/Digest auth and
// 3xx redirects), SETUP of the first H.264/H.265 video section, PLAY, then
// RTP over TCP (interleaved, default) or UDP; keepalive by GET_PARAMETER
// (OPTIONS when the camera does not list GET_PARAMETER) within the session
// timeout; TEARDOWN on stop.
//
// Transport fallbacks happen inside one client: UDP that brings no packet
// within `udpFirstPacketTimeout` is set up again over TCP; a camera that
// answers 461 to a TCP SETUP (VLC) is set up over UDP.
//
// Credentials go only to the configured host and port (a redirect to
// another one is followed without them), Basic never after a redirect, and
// never with `auth = kDigest`; the session then ends with a reason saying so.
//
// A client runs one session and then reports why it ended (onStopped);
// reconnecting with backoff is the camera's job (camera/camera.h).

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "base/status.h"
#include "media/frame.h"

namespace vigil::rtsp {

// RTP over the RTSP connection (interleaved) or over UDP.
enum class RtspTransport { kTcp, kUdp };
// Which schemes a camera may ask for: the strongest offered, or Digest only
// (Basic sends the password in clear). design/DECISIONS.md, "Camera
// credentials stay with the camera".
enum class RtspAuth { kAuto, kDigest };

struct RtspClientOptions {
  std::string url;       // rtsp://[user[:pass]@]host[:port]/path
  std::string username;  // used when the URL carries none
  std::string password;
  RtspAuth auth = RtspAuth::kAuto;
  RtspTransport transport = RtspTransport::kTcp;
  std::chrono::milliseconds requestTimeout{10000};  // connect, and each request
  std::chrono::milliseconds mediaTimeout{10000};    // no media for this long ends the session
  std::chrono::milliseconds udpFirstPacketTimeout{4000};
  std::string userAgent = "vigil";
};

struct RtspClientCounters {
  uint64_t bytesReceived = 0;       // RTP payload bytes of the video stream
  uint64_t packetsReceived = 0;
  uint64_t packetsLost = 0;
  uint64_t packetsMalformed = 0;
  uint64_t framesReceived = 0;      // access units delivered
  uint64_t accessUnitsDropped = 0;  // incomplete or corrupt, not delivered
  uint64_t timestampJumps = 0;
};

struct PlayingStream {
  media::VideoCodec codec = media::VideoCodec::kH264;
  bool tcp = true;
  std::string url;  // without credentials
  // The encoding of the SDP's first audio section ("MPEG4-GENERIC",
  // "PCMA"...), whether or not it is set up; empty without one.
  std::string audioEncoding;
};

// Callbacks run on the client's loop. None runs after stop().
class RtspClientObserver {
 public:
  virtual ~RtspClientObserver() = default;
  virtual void onPlaying(const PlayingStream& stream) = 0;
  // `newSegment`: parameter sets changed (e.g. a resolution change) or the
  // media clock jumped; what follows does not continue what came before.
  virtual void onFrame(media::Frame frame, bool newSegment) = 0;
  // The session ended; `reason` says why (never OK). Called once.
  virtual void onStopped(const Status& reason) = 0;
};

class RtspClient {
 public:
  // The observer must outlive the client or its stop().
  RtspClient(boost::asio::io_context& loop, RtspClientOptions options, RtspClientObserver* observer);
  ~RtspClient();  // stops
  RtspClient(const RtspClient&) = delete;
  RtspClient& operator=(const RtspClient&) = delete;

  // Starts the session. Call once, on the loop.
  void start();
  // Sends TEARDOWN (best effort) and closes; no callback after this. On the loop.
  void stop();
  // On the loop.
  RtspClientCounters counters() const;

  class Session;

 private:
  std::shared_ptr<Session> session_;
};

}  // namespace vigil::rtsp
