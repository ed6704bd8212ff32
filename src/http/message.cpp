#include "http/message.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace vigil::http {

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::error(int status, std::string_view message) {
  return json(status, nlohmann::json{{"error", message}}.dump());
}

std::string attachmentDisposition(std::string_view fileName) {
  std::string safe;
  for (char c : fileName) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '_' || c == '-';
    safe += plain ? c : '_';
  }
  return fmt::format("attachment; filename=\"{}\"", safe);
}

Response errorResponse(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return Response::json(200, "{}");
    case StatusCode::kInvalidArgument: return Response::error(400, status.message());
    case StatusCode::kUnauthenticated: return Response::error(401, status.message());
    case StatusCode::kPermissionDenied: return Response::error(403, status.message());
    case StatusCode::kNotFound: return Response::error(404, status.message());
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: return Response::error(409, status.message());
    case StatusCode::kResourceExhausted: return Response::error(429, status.message());
    case StatusCode::kUnimplemented: return Response::error(501, "not implemented");
    case StatusCode::kUnavailable:
      log::warn("http.unavailable", {{"status", status}});  // the operator needs the cause (a full disk)
      return Response::error(503, "unavailable");
    case StatusCode::kDeadlineExceeded: return Response::error(504, "timed out");
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: break;
  }
  log::error("http.internal_error", {{"status", status}});
  return Response::error(500, "internal error");
}

}  // namespace vigil::http
