#pragma once
// Live video of a camera (BRIEF §3), from the live registry (media/live.h):
//   GET /api/v1/cameras/{id}/live           WebSocket: a text {"type":"init","codec":...}, the fMP4
//                                            init segment, then one fragment per frame from a keyframe;
//                                            ?audio=1: the camera's sound as a second track (AAC; G.711
//                                            transcoded for this viewer: DECISIONS 87)
//   GET /api/v1/cameras/{id}/live.m3u8      HLS, fMP4 segments of about a second (media/hls.h);
//                                            ?audio=1: with the camera's sound as a second track (AAC;
//                                            G.711 transcoded once for the window: DECISIONS 96)
//                                            ?codec=h264: H.264 for a browser that cannot play the
//                                            camera's codec, as the WebSocket's (below)
//   GET /api/v1/cameras/{id}/live/{segment} its init-N.mp4 and N.m4s (the playlist's query kept)
//   GET /api/v1/cameras/{id}/snapshot.jpg   the latest keyframe as JPEG (?width= to scale down)
// All name their camera ({id}): the server's gate lets through only users
// who may see it. Live view is audited when it starts and when it stops
// (with how long and why: AUDIT.md): a WebSocket from its upgrade to its
// close, a session's HLS look from its first request to 60 s without one.
// Both end within a second when the right to watch ends (logout, password
// change, expiry, grant removed: access/rights_watch.h). Snapshots are
// audited each. A session and a user may have only so many live views
// open at once (429 beyond). A camera of a node below (design/LINK.md,
// "Looks") is asked of its owner first: 403 with the owner's reason when
// it refuses, 503 when a link on the way is down; a look the owner ends
// (a share revoked) closes the WebSocket with 1008 and the reason. Its
// live HLS holds the owner's look while the player keeps asking (closed
// after 10 s without a request).
//
// Sub streams (design/ARCHITECTURE.md, "Sub streams"): each of these takes
// ?stream=sub (or ?stream=main, the default): a camera of this node with a
// sub stream that streams now is served from it, else from its main
// stream, so a tile that asks for the sub stream always gets video while
// the camera is online. A camera of a node below is served its main
// stream (the tier link carries no stream choice yet).
//
// A browser that cannot play the camera's codec (Chromium on Linux and
// H.265: the UI asks MediaSource.isTypeSupported of the init's codec)
// opens the WebSocket again with ?codec=h264 and is sent the camera's
// stream as it is if that is H.264, else the transcode (`h264ForBrowsers`,
// design/ARCHITECTURE.md, "Browser transcodes"); when the node transcodes
// as many cameras as it may, the socket sends {"type":"error","code":
// "transcode_busy","error":...} and closes with 1013 (try again later).
// Live HLS takes ?codec=h264 too: its window is fed by the transcode, which
// runs until the window idles (60 s without a request); busy is a 429.

#include <functional>
#include <memory>

#include "access/audit.h"
#include "base/event_loops.h"
#include "http/server.h"
#include "link/looks.h"
#include "media/live.h"

namespace vigil::http {

struct LiveRoutesContext {
  media::LiveRegistry* live = nullptr;
  access::AuditLog* audit = nullptr;
  EventLoopPool* loops = nullptr;  // where HLS windows take their frames
  // Cameras of nodes below ("house7.door"): asked of their owner, whose
  // frames then arrive in `live` under that id. Null: none.
  link::RemoteLooks* remote = nullptr;
  // The live-registry stream that serves a view of a camera of this node
  // asking for its sub stream (true) or its main stream (app::Node::liveStreamId).
  // Null: always the camera's id, its main stream.
  std::function<std::string(const std::string& camera, bool sub)> streamId;
  // A camera's live stream transcoded to H.264, while the result is held
  // (transcode::BrowserTranscodes::hold). Null: ?codec=h264 is refused as busy.
  std::function<Result<std::shared_ptr<media::LiveStream>>(const std::string& camera)> h264ForBrowsers;
  // Live views (WebSockets and HLS looks) open at once.
  int maxViewsPerSession = 32;
  int maxViewsPerUser = 64;
};

void addLiveRoutes(HttpServer& server, LiveRoutesContext context);

}  // namespace vigil::http
