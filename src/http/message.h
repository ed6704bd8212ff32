#pragma once
// What a route handler gets and gives: a parsed HTTP request, with the
// session that the server's gate checked, and the response, whose body is
// a string or streamed from a BodySource (http/body.h).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access/accounts.h"
#include "base/status.h"
#include "base/time.h"
#include "http/body.h"

namespace vigil::http {

struct Request {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', raw
  // The {name} segments of the route's path pattern, by name, as sent
  // (not percent-decoded: handlers validate ids, which never need it).
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
  std::string remoteAddress;  // the client's IP address
  bool secure = false;        // came over TLS
  // TLS 1.3 only: the connection's channel binding (RFC 9266 tls-exporter,
  // 32 raw bytes), which the tier link's proofs sign; empty otherwise.
  std::string tlsChannelBinding;
  // Set by dispatch() for non-public routes.
  std::optional<access::Principal> principal;
  std::string sessionToken;  // the token that authenticated the request
  // A request of a user of a node above, run here by the camera's owner
  // (link/remote_media.h): the JSON object (remote, tier, via, right)
  // its audit rows carry. Empty for this node's own users.
  std::string remoteLook;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  // Instead of `body` (leave that empty): a body streamed in chunks from
  // its source, with backpressure. Such a 200 answers a GET's Range header
  // (206 with Content-Range; 416 with "Content-Range: bytes */SIZE" when no
  // range starts inside the body; several ranges: 200 with the whole body).
  std::shared_ptr<const BodySource> source;
  // Validators. With either set, a 200 to GET or HEAD becomes a bodiless
  // 304 when If-None-Match names the etag, or (without If-None-Match) when
  // If-Modified-Since is not before lastModified; If-Range compares them
  // too. `etag` is a quoted strong entity tag: "\"3f2a-17\"".
  std::string etag;
  std::optional<WallTime> lastModified;
  // Set last, so they override the server's defaults (Cache-Control:
  // no-store...). Content-Disposition: see attachmentDisposition().
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(int status, std::string body);
  // {"error": message}, as every error of the API is.
  static Response error(int status, std::string_view message);
};

// A Content-Disposition value that makes a browser save the body as
// `fileName`: "attachment; filename=\"gate_2026-11-22T10-00-00Z.mp4\"".
// Characters other than [A-Za-z0-9._-] become '_' (no quoting tricks, no
// path), so pass a plain name.
std::string attachmentDisposition(std::string_view fileName);

// The response for a failed Status: one table maps kinds to HTTP statuses;
// 5xx answers do not carry the internal message.
Response errorResponse(const Status& status);

}  // namespace vigil::http
