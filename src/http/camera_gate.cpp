#include "http/camera_gate.h"

#include <fmt/format.h>

#include "link/look_messages.h"

namespace vigil::http {

Status CameraGate::admit(const access::Principal& principal, std::string_view camera) const {
  // Only a well-formed id is echoed back.
  if (!isValidCameraRef(camera)) return Status::notFound("no such camera");
  if (!exists_ || !exists_(camera) || !principal.canView(camera)) {
    return Status::notFound(fmt::format("no camera \"{}\"", camera));
  }
  return Status::ok();
}

}  // namespace vigil::http
