#pragma once
// Who may reach a camera: the one rule, used by the server's gate for
// every route that names a camera parameter (HttpServer::route with an
// AccessRule's cameraParam) and by the routes that list cameras. Users
// from other tiers (the link, later) go through the same gate.

#include <functional>
#include <string_view>

#include "access/accounts.h"
#include "base/status.h"

namespace vigil::http {

class CameraGate {
 public:
  // Whether a camera of this id exists on the node; null: none does.
  using Exists = std::function<bool(std::string_view id)>;
  explicit CameraGate(Exists exists = nullptr) : exists_(std::move(exists)) {}

  // OK, or NotFound alike for a camera that does not exist and for one the
  // principal may not see, so nobody can probe which cameras exist.
  Status admit(const access::Principal& principal, std::string_view camera) const;
  bool visible(const access::Principal& principal, std::string_view camera) const {
    return admit(principal, camera).isOk();
  }

 private:
  Exists exists_;
};

}  // namespace vigil::http
