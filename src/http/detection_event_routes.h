#pragma once
// Detection events (design/DETECT.md, "Events"), from events.db:
//   GET /api/v1/events?camera=&label=&start=&end=&limit=   newest first  (user)
//   GET /api/v1/events/{id}                                 one           (user)
//   GET /api/v1/events/{id}/snapshot.jpg                    its snapshot  (user, audited as a snapshot)
// An event is {"id", "camera", "label" (person|vehicle|animal|motion),
// "score" (its top score), "start", "end" (null while open), "zones",
// "box" ([x, y, width, height] of the snapshot's box in 0..1 picture
// coordinates), "snapshot" (its URL), "clip" {"start", "end"}: the
// camera's pre-roll before, post-roll after, to ask of export.mp4}.
// Only events of cameras the session may see (the camera gate): another
// camera's event, and a camera= the user may not see, answer 404 as one
// that does not exist. `start`/`end` select events overlapping them.
// `notify=true`: only the events the household's screens announce (the
// labels its owner chose per camera, detect/config.h `notify`; never motion).

#include <chrono>
#include <functional>
#include <string>

#include "access/audit.h"
#include "detect/event_store.h"
#include "http/server.h"

namespace vigil::http {

struct ClipRoll {
  std::chrono::seconds pre{5};
  std::chrono::seconds post{5};
};

struct DetectionEventRoutesContext {
  detect::EventStore* store = nullptr;
  access::AuditLog* audit = nullptr;
  // A camera's pre- and post-roll (storage's pre_roll_s, post_roll_s); null: ClipRoll{}.
  std::function<ClipRoll(const std::string& camera)> clipRoll;
  // Whether a new event of `label` at `camera` is announced; null: every person, vehicle and animal.
  std::function<bool(const std::string& camera, std::string_view label)> notifies;
};

void addDetectionEventRoutes(HttpServer& server, DetectionEventRoutesContext context);

}  // namespace vigil::http
