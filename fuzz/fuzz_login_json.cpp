// The login route's body parser and the query-string parser get bytes
// from anyone on the network, before any session exists; the other bodies
// (users, events) from any logged-in user.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)vigil::http::parseLoginRequest(text);
  (void)vigil::http::parseEventRequest(text);
  if (auto json = vigil::http::JsonBody::parse(text, {"id", "role", "password", "cameras"})) {
    (void)json->string("id", 64);
    (void)json->stringList("cameras", 1000);
  }
  if (auto query = vigil::http::parseQuery(text)) (void)vigil::http::timeParam(*query, "start");
  return 0;
}
