// The bodies of the user-management routes (http/access_routes.h), from any
// admin's session and so from whoever holds one: a user change
// {"role"?,"disabled"?} and a password reset {"password"}, through
// JsonBody as the routes read them, and the sessions list's query.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto change = vigil::http::JsonBody::parse(text, {"role", "disabled"})) {
    (void)change->optionalString("role", 16);
    (void)change->optionalBool("disabled");
  }
  if (auto reset = vigil::http::JsonBody::parse(text, {"password"})) (void)reset->string("password", 1024);
  (void)vigil::http::parseQuery(text);
  return 0;
}
