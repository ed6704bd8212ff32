#pragma once
// Validation of untrusted request input: JSON bodies and query strings.
// Every failure is an InvalidArgument whose message starts with the name of
// the field at fault ("user: must be a string"), which the API returns
// with 400.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/time.h"

namespace vigil::http {

// Nesting deeper than this is refused before parsing, so a body of a
// million '[' cannot exhaust the parser's stack.
inline constexpr int kMaxJsonDepth = 32;

// A JSON object with any keys, its nesting bounded (kMaxJsonDepth).
Result<nlohmann::json> parseJsonObject(std::string_view body);

class JsonBody {
 public:
  // A JSON object whose keys are all in `allowed`.
  static Result<JsonBody> parse(std::string_view body, std::initializer_list<std::string_view> allowed);

  // A required string of 1..maxLength bytes.
  Result<std::string> string(std::string_view field, size_t maxLength) const;
  // The same when present; empty when absent.
  Result<std::string> optionalString(std::string_view field, size_t maxLength) const;
  // An optional boolean: nullopt when absent.
  Result<std::optional<bool>> optionalBool(std::string_view field) const;
  // An optional array of strings (empty when absent).
  Result<std::vector<std::string>> stringList(std::string_view field, size_t maxItems) const;

 private:
  explicit JsonBody(nlohmann::json json) : json_(std::move(json)) {}
  nlohmann::json json_;
};

struct LoginRequest {
  std::string user;
  std::string password;
  std::string device;  // empty when none was given
};
// {"user": "...", "password": "...", "device"?: "..."}: the login route's
// body; with a device name, the session is a device session (a TV's).
Result<LoginRequest> parseLoginRequest(std::string_view body);

// Pairing a TV (device_routes.h): {"pairing": "<64 hex>"}, the secret a
// TV asks with (its value checked, never echoed).
Result<std::string> parsePairingSecret(std::string_view body);
struct DeviceConfirmRequest {
  std::string code;  // as typed; access::normalizeCode() reads it
  std::string name;
};
// {"code": "...", "name": "..."}: a logged-in user confirms a TV's code.
Result<DeviceConfirmRequest> parseDeviceConfirm(std::string_view body);

struct EventRequest {
  bool open = false;
  std::string label;  // empty when none was given
};
// {"action": "open"|"close", "label"?: "..."}: the body of
// POST /api/v1/cameras/{id}/events.
Result<EventRequest> parseEventRequest(std::string_view body);

// "a=1&b=x%20y" -> {a: 1, b: "x y"} ('+' is a space). A repeated key is an error.
Result<std::map<std::string, std::string>> parseQuery(std::string_view query);
// An optional integer parameter in [min, max]; `fallback` when absent.
Result<int64_t> intParam(const std::map<std::string, std::string>& params, const std::string& name, int64_t min,
                         int64_t max, int64_t fallback);
// An optional RFC 3339 parameter.
Result<std::optional<WallTime>> timeParam(const std::map<std::string, std::string>& params, const std::string& name);

struct TimeRange {
  WallTime start;
  WallTime end;
};
// The required `start` and `end` of a query: RFC 3339, end after start, at
// most `maxSpan` apart.
Result<TimeRange> timeRangeParams(const std::map<std::string, std::string>& params, std::chrono::seconds maxSpan);
// An optional range of a query, parameters `from` and `to` (RFC 3339):
// `to` by default `now`, `from` by default `fallback` before `to`; `to`
// after `from`, at most `maxSpan` (whole days) apart.
Result<TimeRange> recentTimeRange(const std::map<std::string, std::string>& params, const std::string& from,
                                  const std::string& to, WallTime now, std::chrono::seconds fallback,
                                  std::chrono::seconds maxSpan);

}  // namespace vigil::http
