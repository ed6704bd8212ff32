#pragma once
// A camera's life: its RTSP session, its state, reconnecting, and its
// metrics. A Camera lives on one event loop; status() may be called from
// any thread.
//
// Reconnecting: after a session ends, a TCP connect to the camera's RTSP
// port (a probe) every 1-2 s while it does not answer, the full RTSP
// handshake as soon as it does. So a camera that comes back is streaming
// again within a couple of seconds, at the cost of one SYN per probe while
// it is away. A camera that answers but whose session fails (401, 404,
// 503, no media) is retried with exponential backoff and jitter instead.
//
// A camera is `streaming` from its session's first frame (a keyframe:
// the RTSP client starts there), handed to its sink, not from the PLAY
// answer: what asks for its picture once it is streaming (the public
// register, a snapshot) finds one of this session, never one of an
// earlier one, which its sink dropped when that session ended
// (FrameSink::onSessionEnd; design/REGISTER.md, invariant 12).
//
// A camera's sub stream (`sub_url`) is a second Camera made from
// subStreamConfig() (camera/config.h); the node puts its state beside the
// main stream's (CameraStatus::sub).

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log.h"
#include "base/mutex.h"
#include "camera/config.h"
#include "media/frame.h"
#include "rtsp/client.h"

namespace vigil::camera {

enum class CameraState { kConnecting, kStreaming, kRetrying, kStopped };
std::string_view cameraStateName(CameraState state);

// Why a camera shows no video, in a word a UI can put in plain words
// (design/ARCHITECTURE.md "Camera states"). kStorageFull is the node's:
// the camera streams but nothing is recorded. kDisabled too: its admins
// turned it off (design/CAMERAS.md), it is not ingested.
enum class ReasonCode { kNone, kNoAnswer, kWrongPassword, kNoVideo, kRefused, kStorageFull, kDisabled };
std::string_view reasonCodeName(ReasonCode code);  // "no_answer", ...; "" for kNone
// Why a session ended, in a word: credentials refused; video that stopped
// (or never came) once the camera said PLAY (`played`); a camera that
// cannot be reached or does not answer in time; else a refusal (404, no
// H.264...). Also what a probe before saving a camera says.
ReasonCode reasonCodeOf(const Status& reason, bool played);

struct CameraStatus {
  std::string id;
  std::string name;
  CameraState state = CameraState::kConnecting;
  // Why it is not streaming: the last session's end or the last probe's
  // failure, kept while it reconnects; empty while streaming. The node
  // adds "storage full".
  std::string reason;
  ReasonCode reasonCode = ReasonCode::kNone;
  // When it last started or stopped streaming (before its first stream:
  // when it started trying), so "offline since" does not move while it
  // reconnects; and whether it ever streamed ("never connected").
  std::optional<WallTime> since;
  bool everStreamed = false;
  std::optional<media::VideoCodec> codec;
  // The audio set up with the video, if any (design/DECISIONS.md 87).
  std::optional<media::AudioParameters> audio;
  int width = 0;
  int height = 0;
  double fps = 0;          // over the last few seconds
  double bitrateKbps = 0;  // likewise
  uint64_t framesReceived = 0;
  uint64_t packetsLost = 0;
  uint64_t accessUnitsDropped = 0;
  uint64_t reconnects = 0;
  std::optional<WallTime> lastFrameAt;
  // Detection (the node fills these in for a camera with `detect` set):
  // frames analysed, and frames skipped because the workers were behind.
  bool detecting = false;
  uint64_t detectFramesAnalysed = 0;
  uint64_t detectFramesDropped = 0;
  // "main" or "sub": the stream detection reads now (detect/stream_switch.h).
  std::string_view detectStream;

  // The sub stream's own state, for a camera with `sub_url` (the node
  // fills it in). The fields above are the main stream's: a sub stream
  // that fails never makes the camera offline.
  struct SubStream {
    CameraState state = CameraState::kConnecting;
    std::string reason;
    std::optional<media::VideoCodec> codec;
    int width = 0;
    int height = 0;
    double fps = 0;
  };
  std::optional<SubStream> sub;

  // Who manages it (design/CAMERAS.md): "file" (the config file) or "ui"
  // (the API and the web UI); the node fills it in, empty where unsaid.
  std::string managedBy;
};

// Where a camera's frames go (storage, the live registry, detection).
// Called on the camera's loop; must not block. Keep the frame by keeping
// the pointer: its bytes are shared, never copied.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void onFrame(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) = 0;
  // An audio frame of the camera (rtsp/client.h, onAudio); same rules.
  virtual void onAudio(const std::string& /*cameraId*/, const media::SharedFrame& /*frame*/, bool /*newSegment*/) {}
  // The session whose frames came ended (the camera went away, or was
  // stopped): what a sink keeps of it to show as the camera's picture now
  // (a live stream's cached GOP) is no longer what the camera shows.
  // Frames after this are a new session's, starting at a keyframe.
  virtual void onSessionEnd(const std::string& /*cameraId*/) {}
};

struct Backoff {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{30000};
  // The delay before retry n (0-based): min(max, initial * 2^n), then a
  // random point in its upper half, so cameras that failed together do not
  // retry together.
  std::chrono::milliseconds delay(int attempt, std::mt19937& rng) const;
};

struct CameraOptions {
  Backoff backoff;  // between sessions that failed with the camera answering
  // Between probes of a camera that does not answer: a random point in
  // the upper half, so cameras that went away together spread out.
  std::chrono::milliseconds probeInterval{2000};
  std::chrono::milliseconds requestTimeout{10000};
  std::chrono::milliseconds mediaTimeout{10000};
};

class Camera : private rtsp::RtspClientObserver {
 public:
  Camera(boost::asio::io_context& loop, CameraConfig config, FrameSink* sink, CameraOptions options = {});
  ~Camera() override;

  // On the camera's loop.
  void start();
  void stop();

  // Thread-safe snapshot.
  CameraStatus status() const;
  const std::string& id() const { return config_.id; }

 private:
  struct Probe;

  void connect();
  void scheduleRetry(const Status& reason);
  void probe();
  void probeLater(std::string why);
  void setState(CameraState state, std::string reason, ReasonCode code);
  void onRateTimer();

  void onPlaying(const rtsp::PlayingStream& stream) override;
  void onFrame(media::Frame frame, bool newSegment) override;
  void onAudio(media::Frame frame, bool newSegment) override;
  void onStopped(const Status& reason) override;

  boost::asio::io_context& loop_;
  CameraConfig config_;
  FrameSink* sink_;
  CameraOptions options_;
  std::unique_ptr<rtsp::RtspClient> client_;
  boost::asio::steady_timer retryTimer_;
  boost::asio::steady_timer rateTimer_;
  std::shared_ptr<Probe> probe_;  // the one in flight, if any
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // probe callbacks hold it weakly
  std::mt19937 rng_;
  int attempt_ = 0;
  bool stopped_ = false;
  bool sessionHadFrames_ = false;
  bool sessionPlayed_ = false;  // the camera answered PLAY
  log::RateLimit segmentLog_{std::chrono::seconds(10)};

  // Rates: counts at the start of the current window.
  std::chrono::steady_clock::time_point windowStart_;
  uint64_t windowFrames_ = 0;
  uint64_t windowBytes_ = 0;
  uint64_t bytesTotal_ = 0;
  // Counters of the sessions that ended.
  uint64_t lostBefore_ = 0;
  uint64_t droppedBefore_ = 0;

  mutable Mutex mutex_;
  CameraStatus status_ GUARDED_BY(mutex_);
};

}  // namespace vigil::camera
