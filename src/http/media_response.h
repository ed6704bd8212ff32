#pragma once
// Pieces the live and recording routes share: auditing a look, handlers bound to the routes' shared state, responses of media
// bytes and the names of HLS segments.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "access/audit.h"
#include "base/mutex.h"
#include "http/server.h"
#include "link/remote_media.h"
#include "media/h26x.h"
#include "storage/mp4.h"

namespace vigil::http {

// Writes the session's user's look at the route's camera ({id}) to `audit`
// (null: nothing to write). Every look is seen: one that cannot be written
// is refused, so callers answer with this Status.
Status auditLook(access::AuditLog* audit, const Request& req, std::string action,
                 const nlohmann::json& detail = nlohmann::json::object());

// One look is many requests: a playlist and its reloads and segments, a
// player's ranges of one export. The log wants one row per look, and a
// row for every look whichever of its requests comes first (a client may
// skip the playlist or ask for any range). A look is (session, camera,
// action, detail); it is new again once it had no request for `window`.
// Thread-safe.
class RecentLooks {
 public:
  explicit RecentLooks(std::chrono::steady_clock::duration window) : window_(window) {}
  // auditLook() for the first request of the look, OK for the rest. A row
  // that cannot be written refuses the request, and the next one tries
  // again.
  Status audit(access::AuditLog* audit, const Request& req, std::string action,
               const nlohmann::json& detail = nlohmann::json::object());

 private:
  const std::chrono::steady_clock::duration window_;
  Mutex mutex_;
  // By look.
  std::map<std::string, std::chrono::steady_clock::time_point> lastRequest_ GUARDED_BY(mutex_);
};

// A route handler calling `handler(*state, req)`: the routes of one family
// keep their state in one object that lives as long as the server.
template <typename State, typename Out>
std::function<Out(const Request&)> withState(std::shared_ptr<State> state, Out (*handler)(State&, const Request&)) {
  return [state = std::move(state), handler](const Request& req) { return handler(*state, req); };
}

// A recording route for a camera of a node below ("house7.door",
// design/LINK.md "Recorded media across tiers"): the same route asked of
// the camera's owner, answered as it answers (403 with its reason when it
// refuses, 503 when a link on the way is down), the body streaming from
// the owner as the client takes it. Null `media`: no tier link (503).
Response askOwner(link::RemoteMedia* media, const Request& req);
// The owner's side: a request of a user above as this node's own route
// takes it (the owner's shares decided instead of the gate), with
// params["id"] and, when given, params["segment"]; and that route's
// response, Range applied, as the link carries it up.
Request requestFromAbove(const link::MediaAsk& ask, std::string segment = {});
link::MediaAnswer answerUp(const Request& req, Response response);

// A file built on the fly (storage::VirtualFile), served with Range support.
Response fileResponse(std::shared_ptr<const storage::VirtualFile> file, std::string contentType);
// Bytes held in memory (init segments).
Response bytesResponse(const media::Bytes& bytes, std::string contentType);

// An HLS segment name: "init-<n>.mp4" (an init segment) or "<n>.m4s".
struct SegmentName {
  bool init = false;
  uint64_t number = 0;
};
std::optional<SegmentName> parseSegmentName(std::string_view name);

}  // namespace vigil::http
