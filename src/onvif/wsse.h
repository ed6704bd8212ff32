#pragma once
// WS-Security UsernameToken with PasswordDigest, as ONVIF devices check it:
// Digest = Base64(SHA1(nonce + created + password)), the nonce random
// bytes (sent Base64), created the client's time in UTC.

#include <cstdint>
#include <pugixml.hpp>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"

namespace vigil::onvif {

// Base64(SHA1(nonce + created + password)).
std::string passwordDigest(std::span<const uint8_t> nonce, std::string_view created, std::string_view password);

// A <wsse:Security> header for one request: 16 fresh bytes of nonce from
// OpenSSL's CSPRNG and `now` as Created. Empty for an empty user: a device
// without credentials takes requests without the header.
std::string securityHeader(std::string_view user, std::string_view password, WallTime now);

// The device's side (the simulator): OK when `header` holds a
// UsernameToken for `user` whose PasswordDigest matches `password`;
// PermissionDenied otherwise (no token, another user, a wrong digest, a
// nonce that is not Base64).
Status checkUsernameToken(pugi::xml_node header, std::string_view user, std::string_view password);

}  // namespace vigil::onvif
