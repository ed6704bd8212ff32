#pragma once
// Pieces the live and recording routes share: responses of media bytes and
// the names of HLS segments.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/server.h"
#include "media/h26x.h"
#include "storage/mp4.h"

namespace vigil::http {

// NotFound (404) for a camera that does not exist and for one the user may
// not see, so a viewer cannot probe which cameras exist. The route's {id}.
Status checkCameraAccess(const std::function<bool(const std::string&)>& cameraExists, const Request& req);

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
