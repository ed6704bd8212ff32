#pragma once
// The web UI's static files (web/dist after `npm run build`), served to
// GET and HEAD requests that no route takes. See
// HttpServer::serveStaticFiles for the rules.

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/server.h"

namespace vigil::http {

// The file a request path names, relative to the web root ("assets/x.js";
// "" for "/"), after percent-decoding; nullopt when the path is not a
// plain one inside the root: a segment that is empty (except a trailing
// one), ".", "..", or starts with '.'; an encoded '/' or '\'; a NUL, a
// control byte or '\' anywhere; a malformed %-escape; no leading '/'.
std::optional<std::string> staticRelativePath(std::string_view requestPath);

// The Content-Type for a file name, by its extension.
std::string_view staticContentType(std::string_view fileName);

class StaticFiles {
 public:
  // InvalidArgument when `root` is not a directory holding index.html.
  static Result<StaticFiles> open(const std::string& root);

  // The answer to a GET or HEAD of `requestPath` (raw, without the query):
  // the file; index.html for "/" and for extension-less paths outside
  // /api/; nullopt when there is nothing to serve (the caller answers 404).
  std::optional<Response> serve(std::string_view requestPath) const;

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  std::optional<Response> file(const std::string& relative, bool immutable) const;
  std::string root_;  // canonical, without a trailing '/'
};

}  // namespace vigil::http
