#include "http/static_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <utility>

#include "base/encoding.h"
#include "http/body.h"

namespace vigil::http {

namespace {

bool isApiPath(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

}  // namespace

std::optional<std::string> staticRelativePath(std::string_view requestPath) {
  if (requestPath.empty() || requestPath.front() != '/') return std::nullopt;
  std::string out;
  std::string_view rest = requestPath.substr(1);
  while (true) {
    const size_t slash = rest.find('/');
    const bool last = slash == std::string_view::npos;
    // Each segment is decoded on its own, so an encoded '/' can never make
    // a new one; it is refused outright, as are '\' and NUL.
    auto segment = percentDecode(rest.substr(0, slash));
    if (!segment) return std::nullopt;
    if (segment->empty()) {
      if (!last) return std::nullopt;  // "a//b" no; a trailing "/" yes
      break;
    }
    if (segment->front() == '.') return std::nullopt;  // ".", "..", dotfiles
    const bool refused = std::any_of(segment->begin(), segment->end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/' || c == '\\';
    });
    if (refused) return std::nullopt;
    if (!out.empty()) out += '/';
    out += *segment;
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

std::string_view staticContentType(std::string_view fileName) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".wasm", "application/wasm"},
  }};
  const size_t slash = fileName.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? fileName : fileName.substr(slash + 1);
  const size_t dot = base.rfind('.');
  if (dot != std::string_view::npos) {
    for (const auto& [ext, type] : kTypes) {
      if (base.substr(dot) == ext) return type;
    }
  }
  return "application/octet-stream";
}

Result<StaticFiles> StaticFiles::open(const std::string& root) {
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::canonical(root, ec);
  if (ec || !std::filesystem::is_regular_file(canonical / "index.html", ec)) {
    return Status::invalidArgument(fmt::format("http.web_root: {}: no index.html there", root));
  }
  return StaticFiles(canonical.string());
}

std::optional<Response> StaticFiles::file(const std::string& relative, bool immutable) const {
  std::error_code ec;
  const std::filesystem::path resolved = std::filesystem::canonical(std::filesystem::path(root_) / relative, ec);
  // A symlink may point anywhere inside the root, but nowhere out of it.
  if (ec || !resolved.string().starts_with(root_ + "/")) return std::nullopt;
  auto body = FileBody::open(resolved.string());
  if (!body) return std::nullopt;
  Response r;
  r.contentType = std::string(staticContentType(relative));
  r.etag = fmt::format("\"{:x}-{:x}\"", (*body)->size(), (*body)->modifiedUnixMicros());
  r.lastModified = WallTime::fromUnixMicros((*body)->modifiedUnixMicros());
  r.source = std::move(*body);
  // Vite names assets by their content's hash: they never change. The
  // rest (index.html above all) is checked each time, cheaply with 304.
  r.headers.emplace_back("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

std::optional<Response> StaticFiles::serve(std::string_view requestPath) const {
  if (isApiPath(requestPath)) return std::nullopt;
  auto relative = staticRelativePath(requestPath);
  if (!relative) return std::nullopt;
  if (!relative->empty()) {
    if (auto r = file(*relative, relative->starts_with("assets/"))) return r;
    // A client-side route ("/cameras/gate") is the app's to show; a
    // missing file ("/favicon.ico") is a 404.
    const size_t slash = relative->rfind('/');
    const std::string_view last = slash == std::string::npos ? std::string_view(*relative)
                                                             : std::string_view(*relative).substr(slash + 1);
    if (last.find('.') != std::string_view::npos) return std::nullopt;
  }
  return file("index.html", false);
}

}  // namespace vigil::http
