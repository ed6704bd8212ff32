#pragma once
// Live video of a camera (BRIEF §3), from the live registry (media/live.h):
//   GET /api/v1/cameras/{id}/live           WebSocket: a text {"type":"init","codec":...}, the fMP4
//                                            init segment, then one fragment per frame from a keyframe
//   GET /api/v1/cameras/{id}/live.m3u8      HLS, fMP4 segments of about a second (media/hls.h)
//   GET /api/v1/cameras/{id}/live/{segment} its init-N.mp4 and N.m4s
//   GET /api/v1/cameras/{id}/snapshot.jpg   the latest keyframe as JPEG (?width= to scale down)
// All need a user who may see the camera. Live view (WebSocket open and
// close, the first HLS playlist of a session) and snapshots are audited.

#include <functional>
#include <string>

#include "access/audit.h"
#include "base/event_loops.h"
#include "http/server.h"
#include "media/live.h"

namespace vigil::http {

struct LiveRoutesContext {
  media::LiveRegistry* live = nullptr;
  access::AuditLog* audit = nullptr;
  EventLoopPool* loops = nullptr;  // where HLS windows take their frames
  std::function<bool(const std::string&)> cameraExists;
};

void addLiveRoutes(HttpServer& server, LiveRoutesContext context);

}  // namespace vigil::http
