#pragma once
// A camera stream tried before it is saved (POST /api/v1/cameras/probe,
// design/CAMERAS.md): one RTSP session on a node's loop, until a keyframe
// and a second of frames came or the time is up, summarised for people:
// codec, size, frame rate, whether the camera sends audio, a JPEG of the
// keyframe as its preview, or why it failed in a word (the camera state's
// reason codes: no_answer, wrong_password, ...).

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/event_loops.h"
#include "camera/camera.h"
#include "http/camera_admin_routes.h"
#include "rtsp/client.h"

namespace vigil::app {

struct StreamProbe {
  std::string url;  // with or without credentials
  std::string username;
  std::string password;
  rtsp::RtspTransport transport = rtsp::RtspTransport::kTcp;
  std::chrono::milliseconds timeout{8000};
};

struct StreamProbeResult {
  bool ok = false;
  camera::ReasonCode reasonCode = camera::ReasonCode::kNone;  // when not ok
  std::string reason;  // when not ok: the session's error, credentials redacted
  std::string codec;   // "h264", "h265"
  int width = 0;
  int height = 0;
  double fps = 0;
  std::string audio;  // the SDP's audio encoding; empty without audio
  std::string jpeg;   // the first keyframe; empty when it did not decode
};

// Runs the probe on `loop` (which must run on another thread) and waits
// for its end: at most probe.timeout plus a moment. Thread-safe.
StreamProbeResult probeStream(boost::asio::io_context& loop, const StreamProbe& probe);

// The paths of the main and sub streams of common cameras (Hikvision,
// Dahua, TP-Link, Reolink, Uniview, ...), tried in order for an address.
struct UsualRtspPaths {
  std::string_view main;
  std::string_view sub;  // empty: none known
};
extern const std::vector<UsualRtspPaths> kUsualRtspPaths;

// POST /api/v1/cameras/probe: the URL given, or the usual paths at the
// address until one answers with video (or says the password is wrong, or
// the address does not answer at all), and then its sub stream. At most
// two at once per node: ResourceExhausted beyond. The answer:
//   {"ok": true, "url", "sub_url"?, "main": {codec, width, height, fps, audio},
//    "sub": {...}|null, "preview": "data:image/jpeg;base64,..."|null}
//   {"ok": false, "reason_code": "no_answer"|"wrong_password"|..., "error": "the camera does not answer"}
// URLs in the answer carry no credentials.
Result<nlohmann::json> probeCamera(EventLoopPool& loops, const http::CameraAdminRoutesContext::Probe& probe);

}  // namespace vigil::app
